import {
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRegistryCommand,
  DescribeRepositoryCreationTemplatesCommand,
  GetRegistryPolicyCommand,
  RegistryPolicyNotFoundException,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EcrRegistry, ecrReadActions } from '../../../lib/aws/ecr';
import { UnreadableError } from '../../../lib/ports';
import { repositorySchema, type Repository } from '../../../lib/policy/model';
import {
  cliRepositories,
  describeImagesPage,
  describeRepositoriesSample,
  getLifecyclePolicySample,
  sdkRepository,
} from '../../fixtures/ecr/sdk-responses';
import { SdkGate } from '../../fixtures/sdk-gate';

const ecrMock = mockClient(ECRClient);

/** The first repository of the official describe-repositories sample (`ubuntu`), as a model object. */
function sampleRepository(): Repository {
  return repositorySchema().parse(cliRepositories()[0]);
}

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const notFound = {
  lifecycle: () =>
    new LifecyclePolicyNotFoundException({
      message: 'Lifecycle policy does not exist for the repository',
      $metadata: {},
    }),
  repositoryPolicy: () =>
    new RepositoryPolicyNotFoundException({
      message: 'Repository policy does not exist for the repository',
      $metadata: {},
    }),
  repository: () =>
    new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }),
};

/** A repository with neither lifecycle policy nor repository policy, and no tags. */
function givenBareRepository(): void {
  ecrMock.on(GetLifecyclePolicyCommand).rejects(notFound.lifecycle());
  ecrMock.on(GetRepositoryPolicyCommand).rejects(notFound.repositoryPolicy());
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

beforeEach(() => {
  ecrMock.reset();
});

describe('EcrRegistry.repositoryPages', () => {
  it('follows nextToken until DescribeRepositories returns none', async () => {
    // Prepare
    const [ubuntu, test] = describeRepositoriesSample().repositories!;
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolvesOnce({ repositories: [ubuntu!], nextToken: 'page-2' })
      .resolvesOnce({ repositories: [test!] });

    // Act
    const pages = await collect(new EcrRegistry().repositoryPages());

    // Assess
    expect(pages.map((page) => page.map((r) => r.repositoryName))).toEqual([['ubuntu'], ['test']]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 2);
    expect(ecrMock).toHaveReceivedNthCommandWith(2, DescribeRepositoriesCommand, { nextToken: 'page-2' });
  });

  it('asks for the largest page DescribeRepositories allows (maxResults 1000)', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());

    // Act
    await collect(new EcrRegistry().repositoryPages());

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, { maxResults: 1000 });
  });

  it('maps the official describe-repositories sample to Repository objects without undefined fields', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());

    // Act
    const pages = await collect(new EcrRegistry().repositoryPages());

    // Assess
    expect(pages).toStrictEqual([
      [
        {
          registryId: '012345678910',
          repositoryName: 'ubuntu',
          repositoryArn: 'arn:aws:ecr:us-west-2:012345678910:repository/ubuntu',
        },
        {
          registryId: '012345678910',
          repositoryName: 'test',
          repositoryArn: 'arn:aws:ecr:us-west-2:012345678910:repository/test',
        },
      ],
    ]);
  });

  it('turns the SDK createdAt Date into ISO 8601 text', async () => {
    // Prepare: the sample item with a CLI-style epoch-seconds createdAt, deserialised to a Date by the builder
    const cli = { ...cliRepositories()[0]!, createdAt: 1504295007 };
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [sdkRepository(cli)] });

    // Act
    const [[repository]] = (await collect(new EcrRegistry().repositoryPages())) as [[Repository]];

    // Assess
    expect(repository.createdAt).toBe('2017-09-01T19:43:27.000Z');
  });
});

describe('EcrRegistry.repositoryDetails', () => {
  it('reads the lifecycle policy text of the official get-lifecycle-policy sample', async () => {
    // Prepare
    const sample = getLifecyclePolicySample();
    givenBareRepository();
    ecrMock.on(GetLifecyclePolicyCommand).resolves(sample);

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    expect(details.lifecyclePolicyText).toBe(sample.lifecyclePolicyText);
    expect(ecrMock).toHaveReceivedCommandWith(GetLifecyclePolicyCommand, {
      repositoryName: 'ubuntu',
      registryId: '012345678910',
    });
  });

  it('leaves lifecyclePolicyText absent when ECR answers LifecyclePolicyNotFoundException', async () => {
    // Prepare
    givenBareRepository();

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    expect(details).not.toHaveProperty('lifecyclePolicyText');
  });

  it('reads the repository policy text', async () => {
    // Prepare
    const policyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowPull',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::012345678910:root' },
          Action: 'ecr:BatchGetImage',
        },
      ],
    });
    givenBareRepository();
    ecrMock.on(GetRepositoryPolicyCommand).resolves({ policyText });

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    expect(details.repositoryPolicyText).toBe(policyText);
    expect(ecrMock).toHaveReceivedCommandWith(GetRepositoryPolicyCommand, {
      repositoryName: 'ubuntu',
      registryId: '012345678910',
    });
  });

  it('leaves repositoryPolicyText absent when ECR answers RepositoryPolicyNotFoundException', async () => {
    // Prepare
    givenBareRepository();

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    expect(details).not.toHaveProperty('repositoryPolicyText');
  });

  it.each([
    ['GetLifecyclePolicy', GetLifecyclePolicyCommand],
    ['GetRepositoryPolicy', GetRepositoryPolicyCommand],
    ['ListTagsForResource', ListTagsForResourceCommand],
  ] as const)('fails on any other error of %s, naming the call and the error', async (name, command) => {
    // Prepare
    givenBareRepository();
    ecrMock
      .on(command as typeof GetLifecyclePolicyCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    await expect(reading).rejects.toThrow(UnreadableError);
    await expect(reading).rejects.toMatchObject({
      call: `ecr:${name}`,
      reason: 'ServerException: internal failure',
      message: `ecr:${name}: ServerException: internal failure`,
    });
  });

  it('reads the tags of the repository by its ARN', async () => {
    // Prepare
    givenBareRepository();
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'team', Value: 'platform' }] });

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), { images: false });

    // Assess
    expect(details.tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    expect(ecrMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, {
      resourceArn: 'arn:aws:ecr:us-west-2:012345678910:repository/ubuntu',
    });
  });

  it("with images 'if-lifecycle-policy', describes the images of a repository that has a lifecycle policy", async () => {
    // Prepare
    givenBareRepository();
    ecrMock.on(GetLifecyclePolicyCommand).resolves(getLifecyclePolicySample());
    ecrMock
      .on(DescribeImagesCommand)
      .resolves(describeImagesPage(sampleRepository(), [{ imageDigest: digest(1) }]));

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), {
      images: 'if-lifecycle-policy',
    });

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'ubuntu',
      registryId: '012345678910',
    });
    expect(details.images?.map((i) => i.imageDigest)).toEqual([digest(1)]);
  });

  it("with images 'if-lifecycle-policy', sends no DescribeImages for a repository without a lifecycle policy", async () => {
    // Prepare
    givenBareRepository();

    // Act
    const details = await new EcrRegistry().repositoryDetails(sampleRepository(), {
      images: 'if-lifecycle-policy',
    });

    // Assess
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
    expect(details).not.toHaveProperty('images');
  });

  it('follows nextToken across DescribeImages pages, asking for 1000 images a page', async () => {
    // Prepare
    const repository = sampleRepository();
    givenBareRepository();
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce(describeImagesPage(repository, [{ imageDigest: digest(1) }], 'images-2'))
      .resolvesOnce(describeImagesPage(repository, [{ imageDigest: digest(2) }]));

    // Act
    const details = await new EcrRegistry().repositoryDetails(repository, { images: true });

    // Assess
    expect(details.images?.map((i) => i.imageDigest)).toEqual([digest(1), digest(2)]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
    expect(ecrMock).toHaveReceivedNthSpecificCommandWith(1, DescribeImagesCommand, { maxResults: 1000 });
    expect(ecrMock).toHaveReceivedNthSpecificCommandWith(2, DescribeImagesCommand, { nextToken: 'images-2' });
  });

  it('turns the image timestamps into ISO 8601 text', async () => {
    // Prepare
    const repository = sampleRepository();
    givenBareRepository();
    ecrMock.on(DescribeImagesCommand).resolves(
      describeImagesPage(repository, [
        {
          imageDigest: digest(1),
          imageTags: ['latest'],
          imagePushedAt: '2017-09-01T19:43:27Z',
          lastRecordedPullTime: 1504295007,
        },
      ]),
    );

    // Act
    const details = await new EcrRegistry().repositoryDetails(repository, { images: true });

    // Assess
    expect(details.images).toStrictEqual([
      {
        registryId: '012345678910',
        repositoryName: 'ubuntu',
        imageDigest: digest(1),
        imageTags: ['latest'],
        imagePushedAt: '2017-09-01T19:43:27.000Z',
        lastRecordedPullTime: '2017-09-01T19:43:27.000Z',
      },
    ]);
  });
});

describe('EcrRegistry.repositoryDetails when DescribeImages fails', () => {
  it('fails naming ecr:DescribeImages after the other details were read', async () => {
    // Prepare
    ecrMock.on(GetLifecyclePolicyCommand).resolves(getLifecyclePolicySample());
    ecrMock.on(GetRepositoryPolicyCommand).rejects(notFound.repositoryPolicy());
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
    ecrMock.on(DescribeImagesCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: ecr:DescribeImages'), {
        name: 'AccessDeniedException',
      }),
    );

    // Act
    const reading = new EcrRegistry().repositoryDetails(sampleRepository(), { images: true });

    // Assess
    await expect(reading).rejects.toMatchObject({
      name: 'UnreadableError',
      call: 'ecr:DescribeImages',
      reason: 'AccessDeniedException: User is not authorized to perform: ecr:DescribeImages',
    });
  });
});

/** The four detail reads answered at `gate`: a lifecycle policy, no repository policy, no tags, no images. */
function gateDetails(gate: SdkGate): void {
  ecrMock
    .on(GetLifecyclePolicyCommand)
    .callsFake(gate.answer('GetLifecyclePolicy', getLifecyclePolicySample));
  ecrMock.on(GetRepositoryPolicyCommand).callsFake(
    gate.answer('GetRepositoryPolicy', () => {
      throw notFound.repositoryPolicy();
    }),
  );
  ecrMock.on(ListTagsForResourceCommand).callsFake(gate.answer('ListTagsForResource', () => ({ tags: [] })));
  ecrMock.on(DescribeImagesCommand).callsFake(gate.answer('DescribeImages', () => ({ imageDetails: [] })));
}

describe('EcrRegistry.repositoryDetails: rounds of calls', () => {
  it('with images true, has DescribeImages in flight together with the other three details', async () => {
    // Prepare
    const gate = new SdkGate();
    gateDetails(gate);

    // Act
    const { inFlight, result: details } = await gate.inFlight(
      () => new EcrRegistry().repositoryDetails(sampleRepository(), { images: true }),
      4,
    );

    // Assess
    expect(inFlight).toEqual([
      'DescribeImages',
      'GetLifecyclePolicy',
      'GetRepositoryPolicy',
      'ListTagsForResource',
    ]);
    expect(details.images).toEqual([]);
  });

  it('with several failures in one round, fails with the first in call order', async () => {
    // Prepare
    ecrMock.on(GetLifecyclePolicyCommand).resolves(getLifecyclePolicySample());
    ecrMock.on(GetRepositoryPolicyCommand).callsFake(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    });
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
    ecrMock
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const reading = new EcrRegistry().repositoryDetails(sampleRepository(), { images: true });

    // Assess
    await expect(reading).rejects.toMatchObject({ call: 'ecr:GetRepositoryPolicy' });
  });
});

describe('EcrRegistry.scanningConfiguration', () => {
  it('maps GetRegistryScanningConfiguration to the registry scanning model', async () => {
    // Prepare
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({
      registryId: '012345678910',
      scanningConfiguration: {
        scanType: 'ENHANCED',
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN',
            repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }],
          },
        ],
      },
    });

    // Act
    const scanning = await new EcrRegistry().scanningConfiguration();

    // Assess
    expect(scanning).toEqual({
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }],
        },
      ],
    });
    expect(ecrMock).toHaveReceivedCommandTimes(GetRegistryScanningConfigurationCommand, 1);
  });

  it('returns undefined when the registry reports no scanning configuration', async () => {
    // Prepare
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: '012345678910' });

    // Act
    const scanning = await new EcrRegistry().scanningConfiguration();

    // Assess
    expect(scanning).toBeUndefined();
  });
});

describe('EcrRegistry.scanningConfiguration when the call fails', () => {
  it('fails naming ecr:GetRegistryScanningConfiguration', async () => {
    // Prepare
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new EcrRegistry().scanningConfiguration();

    // Assess
    await expect(reading).rejects.toThrow(
      'ecr:GetRegistryScanningConfiguration: ServerException: internal failure',
    );
  });
});

describe('EcrRegistry.repository', () => {
  it('describes exactly the named repository and joins its details', async () => {
    // Prepare
    const [ubuntu] = describeRepositoriesSample().repositories!;
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [ubuntu!] });
    givenBareRepository();
    ecrMock.on(GetLifecyclePolicyCommand).resolves(getLifecyclePolicySample());

    // Act
    const repository = await new EcrRegistry().repository('ubuntu');

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, { repositoryNames: ['ubuntu'] });
    expect(repository).toMatchObject({
      repositoryName: 'ubuntu',
      lifecyclePolicyText: getLifecyclePolicySample().lifecyclePolicyText,
      tags: [],
    });
  });

  it('returns undefined when ECR answers RepositoryNotFoundException', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound.repository());

    // Act
    const repository = await new EcrRegistry().repository('gone');

    // Assess
    expect(repository).toBeUndefined();
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, { repositoryNames: ['gone'] });
    expect(ecrMock).not.toHaveReceivedCommand(GetLifecyclePolicyCommand);
  });

  it('propagates any other DescribeRepositories error', async () => {
    // Prepare
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new EcrRegistry().repository('ubuntu');

    // Assess
    await expect(reading).rejects.toThrow(ServerException);
  });
});

describe('EcrRegistry.repository with its ARN known', () => {
  const ubuntu = () => describeRepositoriesSample().repositories![0]!;

  it('has DescribeRepositories in flight together with the details and the images', async () => {
    // Prepare
    const gate = new SdkGate();
    ecrMock
      .on(DescribeRepositoriesCommand)
      .callsFake(gate.answer('DescribeRepositories', () => ({ repositories: [ubuntu()] })));
    gateDetails(gate);

    // Act
    const { inFlight, result: repository } = await gate.inFlight(
      () => new EcrRegistry().repository('ubuntu', { images: true, arn: ubuntu().repositoryArn! }),
      5,
    );

    // Assess
    expect(inFlight).toEqual([
      'DescribeImages',
      'DescribeRepositories',
      'GetLifecyclePolicy',
      'GetRepositoryPolicy',
      'ListTagsForResource',
    ]);
    expect(repository).toMatchObject({
      repositoryName: 'ubuntu',
      lifecyclePolicyText: getLifecyclePolicySample().lifecyclePolicyText,
      tags: [],
      images: [],
    });
  });

  it("names the ARN's registry and reads the tags by the ARN", async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [ubuntu()] });
    givenBareRepository();

    // Act
    await new EcrRegistry().repository('ubuntu', { arn: ubuntu().repositoryArn! });

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(GetLifecyclePolicyCommand, {
      repositoryName: 'ubuntu',
      registryId: ubuntu().registryId,
    });
    expect(ecrMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, {
      resourceArn: ubuntu().repositoryArn,
    });
  });

  it('is undefined when DescribeRepositories finds no repository, whatever the details answered', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound.repository());
    ecrMock.on(GetLifecyclePolicyCommand).rejects(notFound.repository());
    ecrMock.on(GetRepositoryPolicyCommand).rejects(notFound.repository());
    ecrMock.on(ListTagsForResourceCommand).rejects(notFound.repository());

    // Act
    const repository = await new EcrRegistry().repository('gone', {
      arn: 'arn:aws:ecr:us-west-2:123456789012:repository/gone',
    });

    // Assess
    expect(repository).toBeUndefined();
  });

  it('reads the details again under the ARN DescribeRepositories returns when it is another', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [ubuntu()] });
    givenBareRepository();
    const guessed = ubuntu().repositoryArn!.replace(/:\d{12}:/, ':210987654321:');

    // Act
    await new EcrRegistry().repository('ubuntu', { arn: guessed });

    // Assess
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 2);
    expect(ecrMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: guessed });
    expect(ecrMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, {
      resourceArn: ubuntu().repositoryArn,
    });
  });
});

describe('ecrReadActions', () => {
  it('declares exactly the ECR actions the adapter sends', async () => {
    // Prepare: every read path, including images
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({});
    ecrMock.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());
    givenBareRepository();
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    ecrMock.on(DescribeRegistryCommand).resolves({});
    ecrMock.on(GetRegistryPolicyCommand).resolves({});
    ecrMock.on(DescribePullThroughCacheRulesCommand).resolves({});
    ecrMock.on(DescribeRepositoryCreationTemplatesCommand).resolves({});
    const registry = new EcrRegistry();

    // Act
    await registry.scanningConfiguration();
    await collect(registry.repositoryPages());
    await registry.repository('ubuntu', { images: true });
    await registry.replicationConfiguration();
    await registry.registryPolicyText();
    await registry.pullThroughCacheRules();
    await registry.repositoryCreationTemplates();

    // Assess
    const sent = new Set(
      ecrMock
        .calls()
        .map((call) => `ecr:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`),
    );
    expect([...sent].sort()).toEqual([...ecrReadActions].sort());
  });
});

describe('EcrRegistry registry-level settings', () => {
  it('reads a registry without replication as no rules (DescribeRegistry without replicationConfiguration)', async () => {
    // Prepare
    ecrMock.on(DescribeRegistryCommand).resolves({ registryId: '123456789012' });

    // Act
    const read = await new EcrRegistry().replicationConfiguration();

    // Assess
    expect(read).toEqual({ rules: [] });
  });

  it('reads a registry without a policy as null (RegistryPolicyNotFoundException is a normal state)', async () => {
    // Prepare
    ecrMock
      .on(GetRegistryPolicyCommand)
      .rejects(
        new RegistryPolicyNotFoundException({ message: 'Registry policy does not exist', $metadata: {} }),
      );

    // Act
    const read = await new EcrRegistry().registryPolicyText();

    // Assess
    expect(read).toBeNull();
  });

  it('fails a refused registry policy read as unreadable, naming the call', async () => {
    // Prepare
    const denied = new Error('User is not authorized to perform: ecr:GetRegistryPolicy');
    denied.name = 'AccessDeniedException';
    ecrMock.on(GetRegistryPolicyCommand).rejects(denied);

    // Act
    const read = new EcrRegistry().registryPolicyText();

    // Assess
    await expect(read).rejects.toBeInstanceOf(UnreadableError);
    await expect(read).rejects.toMatchObject({ call: 'ecr:GetRegistryPolicy' });
  });

  it('pages DescribePullThroughCacheRules at 1000 and returns the dates as ISO text', async () => {
    // Prepare
    ecrMock
      .on(DescribePullThroughCacheRulesCommand)
      .resolvesOnce({
        pullThroughCacheRules: [
          {
            ecrRepositoryPrefix: 'ecr-public',
            upstreamRegistryUrl: 'public.ecr.aws',
            createdAt: new Date('2026-03-02T09:20:00Z'),
            registryId: '123456789012',
            upstreamRegistry: 'ecr-public',
          },
        ],
        nextToken: 'next',
      })
      .resolvesOnce({
        pullThroughCacheRules: [{ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }],
      });

    // Act
    const read = await new EcrRegistry().pullThroughCacheRules();

    // Assess
    expect(read).toEqual([
      {
        ecrRepositoryPrefix: 'ecr-public',
        upstreamRegistryUrl: 'public.ecr.aws',
        createdAt: '2026-03-02T09:20:00.000Z',
        registryId: '123456789012',
        upstreamRegistry: 'ecr-public',
      },
      { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' },
    ]);
    // (The SDK paginator reuses one input object across pages, so only what every page carries is asserted.)
    const pages = ecrMock.commandCalls(DescribePullThroughCacheRulesCommand);
    expect(pages.map((c) => c.args[0].input.maxResults)).toEqual([1000, 1000]);
  });
});

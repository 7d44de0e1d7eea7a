/**
 * The RegistryReader port's contract (ECR's read side), run against the sandbox account and the ECR adapter:
 * paging, the joined reads of one repository, what is absent when it is not set, and how reads fail.
 */
import type { Repository } from '../../lib/policy/model';
import { ACCOUNTS, closeAccounts, pagesOf } from './accounts';
import { expectUnreadable } from './errors';
import { documentedTags, image, images, repository, world } from './world';

const JOINED = [
  'lifecyclePolicyText',
  'repositoryPolicyText',
  'tags',
  'images',
  'scanFindings',
  'unreadable',
];
const described = (r: Repository) =>
  Object.fromEntries(Object.entries(r).filter(([key]) => !JOINED.includes(key))) as Repository;

const REPOSITORY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowPull',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    },
  ],
});

afterEach(closeAccounts);

describe.each(ACCOUNTS)('RegistryReader contract: %s', (_name, open) => {
  describe('repositoryPages', () => {
    test('lists every repository once, in pages of at most 1000 (DescribeRepositories maxResults)', async () => {
      // Prepare
      const names = Array.from({ length: 1001 }, (_, i) => `team/app-${String(i).padStart(4, '0')}`);
      const account = open(world({ repositories: names.map((n) => repository(n)) }));

      // Act
      const pages = await pagesOf(account.registry.repositoryPages());

      // Assess
      expect(pages.map((p) => p.length)).toEqual([1000, 1]);
      expect(
        pages
          .flat()
          .map((r) => r.repositoryName)
          .sort(),
      ).toEqual(names);
    });

    test('an empty registry is one empty page', async () => {
      // Act
      const pages = await pagesOf(open(world()).registry.repositoryPages());

      // Assess
      expect(pages).toEqual([[]]);
    });

    test('lists a repository as DescribeRepositories describes it, without the joined fields', async () => {
      // Prepare
      const stored = repository('web/frontend', {
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
      });

      // Act
      const [page] = await pagesOf(open(world({ repositories: [stored] })).registry.repositoryPages());

      // Assess
      expect(page).toEqual([described(stored)]);
    });
  });

  describe('repositoryPage', () => {
    const names = Array.from({ length: 5 }, (_, i) => `team/app-${i}`);

    test('the pages of maxResults, followed from token to token, list every repository once, in order', async () => {
      // Prepare
      const account = open(world({ repositories: names.map((n) => repository(n)) }));

      // Act
      const sizes: number[] = [];
      const listed: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await account.registry.repositoryPage({
          maxResults: 2,
          ...(nextToken ? { nextToken } : {}),
        });
        sizes.push(page.repositories.length);
        listed.push(...page.repositories.map((r) => r.repositoryName));
        nextToken = page.nextToken;
      } while (nextToken);

      // Assess
      expect(sizes).toEqual([2, 2, 1]);
      expect(listed).toEqual(names);
    });

    test('a token goes on where its page ended when another reader of the same account follows it', async () => {
      // Prepare
      const parts = world({ repositories: names.map((n) => repository(n)) });
      const first = await open(parts).registry.repositoryPage({ maxResults: 3 });

      // Act
      const second = await open(parts).registry.repositoryPage({
        maxResults: 3,
        nextToken: first.nextToken!,
      });

      // Assess
      expect(second.repositories.map((r) => r.repositoryName)).toEqual(names.slice(3));
      expect(second.nextToken).toBeUndefined();
    });

    test('lists a repository as DescribeRepositories describes it, without the joined fields', async () => {
      // Prepare
      const stored = repository('web/frontend', {
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
      });

      // Act
      const page = await open(world({ repositories: [stored] })).registry.repositoryPage();

      // Assess
      expect(page).toEqual({ repositories: [described(stored)] });
    });

    test('a token the service did not hand out fails the call (InvalidParameterException)', async () => {
      // Prepare
      const account = open(world({ repositories: names.map((n) => repository(n)) }));

      // Act
      const failure = account.registry.repositoryPage({ nextToken: 'not-a-token' });

      // Assess
      await expect(failure).rejects.toMatchObject({ name: 'InvalidParameterException' });
    });
  });

  describe('repository', () => {
    test('reads one repository with its lifecycle policy, repository policy and tags, and no images', async () => {
      // Prepare
      const stored = repository('web/frontend', {
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
        images: [image('web/frontend', `sha256:${'a'.repeat(64)}`, ['1.0.0'])],
      });
      const account = open(world({ repositories: [stored] }));

      // Act
      const read = await account.registry.repository('web/frontend');

      // Assess
      expect(read).toEqual({
        ...described(stored),
        lifecyclePolicyText: stored.lifecyclePolicyText,
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
      });
    });

    test('reads the images too when asked', async () => {
      // Prepare
      const stored = repository('web/frontend', { images: images('web/frontend', 3) });

      // Act
      const read = await open(world({ repositories: [stored] })).registry.repository('web/frontend', {
        images: true,
      });

      // Assess
      expect(read?.images).toEqual(stored.images);
    });

    test('a repository that does not exist is undefined', async () => {
      // Act
      const read = await open(world({ repositories: [repository('web/frontend')] })).registry.repository(
        'web/backend',
      );

      // Assess
      expect(read).toBeUndefined();
    });

    test('with its ARN (every read in one round), reads the same repository, joined fields and images', async () => {
      // Prepare
      const stored = repository('web/frontend', {
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
        images: images('web/frontend', 2),
      });
      const account = open(world({ repositories: [stored] }));

      // Act
      const read = await account.registry.repository('web/frontend', {
        images: true,
        arn: stored.repositoryArn,
      });

      // Assess
      expect(read).toEqual({
        ...described(stored),
        lifecyclePolicyText: stored.lifecyclePolicyText,
        repositoryPolicyText: REPOSITORY_POLICY,
        tags: documentedTags(),
        images: stored.images,
      });
    });

    test('with its ARN, a repository that does not exist is undefined', async () => {
      // Prepare
      const other = repository('web/backend');
      const account = open(world({ repositories: [repository('web/frontend')] }));

      // Act
      const read = await account.registry.repository('web/backend', { arn: other.repositoryArn });

      // Assess
      expect(read).toBeUndefined();
    });
  });

  describe('repositoryDetails', () => {
    test('a repository without a lifecycle or repository policy has neither, and no tags', async () => {
      // Prepare
      const stored = repository('web/frontend', { lifecyclePolicyText: undefined, tags: [] });
      const account = open(world({ repositories: [stored] }));

      // Act
      const details = await account.registry.repositoryDetails(described(stored), { images: false });

      // Assess
      expect(details).toEqual({ tags: [] });
    });

    test.each([
      ['with', true],
      ['without', false],
    ])('if-lifecycle-policy reads the images of a repository %s a lifecycle policy', async (_with, has) => {
      // Prepare
      const stored = repository('web/frontend', {
        ...(has ? {} : { lifecyclePolicyText: undefined }),
        images: images('web/frontend', 2),
      });
      const account = open(world({ repositories: [stored] }));

      // Act
      const details = await account.registry.repositoryDetails(described(stored), {
        images: 'if-lifecycle-policy',
      });

      // Assess
      expect(details.images).toEqual(has ? stored.images : undefined);
    });

    test('reads every image of a repository holding more than a page (DescribeImages maxResults 1000)', async () => {
      // Prepare
      const stored = repository('web/frontend', { images: images('web/frontend', 1001) });
      const account = open(world({ repositories: [stored] }));

      // Act
      const details = await account.registry.repositoryDetails(described(stored), { images: true });

      // Assess
      expect(details.images?.map((i) => i.imageDigest).sort()).toEqual(
        stored.images!.map((i) => i.imageDigest).sort(),
      );
    });

    test('the details of a repository deleted since it was listed fail as unreadable at GetLifecyclePolicy', async () => {
      // Prepare
      const account = open(world());

      // Act
      const read = account.registry.repositoryDetails(described(repository('web/gone')), { images: false });

      // Assess
      await expectUnreadable(read, 'ecr:GetLifecyclePolicy', {
        kind: 'not-found',
        aws: 'RepositoryNotFoundException',
      });
    });

    test('a detail read the account refuses fails as unreadable, naming the call', async () => {
      // Prepare
      const stored = repository('web/frontend', {
        unreadable: {
          call: 'ecr:GetRepositoryPolicy',
          error: 'AccessDeniedException: not authorized to perform: ecr:GetRepositoryPolicy',
        },
      });
      const account = open(world({ repositories: [stored] }));

      // Act
      const read = account.registry.repositoryDetails(described(stored), { images: false });

      // Assess
      await expectUnreadable(read, 'ecr:GetRepositoryPolicy', {
        kind: 'forbidden',
        aws: 'AccessDeniedException',
      });
    });
  });

  describe('scanningConfiguration', () => {
    test('reads the registry scanning configuration', async () => {
      // Prepare
      const configuration = {
        scanType: 'ENHANCED' as const,
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN' as const,
            repositoryFilters: [{ filter: 'prod', filterType: 'WILDCARD' as const }],
          },
        ],
      };

      // Act
      const read = await open(
        world({ registryScanningConfiguration: configuration }),
      ).registry.scanningConfiguration();

      // Assess
      expect(read).toEqual(configuration);
    });

    test('a registry never configured scans BASIC without rules (absent reads the same way)', async () => {
      // Act
      const read = await open(world()).registry.scanningConfiguration();

      // Assess: "When a registry scanning configuration is not defined, by default the BASIC scan type is used"
      // (ECR API Reference); callers read an absent configuration as that default (remediation.ts).
      expect(read ?? { scanType: 'BASIC', rules: [] }).toEqual({ scanType: 'BASIC', rules: [] });
    });

    test('a read the account refuses fails as unreadable, naming the call', async () => {
      // Prepare
      const account = open(
        world({
          ecrUnreadable: {
            call: 'ecr:GetRegistryScanningConfiguration',
            error: 'AccessDeniedException: not authorized to perform: ecr:GetRegistryScanningConfiguration',
          },
        }),
      );

      // Act
      const read = account.registry.scanningConfiguration();

      // Assess
      await expectUnreadable(read, 'ecr:GetRegistryScanningConfiguration', {
        kind: 'forbidden',
        aws: 'AccessDeniedException',
      });
    });
  });

  describe('registry-level settings', () => {
    const replicationConfiguration = {
      rules: [
        {
          destinations: [{ region: 'eu-west-1', registryId: '210987654321' }],
          repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }],
        },
      ],
    };
    const registryPolicyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReplicationAccessCrossAccount',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:root' },
          Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
          Resource: 'arn:aws:ecr:us-east-1:123456789012:repository/*',
        },
      ],
    });
    const cacheRule = (prefix: string) => ({
      ecrRepositoryPrefix: prefix,
      upstreamRegistryUrl: 'public.ecr.aws',
      createdAt: '2026-03-02T09:20:00.000Z',
      registryId: '123456789012',
      upstreamRegistry: 'ecr-public',
      updatedAt: '2026-03-02T09:20:00.000Z',
    });
    const template = {
      prefix: 'ecr-public',
      description: 'ECR Public cache',
      encryptionConfiguration: { encryptionType: 'AES256' as const },
      resourceTags: [{ Key: 'team', Value: 'platform' }],
      imageTagMutability: 'IMMUTABLE' as const,
      appliedFor: ['PULL_THROUGH_CACHE'],
      customRoleArn: 'arn:aws:iam::123456789012:role/ecr-template-role',
      createdAt: '2026-03-02T09:21:00.000Z',
      updatedAt: '2026-03-02T09:21:00.000Z',
    };

    test('reads the replication configuration as DescribeRegistry returns it', async () => {
      // Act
      const read = await open(
        world({ registrySettings: { replicationConfiguration } }),
      ).registry.replicationConfiguration();

      // Assess
      expect(read).toEqual(replicationConfiguration);
    });

    test('reads a registry that replicates nothing as no rules', async () => {
      // Act
      const read = await open(
        world({ registrySettings: { replicationConfiguration: { rules: [] } } }),
      ).registry.replicationConfiguration();

      // Assess
      expect(read).toEqual({ rules: [] });
    });

    test('reads the registry policy text, and null when the registry has none', async () => {
      // Act
      const some = await open(
        world({ registrySettings: { registryPolicyText } }),
      ).registry.registryPolicyText();
      const none = await open(
        world({ registrySettings: { registryPolicyText: null } }),
      ).registry.registryPolicyText();

      // Assess
      expect(some).toBe(registryPolicyText);
      expect(none).toBeNull();
    });

    test('lists every pull through cache rule across pages', async () => {
      // Prepare
      const rules = Array.from({ length: 1001 }, (_, i) => cacheRule(`cache-${String(i).padStart(4, '0')}`));

      // Act
      const read = await open(
        world({ registrySettings: { pullThroughCacheRules: rules } }),
      ).registry.pullThroughCacheRules();

      // Assess
      expect(read).toEqual(rules);
    });

    test('lists the repository creation templates with every field', async () => {
      // Act
      const read = await open(
        world({ registrySettings: { repositoryCreationTemplates: [template] } }),
      ).registry.repositoryCreationTemplates();

      // Assess
      expect(read).toEqual([template]);
    });
  });
});

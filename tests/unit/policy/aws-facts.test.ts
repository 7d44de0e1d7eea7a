/**
 * Each AWS naming fact against its source: partitions against the SDK's own endpoint resolution
 * (@aws-sdk/core `partition()`), grammars, bounds and page sizes against the botocore service models in
 * tests/fixtures/aws-samples/api-contracts, the push actions against the CodeBuild User Guide's Docker sample.
 */
import { partition as sdkPartition } from '@aws-sdk/core/client';
import {
  ACCOUNT_ID,
  BATCH_GET_PROJECTS_MAX,
  buildArn,
  dnsSuffixOf,
  ECR_AUTH_ACTION,
  ECR_PAGE_MAX,
  ECR_PUSH_ACTIONS,
  IAM_PAGE_MAX,
  isPartition,
  parseArn,
  parseRepositoryArn,
  PARTITIONS,
  partitionOf,
  PROJECT_NAME,
  PROJECT_TAGS_MAX,
  projectArnOf,
  REGION,
  REPOSITORY_NAME,
  REPOSITORY_NAME_LENGTH,
  REPOSITORY_NAME_PATTERN,
  repositoryArnOf,
  repositoryUriOf,
  ROLE_NAME,
  ROLE_NAME_MAX,
  roleArnOf,
} from '../../../lib/policy/aws-facts';
import { awsSample } from '../../fixtures/load';

interface ServiceModel {
  shapes: Record<string, { pattern?: string; min?: number; max?: number }>;
}
const model = (service: 'ecr' | 'codebuild' | 'iam') =>
  awsSample<ServiceModel>(`api-contracts/${service}.selected-operations.botocore-service-2.json`).shapes;
/** A botocore shape's constraint as a checker: the pattern anchored (botocore patterns are), the bounds. */
function modelCheck(service: 'ecr' | 'codebuild' | 'iam', shape: string): (value: string) => boolean {
  const { pattern, min = 0, max = Infinity } = model(service)[shape]!;
  const regex = new RegExp(`^(?:${pattern})$`, 'u');
  return (value) => value.length >= min && value.length <= max && regex.test(value);
}

/** One region of every partition (its implicit global region and others), and regions no partition names. */
const REGIONS = [
  'us-east-1',
  'eu-central-2',
  'ap-southeast-7',
  'mx-central-1',
  'il-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'eusc-de-east-1',
  'us-iso-east-1',
  'us-iso-west-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'us-isof-east-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'xx-unknown-1',
];

describe('partitions', () => {
  test.each(REGIONS)('%s is in the partition the SDK resolves it to, with its DNS suffix', (region) => {
    // Act
    const partition = partitionOf(region);

    // Assess
    const sdk = sdkPartition(region);
    expect(partition).toBe(sdk.name);
    expect(dnsSuffixOf(partition)).toBe(sdk.dnsSuffix);
  });

  test('every partition of the SDK endpoint data is listed (aws, aws-cn, aws-eusc, the four ISO ones, GovCloud)', () => {
    // Act
    const ids = PARTITIONS.map((p) => p.id);

    // Assess
    expect(ids.sort()).toEqual(
      ['aws', 'aws-cn', 'aws-eusc', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-us-gov'].sort(),
    );
  });

  test('an ISO region is in its own partition, not in aws (the snapshot view used to say aws)', () => {
    expect(partitionOf('us-iso-east-1')).toBe('aws-iso');
    expect(partitionOf('us-isob-east-1')).toBe('aws-iso-b');
  });

  test('isPartition knows every partition and nothing else', () => {
    expect(PARTITIONS.every((p) => isPartition(p.id))).toBe(true);
    expect(isPartition('azure')).toBe(false);
    expect(dnsSuffixOf('azure')).toBeUndefined();
  });

  test.each(REGIONS)('REGION accepts %s', (region) => {
    expect(region).toMatch(REGION);
  });

  test.each(['us-east', 'US-EAST-1', 'us_east_1', 'useast1', '', 'us-east-1 '])(
    'REGION refuses %p',
    (text) => {
      expect(text).not.toMatch(REGION);
    },
  );
});

describe('ARNs', () => {
  test('buildArn and parseArn are inverse, a resource with colons kept whole', () => {
    // Prepare
    const parts = {
      partition: 'aws',
      service: 'logs',
      region: 'us-east-1',
      accountId: '123456789012',
      resource: 'log-group:/aws/codebuild/app:*',
    };

    // Act
    const arn = buildArn(parts);

    // Assess
    expect(arn).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/app:*');
    expect(parseArn(arn)).toEqual(parts);
  });

  test.each(['i-087d63509b8c97098', 'arn:aws:s3', 'arn::iam::123456789012:role/x', 'urn:aws:s3:::b:k'])(
    '%p is not an ARN',
    (text) => {
      expect(parseArn(text)).toBeUndefined();
    },
  );

  test('a role ARN has no region and keeps its path', () => {
    expect(roleArnOf({ partition: 'aws-us-gov', accountId: '123456789012' }, '/service-role/', 'build')).toBe(
      'arn:aws-us-gov:iam::123456789012:role/service-role/build',
    );
  });

  test('repository and project ARNs name the partition, region and account', () => {
    // Prepare
    const at = { partition: 'aws-cn', region: 'cn-north-1', accountId: '123456789012' };

    // Act + Assess
    expect(repositoryArnOf(at, 'team/app')).toBe(
      'arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/app',
    );
    expect(projectArnOf(at, 'team-app')).toBe(
      'arn:aws-cn:codebuild:cn-north-1:123456789012:project/team-app',
    );
  });

  test.each([
    ['aws', 'us-east-1', '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app'],
    ['aws-cn', 'cn-north-1', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app'],
    ['aws-eusc', 'eusc-de-east-1', '123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/team/app'],
  ])('a repository URI in %s uses its DNS suffix', (partition, region, uri) => {
    expect(repositoryUriOf({ partition, region, accountId: '123456789012' }, 'team/app')).toBe(uri);
  });
});

describe('parseRepositoryArn', () => {
  test('a repository ARN from the official ECR Image Scan sample', () => {
    const [arn] = awsSample<{ resources: string[] }>('ecr-image-scan.json').resources;

    expect(parseRepositoryArn(arn!)).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      accountId: '123456789012',
      repositoryName: 'my-repository-name',
    });
  });

  test('the image ARN of the official Inspector2 Finding sample names repository and digest', () => {
    const [arn] = awsSample<{ resources: string[] }>(
      'inspector2-finding-ecr-package-vulnerability.json',
    ).resources;

    expect(parseRepositoryArn(arn!)).toEqual({
      partition: 'aws',
      region: 'eu-central-1',
      accountId: '123456789012',
      repositoryName: 'inspector2',
      imageDigest: 'sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d',
    });
  });

  test('a repository name with slashes stays whole', () => {
    expect(
      parseRepositoryArn('arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/web/app'),
    ).toMatchObject({
      partition: 'aws-cn',
      repositoryName: 'team/web/app',
    });
  });

  test.each([
    ['an EC2 instance id', 'i-087d63509b8c97098'],
    ['a Lambda function ARN', 'arn:aws:lambda:us-west-2:111122223333:function:lambda-example:$LATEST'],
    ['an ECR ARN without a repository', 'arn:aws:ecr:us-east-1:123456789012:registry'],
  ])('%s is not a repository ARN', (_what, arn) => {
    expect(parseRepositoryArn(arn)).toBeUndefined();
  });
});

describe('name grammars, as the botocore models state them', () => {
  const repositoryNames = [
    'team/app',
    'a_b-c/d9',
    'team--app',
    'team__app',
    'team___app',
    'a',
    'ab',
    'Team/app',
    '-app',
    'app_',
    'team//app',
    '/team/app',
    'team.app',
    'x'.repeat(256),
    'x'.repeat(257),
    `${'a'.repeat(200)}/${'b'.repeat(55)}`,
  ];

  test.each(repositoryNames)('REPOSITORY_NAME decides %p as ECR RepositoryName does (2–256)', (name) => {
    // Prepare
    const ecrAccepts = modelCheck('ecr', 'RepositoryName');

    // Act
    const accepted = REPOSITORY_NAME.test(name);

    // Assess
    expect(accepted).toBe(ecrAccepts(name));
  });

  test('the repository-name bounds are the model’s, and the pattern alone ignores them', () => {
    expect(REPOSITORY_NAME_LENGTH).toEqual({
      min: model('ecr').RepositoryName!.min,
      max: model('ecr').RepositoryName!.max,
    });
    expect('a').toMatch(REPOSITORY_NAME_PATTERN);
    expect('a').not.toMatch(REPOSITORY_NAME);
  });

  test.each(['team-app', 'a_', 'ab', 'A1', '-app', 'team.app', 'team/app', 'x'.repeat(150), 'x'.repeat(151)])(
    'PROJECT_NAME decides %p as CodeBuild ProjectName does (2–150)',
    (name) => {
      expect(PROJECT_NAME.test(name)).toBe(modelCheck('codebuild', 'ProjectName')(name));
    },
  );

  test.each([
    'buildwarden-team-app',
    'a',
    'role+=,.@-_',
    'has space',
    'slash/role',
    'x'.repeat(64),
    'x'.repeat(65),
  ])('ROLE_NAME decides %p as IAM roleNameType does (1–64)', (name) => {
    expect(ROLE_NAME.test(name)).toBe(modelCheck('iam', 'roleNameType')(name));
  });

  test('ROLE_NAME_MAX is roleNameType’s maximum', () => {
    expect(ROLE_NAME_MAX).toBe(model('iam').roleNameType!.max);
  });

  test('ACCOUNT_ID is ECR RegistryId', () => {
    const registryId = modelCheck('ecr', 'RegistryId');
    for (const id of ['123456789012', '12345678901', '1234567890123', '12345678901a']) {
      expect(ACCOUNT_ID.test(id)).toBe(registryId(id));
    }
  });
});

describe('page sizes and limits, as the botocore models state them', () => {
  test('ECR list calls take up to 1000 results a page (MaxResults)', () => {
    expect(ECR_PAGE_MAX).toBe(model('ecr').MaxResults!.max);
  });

  test('BatchGetProjects takes up to 100 names (ProjectNames)', () => {
    expect(BATCH_GET_PROJECTS_MAX).toBe(model('codebuild').ProjectNames!.max);
  });

  test('IAM list calls take up to 1000 items a page (maxItemsType)', () => {
    expect(IAM_PAGE_MAX).toBe(model('iam').maxItemsType!.max);
  });

  test('a CodeBuild project holds up to 50 tags (TagList)', () => {
    expect(PROJECT_TAGS_MAX).toBe(model('codebuild').TagList!.max);
  });
});

describe('the IAM actions of docker push', () => {
  test('are the ones the CodeBuild User Guide Docker sample grants its service role', () => {
    // Prepare
    const sample = awsSample<{ Statement: { Action: string[] }[] }>(
      'codebuild-service-role-ecr-push-statement.current-docs.json',
    );

    // Act
    const actions = [ECR_AUTH_ACTION, ...ECR_PUSH_ACTIONS];

    // Assess
    expect(actions.sort()).toEqual([...sample.Statement[0]!.Action].sort());
  });
});

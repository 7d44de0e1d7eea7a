import { defaultGuardrails } from '../../../lib/policy/guardrails';
import { projectSchema, repositorySchema, type Project, type Repository } from '../../../lib/policy/model';
import { resolveTargetRepository, type RepositoryScope } from '../../../lib/policy/target-repository';
import { awsSample } from '../../fixtures/load';

type Sample = { projects: Record<string, unknown>[] };
type Variable = { name: string; value: string; type?: string };

const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const ENV_VAR_NAMES = defaultGuardrails().targetRepository.environmentVariables;
const arnFor = (name: string, account = ACCOUNT, region = REGION, partition = 'aws') =>
  `arn:${partition}:ecr:${region}:${account}:repository/${name}`;

/** The official `aws codebuild batch-get-projects` sample's first project, parsed with projectSchema(). */
function project(variables: Variable[] = [], tags: { key: string; value?: string }[] = []): Project {
  const raw = awsSample<Sample>('api-codebuild-batch-get-projects.aws-cli.json').projects[0]!;
  const parsed = projectSchema().parse(raw);
  parsed.environment = projectSchema().shape.environment.parse({
    ...parsed.environment,
    environmentVariables: variables,
  });
  parsed.tags = tags;
  return parsed;
}

function repository(name: string): Repository {
  return repositorySchema().parse({
    repositoryArn: arnFor(name),
    registryId: ACCOUNT,
    repositoryName: name,
    repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
  });
}

function scope(repositories: Repository[] = [repository('team/app')]): RepositoryScope {
  return { accountId: ACCOUNT, region: REGION, partition: 'aws', repositories };
}

describe('resolveTargetRepository', () => {
  it('resolves a bare repository name in the account and region of the scope', () => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value: 'team/app' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'resolved',
      repositoryName: 'team/app',
      repositoryArn: arnFor('team/app'),
      source: 'environment variable IMAGE_REPO_NAME',
    });
  });

  it('resolves a repository URI and drops its tag', () => {
    // Prepare
    const input = project([
      { name: 'REPOSITORY_URI', value: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1.4.2` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({
      status: 'resolved',
      repositoryName: 'team/app',
      repositoryArn: arnFor('team/app'),
    });
  });

  it('resolves a repository URI with a digest', () => {
    // Prepare
    const digest = 'sha256:' + 'ab'.repeat(32);
    const input = project([
      { name: 'REPOSITORY_URI', value: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app@${digest}` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', repositoryName: 'team/app' });
  });

  it('resolves a repository ARN', () => {
    // Prepare
    const input = project([{ name: 'ECR_REPOSITORY', value: arnFor('team/app') }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', repositoryArn: arnFor('team/app') });
  });

  it('takes account and region from a URI that points at another registry', () => {
    // Prepare
    const input = project([
      { name: 'REPOSITORY_URI', value: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/base' },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'resolved',
      repositoryName: 'shared/base',
      repositoryArn: arnFor('shared/base', '210987654321', 'eu-west-1'),
      source: 'environment variable REPOSITORY_URI',
    });
  });

  it('derives the partition of a URI in a China region', () => {
    // Prepare
    const input = project([
      { name: 'REPOSITORY_URI', value: `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ repositoryArn: arnFor('team/app', ACCOUNT, 'cn-north-1', 'aws-cn') });
  });

  it('uses the scope partition for names in the scope region', () => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value: 'team/app' }]);
    const govScope: RepositoryScope = {
      accountId: ACCOUNT,
      region: 'us-gov-west-1',
      partition: 'aws-us-gov',
      repositories: [],
    };

    // Act
    const result = resolveTargetRepository(input, govScope, ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({
      repositoryArn: arnFor('team/app', ACCOUNT, 'us-gov-west-1', 'aws-us-gov'),
    });
  });

  it('resolves a dual-stack ECR URI', () => {
    // Prepare
    const input = project([
      { name: 'REPOSITORY_URI', value: `${ACCOUNT}.dkr-ecr.${REGION}.on.aws/team/app:latest` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', repositoryArn: arnFor('team/app') });
  });

  it('marks a same-account repository that is not in the scope with exists: false', () => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value: 'team/missing' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'resolved',
      repositoryName: 'team/missing',
      repositoryArn: arnFor('team/missing'),
      source: 'environment variable IMAGE_REPO_NAME',
      exists: false,
    });
  });

  it('does not claim a repository in another account is missing', () => {
    // Prepare
    const input = project([
      { name: 'REPOSITORY_URI', value: `210987654321.dkr.ecr.${REGION}.amazonaws.com/team/app` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope([]), ENV_VAR_NAMES);

    // Assess
    expect(result).not.toHaveProperty('exists');
  });

  it('reads the buildwarden:repository tag', () => {
    // Prepare
    const input = project([], [{ key: 'buildwarden:repository', value: 'team/app' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({
      status: 'resolved',
      repositoryName: 'team/app',
      source: 'tag buildwarden:repository',
    });
  });

  it('names every agreeing source', () => {
    // Prepare
    const input = project(
      [
        { name: 'IMAGE_REPO_NAME', value: 'team/app' },
        { name: 'REPOSITORY_URI', value: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app` },
      ],
      [{ key: 'buildwarden:repository', value: arnFor('team/app') }],
    );

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({
      status: 'resolved',
      source:
        'environment variable IMAGE_REPO_NAME, environment variable REPOSITORY_URI, tag buildwarden:repository',
    });
  });

  it('reports a conflict when sources name different repositories', () => {
    // Prepare
    const input = project(
      [{ name: 'IMAGE_REPO_NAME', value: 'team/app' }],
      [{ key: 'buildwarden:repository', value: 'team/other' }],
    );

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result.status).toBe('not-visible');
    expect(result).toMatchObject({ reason: expect.stringContaining('different target repositories') });
    expect(result).toMatchObject({ reason: expect.stringContaining('IMAGE_REPO_NAME') });
    expect(result).toMatchObject({ reason: expect.stringContaining('tag buildwarden:repository') });
  });

  it('reports a conflict when the same name points at two registries', () => {
    // Prepare
    const input = project([
      { name: 'IMAGE_REPO_NAME', value: 'team/app' },
      { name: 'REPOSITORY_URI', value: `210987654321.dkr.ecr.${REGION}.amazonaws.com/team/app` },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result.status).toBe('not-visible');
  });

  it('only reads variables named in the configuration', () => {
    // Prepare
    const input = project([{ name: 'MY_REPO', value: 'team/app' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ['MY_REPO']);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', source: 'environment variable MY_REPO' });
  });

  it('is not-visible when nothing names a repository', () => {
    // Prepare
    const input = project([{ name: 'IMAGE_TAG', value: 'latest' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'not-visible',
      reason: `no environment variable (${ENV_VAR_NAMES.join(', ')}) or tag buildwarden:repository names a target repository`,
    });
  });

  it.each([['SECRETS_MANAGER'], ['PARAMETER_STORE']])('skips a %s variable and says so', (type) => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value: 'ci/image-repo', type }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'not-visible',
      reason: `the target repository cannot be read: environment variable IMAGE_REPO_NAME is a ${type} variable, whose value cannot be read`,
    });
  });

  it('resolves from a readable variable when another one is a secret', () => {
    // Prepare
    const input = project([
      { name: 'IMAGE_REPO_NAME', value: 'team/app' },
      { name: 'REPOSITORY_URI', value: '/ci/repository-uri', type: 'PARAMETER_STORE' },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', source: 'environment variable IMAGE_REPO_NAME' });
  });

  it.each([
    ['empty', '', 'is empty'],
    [
      'a command substitution',
      '$(aws ssm get-parameter --name /ci/repo --output text)',
      'computed by a command',
    ],
    ['a reference to an unset variable', '${TARGET_REPO}', 'refers to TARGET_REPO'],
    ['an image in another registry', 'ghcr.io/org/app:latest', 'outside private Amazon ECR'],
    ['ECR Public', 'public.ecr.aws/org/app', 'outside private Amazon ECR'],
    ['not a repository name', 'Team App', 'not an ECR repository name'],
  ])('is not-visible when the value is %s', (_what, value, why) => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'not-visible',
      reason: expect.stringContaining('environment variable IMAGE_REPO_NAME'),
    });
    expect(result).toMatchObject({ reason: expect.stringContaining(why) });
  });

  it('expands references to the project’s own variables and the build region (the docker sample pattern)', () => {
    // Prepare
    const input = project([
      { name: 'AWS_ACCOUNT_ID', value: ACCOUNT },
      { name: 'IMAGE_REPO_NAME', value: 'team/app' },
      {
        name: 'REPOSITORY_URI',
        value: '$AWS_ACCOUNT_ID.dkr.ecr.${AWS_DEFAULT_REGION}.amazonaws.com/$IMAGE_REPO_NAME',
      },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ['REPOSITORY_URI']);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', repositoryArn: arnFor('team/app') });
  });

  it('lets a literal source win over one that cannot be read', () => {
    // Prepare
    const input = project([
      { name: 'IMAGE_REPO_NAME', value: 'team/app' },
      {
        name: 'REPOSITORY_URI',
        value: '$(aws sts get-caller-identity --query Account --output text).dkr.ecr…',
      },
    ]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toMatchObject({ status: 'resolved', repositoryName: 'team/app' });
  });

  it('is not-visible when the repository tag has no value', () => {
    // Prepare
    const input = project([], [{ key: 'buildwarden:repository' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(result).toEqual({
      status: 'not-visible',
      reason: 'the target repository cannot be read: tag buildwarden:repository is empty',
    });
  });

  it('does not mention variable values in a not-visible reason', () => {
    // Prepare
    const input = project([{ name: 'IMAGE_REPO_NAME', value: 'Some Value With Spaces' }]);

    // Act
    const result = resolveTargetRepository(input, scope(), ENV_VAR_NAMES);

    // Assess
    expect(JSON.stringify(result)).not.toContain('Some Value With Spaces');
  });
});

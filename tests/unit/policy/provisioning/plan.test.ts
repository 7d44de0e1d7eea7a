/**
 * The plan on plain data: a request body in, the create calls out — names, ARNs, tags, the role's policies,
 * references kept inside the project namespaces, and the request token.
 */
import fc from 'fast-check';
import { defaultGuardrails } from '../../../../lib/policy/guardrails';
import { evaluate } from '../../../../lib/policy/iam/policy-evaluation';
import { parseLifecyclePolicy, serializeLifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import { defaultBuildspec } from '../../../../lib/policy/provisioning/default-buildspec';
import { expectedState } from '../../../../lib/policy/provisioning/expected-state';
import {
  BUILD_POLICY_NAME,
  MANAGED_TAG,
  REQUEST_TOKEN_TAG,
} from '../../../../lib/policy/provisioning/managed-resources';
import {
  planProvisioning,
  ProvisioningConfigError,
  specOf,
  type ProvisioningContext,
} from '../../../../lib/policy/provisioning/plan';
import { DEFAULT_IMAGE, parseProjectRequest } from '../../../../lib/policy/provisioning/request';
import { diffSpecs, specOfProject } from '../../../../lib/policy/provisioning/spec';
import { PUSH_POLICY_NAME } from '../../../../lib/policy/rules/codebuild/role-can-push';
import { defaultLifecyclePolicy } from '../../../../lib/policy/rules/ecr/lifecycle-policy';
import { ECR_AUTH_ACTION, ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from '../../../../lib/policy/aws-facts';
import { InvalidInputError } from '../../../../lib/policy/validation';
import { ACCOUNT, REGION, guardrailsWith } from '../../../fixtures/builders';
import {
  type Body,
  validBody,
  problemsOf,
  refusalText,
  testGuardrails,
  context,
  plan,
  OWN_REPOSITORY_ARN,
  OWN_REPOSITORY_URI,
  OWN_ROLE_ARN,
  OWN_PROJECT_ARN,
  OWN_LOG_GROUP_ARN,
  statementsOf,
  actionsOf,
  audit,
  expectAllCompliant,
  identityOf,
  validBodyArb,
} from './helpers';

describe('planProvisioning', () => {
  test('creates an immutable, scan-on-push, KMS-encrypted repository tagged as managed', () => {
    const p = plan(validBody({ tags: { team: 'payments' } }));

    expect(p.createRepository).toEqual({
      repositoryName: 'team/app',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
      tags: [
        { Key: 'managed-by', Value: 'buildwarden' },
        { Key: 'team', Value: 'payments' },
      ],
    });
    expect(MANAGED_TAG).toEqual({ key: 'managed-by', value: 'buildwarden' });
  });

  test("puts the guardrails' default lifecycle policy, serialized", () => {
    const guardrails = guardrailsWith('ecr.lifecycle-policy', {
      maxUntaggedAgeDays: 7,
      taggedImages: { maxCount: 50 },
    });

    const p = plan(validBody(), context({ guardrails }));

    expect(p.putLifecyclePolicy).toEqual({
      repositoryName: 'team/app',
      lifecyclePolicyText: serializeLifecyclePolicy(defaultLifecyclePolicy(guardrails)),
    });
    const parsed = parseLifecyclePolicy(p.putLifecyclePolicy.lifecyclePolicyText);
    expect(parsed.ok && parsed.policy.rules.map((r) => r.selection.countNumber)).toEqual([7, 50]);
  });

  test('creates the role in /service-role/, trusted only by CodeBuild for this account and project', () => {
    const p = plan();

    expect(p.createRole).toEqual({
      RoleName: 'buildwarden-team-app',
      Path: '/service-role/',
      AssumeRolePolicyDocument: expect.any(String),
      Tags: [{ Key: 'managed-by', Value: 'buildwarden' }],
    });
    expect(statementsOf(p.createRole.AssumeRolePolicyDocument)).toEqual([
      {
        Sid: 'CodeBuildForThisProject',
        Effect: 'Allow',
        Principal: { Service: 'codebuild.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': OWN_PROJECT_ARN },
        },
      },
    ]);
  });

  test('sets the permissions boundary when one is given', () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;

    const p = plan(validBody(), context({ permissionsBoundaryArn: boundary }));

    expect(p.createRole.PermissionsBoundary).toBe(boundary);
  });

  test('the build policy grants logs on its own log group, the ECR login, and push and cache pull on its repository only', () => {
    const p = plan();

    expect(p.putRolePolicy.RoleName).toBe('buildwarden-team-app');
    expect(p.putRolePolicy.PolicyName).toBe(BUILD_POLICY_NAME);
    expect(BUILD_POLICY_NAME).not.toBe(PUSH_POLICY_NAME);
    expect(statementsOf(p.putRolePolicy.PolicyDocument)).toEqual([
      {
        Sid: 'BuildLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [OWN_LOG_GROUP_ARN, `${OWN_LOG_GROUP_ARN}:*`],
      },
      { Sid: 'EcrLogin', Effect: 'Allow', Action: ECR_AUTH_ACTION, Resource: '*' },
      {
        Sid: 'EcrPushAndCachePull',
        Effect: 'Allow',
        Action: [...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS],
        Resource: OWN_REPOSITORY_ARN,
      },
    ]);
  });

  test('creates a privileged docker-build project that logs to CloudWatch and names its repository', () => {
    const p = plan(
      validBody({
        environmentVariables: [{ name: 'APP_MODE', value: 'release' }],
        tags: [{ key: 'team', value: 'payments' }],
      }),
    );

    expect(p.createProject).toEqual({
      name: 'team-app',
      source: {
        type: 'GITHUB',
        location: 'https://github.com/example/app.git',
        buildspec: defaultBuildspec(),
        gitCloneDepth: 1,
      },
      sourceVersion: 'main',
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: DEFAULT_IMAGE,
        computeType: 'BUILD_GENERAL1_SMALL',
        privilegedMode: true,
        imagePullCredentialsType: 'CODEBUILD',
        environmentVariables: [
          { name: 'AWS_ACCOUNT_ID', value: ACCOUNT, type: 'PLAINTEXT' },
          { name: 'IMAGE_REPO_NAME', value: 'team/app', type: 'PLAINTEXT' },
          { name: 'REPOSITORY_URI', value: OWN_REPOSITORY_URI, type: 'PLAINTEXT' },
          { name: 'APP_MODE', value: 'release', type: 'PLAINTEXT' },
        ],
      },
      serviceRole: OWN_ROLE_ARN,
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: '/aws/codebuild/team-app' } },
      tags: [
        { key: 'managed-by', value: 'buildwarden' },
        { key: 'buildwarden:docker-build', value: 'true' },
        { key: 'buildwarden:repository', value: 'team/app' },
        { key: 'team', value: 'payments' },
      ],
    });
  });

  test('a source without a branch sets no sourceVersion, and non-git sources no clone depth', () => {
    const p = plan(validBody({ source: { type: 'S3', location: 'bucket/app.zip' } }));

    expect(p.createProject).not.toHaveProperty('sourceVersion');
    expect(p.createProject.source).toEqual({
      type: 'S3',
      location: 'bucket/app.zip',
      buildspec: defaultBuildspec(),
    });
  });

  test('reports the ARNs and URI of what it creates', () => {
    expect(plan().resources).toEqual({
      repositoryArn: OWN_REPOSITORY_ARN,
      repositoryUri: OWN_REPOSITORY_URI,
      roleArn: OWN_ROLE_ARN,
      projectArn: OWN_PROJECT_ARN,
    });
  });

  test('uses the partition and its registry domain', () => {
    const p = plan(validBody(), context({ partition: 'aws-cn', region: 'cn-north-1' }));

    expect(p.resources).toEqual({
      repositoryArn: `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/team/app`,
      repositoryUri: `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app`,
      roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/service-role/buildwarden-team-app`,
      projectArn: `arn:aws-cn:codebuild:cn-north-1:${ACCOUNT}:project/team-app`,
    });
  });

  test('provisions in the European Sovereign Cloud, with its region and registry domain', () => {
    const p = plan(validBody(), context({ partition: 'aws-eusc', region: 'eusc-de-east-1' }));

    expect(p.resources.repositoryUri).toBe(`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu/team/app`);
    expect(p.resources.repositoryArn).toBe(`arn:aws-eusc:ecr:eusc-de-east-1:${ACCOUNT}:repository/team/app`);
  });

  test('uses the given KMS key', () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

    const p = plan(validBody(), context({ kmsKeyArn: key }));

    expect(p.createRepository.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: key });
  });

  test('without a key, uses the configured key of its region', () => {
    const keys = [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/eu`, `arn:aws:kms:${REGION}:${ACCOUNT}:key/here`];
    const guardrails = guardrailsWith('ecr.encryption', { kmsKeyArns: keys });

    const p = plan(validBody(), context({ guardrails }));

    expect(p.createRepository.encryptionConfiguration.kmsKey).toBe(keys[1]);
  });

  test('refuses a key the guardrails do not allow', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/ok`],
    });
    const ctx = context({ guardrails, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/other` });

    expect(() => plan(validBody(), ctx)).toThrow(ProvisioningConfigError);
  });

  test('refuses when no configured key is in its region', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/eu`],
    });

    expect(() => plan(validBody(), context({ guardrails }))).toThrow(/no key in us-east-1/);
  });

  test.each([
    [{ accountId: '1234' }, /accountId/],
    [{ region: 'mars' }, /region/],
    [{ partition: 'azure' }, /partition/],
    [{ kmsKeyArn: 'alias/aws/ecr' }, /kmsKeyArn/],
    [{ permissionsBoundaryArn: 'arn:aws:iam::123456789012:role/x' }, /permissionsBoundaryArn/],
  ])('refuses an unusable context %p', (overrides, why) => {
    expect(() => plan(validBody(), context(overrides))).toThrow(ProvisioningConfigError);
    expect(() => plan(validBody(), context(overrides))).toThrow(why);
  });

  test('refuses a variable the configured guardrails read as the target repository', () => {
    const guardrails = defaultGuardrails();
    guardrails.targetRepository.environmentVariables.push('DEPLOY_REPO');
    const request = parseProjectRequest(
      validBody({ environmentVariables: [{ name: 'DEPLOY_REPO', value: 'other' }] }),
    );

    expect(() => planProvisioning(request, context({ guardrails }))).toThrow(InvalidInputError);
  });

  test('an S3 source gets read access to its object and bucket only', () => {
    const p = plan(validBody({ source: { type: 'S3', location: 'src-bucket/app/source.zip' } }));

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))).toEqual([
      {
        Sid: 'ReadSourceObject',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: 'arn:aws:s3:::src-bucket/app/source.zip',
      },
      {
        Sid: 'ReadSourceBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
        Resource: 'arn:aws:s3:::src-bucket',
      },
    ]);
  });

  test('a CodeCommit source gets git pull on its repository only', () => {
    const location = `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app-src`;

    const p = plan(validBody({ source: { type: 'CODECOMMIT', location } }));

    const pull = statementsOf(p.putRolePolicy.PolicyDocument).find((s) => s.Sid === 'ReadSourceRepository');
    expect(pull).toEqual({
      Sid: 'ReadSourceRepository',
      Effect: 'Allow',
      Action: 'codecommit:GitPull',
      Resource: `arn:aws:codecommit:${REGION}:${ACCOUNT}:app-src`,
    });
  });

  test('Parameter Store and Secrets Manager variables get read access to exactly those values', () => {
    const p = plan(
      validBody({
        environmentVariables: [
          { name: 'DB_PASSWORD', value: '/ci/team-app/db/password', type: 'PARAMETER_STORE' },
          { name: 'NPM_TOKEN', value: '/ci/team-app/npm-token', type: 'PARAMETER_STORE' },
          { name: 'GITHUB_TOKEN', value: 'ci/team-app/github:token', type: 'SECRETS_MANAGER' },
          {
            name: 'SIGNING_KEY',
            value: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123:key::`,
            type: 'SECRETS_MANAGER',
          },
        ],
      }),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.find((s) => s.Sid === 'ReadParameters')).toEqual({
      Sid: 'ReadParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: [
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/db/password`,
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/npm-token`,
      ],
    });
    expect(statements.find((s) => s.Sid === 'ReadSecrets')).toEqual({
      Sid: 'ReadSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/github-??????`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123`,
      ],
    });
  });

  test("refuses variables whose read access would overflow IAM's inline policy limit", () => {
    const environmentVariables = Array.from({ length: 60 }, (_, i) => ({
      name: `P${i}`,
      value: `/ci/team-app/very/long/parameter/path/for/this/application/number/${i}/${'x'.repeat(100)}`,
      type: 'PARAMETER_STORE',
    }));
    const request = parseProjectRequest(validBody({ environmentVariables }));

    expect(() => planProvisioning(request, context())).toThrow(/IAM allows 10240/);
  });
});

describe('planProvisioning: references stay inside the project namespaces', () => {
  /** The problems planning refuses a (parsable) body with; fails when it is planned or refused otherwise. */
  function planProblems(body: Body, ctx: ProvisioningContext = context()): string[] {
    const request = parseProjectRequest(body);
    try {
      planProvisioning(request, ctx);
    } catch (error) {
      if (error instanceof InvalidInputError) return error.problems;
      throw error;
    }
    throw new Error('expected the plan to be refused');
  }
  const variables = (...vars: { name: string; value: string; type: string }[]) =>
    validBody({ environmentVariables: vars });
  const OTHER_ACCOUNT = '210987654321';
  const inlineBuildspec = (env: string) =>
    `version: 0.2\nenv:\n${env}\nphases:\n  build:\n    commands: [make]\n`;
  const ALLOWED_PARAMETERS = '(allowed parameter prefixes: /ci/team-app/)';
  const ALLOWED_SECRETS = '(allowed secret prefixes: ci/team-app/)';

  test.each([
    ['a parameter name', 'PARAMETER_STORE', '/ci/team-app/db/password'],
    ['a parameter ARN', 'PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['a secret name with a JSON key', 'SECRETS_MANAGER', 'ci/team-app/github:token'],
    [
      'a secret ARN',
      'SECRETS_MANAGER',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123:key::`,
    ],
  ])('%s inside /ci/{name}/ (the project name team-app) is accepted', (_what, type, value) => {
    const p = plan(variables({ name: 'APP_SECRET', value, type }));

    expect(p.createProject.environment.environmentVariables).toContainEqual({
      name: 'APP_SECRET',
      value,
      type,
    });
  });

  test.each([
    ['a parameter of another project', 'PARAMETER_STORE', '/ci/payments/db-password', ALLOWED_PARAMETERS],
    [
      'a parameter of a project whose name extends it',
      'PARAMETER_STORE',
      '/ci/team-app-prod/x',
      ALLOWED_PARAMETERS,
    ],
    ['a parameter outside /ci/', 'PARAMETER_STORE', '/prod/db/password', ALLOWED_PARAMETERS],
    [
      'a parameter ARN outside',
      'PARAMETER_STORE',
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db`,
      ALLOWED_PARAMETERS,
    ],
    ['a secret of another team', 'SECRETS_MANAGER', 'payments/stripe:key', ALLOWED_SECRETS],
    [
      'a secret ARN outside',
      'SECRETS_MANAGER',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbC123`,
      ALLOWED_SECRETS,
    ],
  ])('%s is refused at its field path, listing the allowed namespaces', (_what, type, value, allowed) => {
    const problems = planProblems(
      variables({ name: 'APP_MODE', value: 'fast', type: 'PLAINTEXT' }, { name: 'APP_SECRET', value, type }),
    );

    const kind = type === 'PARAMETER_STORE' ? 'parameter' : 'secret';
    expect(problems).toEqual([
      `environmentVariables[1].value: ${type} variable APP_SECRET names a ${kind} outside the project's namespaces ${allowed}`,
    ]);
  });

  test.each([
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:parameter/ci/team-app/token`],
    ['PARAMETER_STORE', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/team-app/token`],
    ['PARAMETER_STORE', `arn:aws-us-gov:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:ci/team-app/token-AbC123`],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/team-app/token`],
  ])('a %s ARN in another account, region or partition (%s) is refused', (type, value) => {
    const problems = planProblems(variables({ name: 'APP_SECRET', value, type }));

    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^environmentVariables\\[0\\]\\.value: ${type} variable APP_SECRET names a (parameter|secret) in another account or region: only ${ACCOUNT} in ${REGION} is allowed$`,
        ),
      ),
    ]);
  });

  test.each([
    ['PARAMETER_STORE', '/ci/team-app/*'],
    ['PARAMETER_STORE', '/ci/*'],
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/*`],
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/tok?n`],
    ['SECRETS_MANAGER', 'ci/team-app/*'],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`],
    ['SECRETS_MANAGER', 'ci/team-app/token:*'],
  ])('a %s reference with a wildcard (%s) is refused when the request is read', (type, value) => {
    const problems = problemsOf(variables({ name: 'APP_SECRET', value, type }));

    const kind = type === 'PARAMETER_STORE' ? 'parameter' : 'secret';
    expect(problems).toEqual([
      `environmentVariables[0].value: must name one ${kind}: a wildcard (* or ?) is not allowed anywhere in a reference for ${type} variable APP_SECRET`,
    ]);
  });

  test('every reference outside is listed at once', () => {
    const problems = planProblems(
      validBody({
        environmentVariables: [
          { name: 'A', value: '/prod/a', type: 'PARAMETER_STORE' },
          { name: 'B', value: 'prod/b', type: 'SECRETS_MANAGER' },
        ],
        buildspec: inlineBuildspec('  parameter-store:\n    C: /prod/c'),
      }),
    );

    expect(problems.map((p) => p.slice(0, p.indexOf(' names')))).toEqual([
      'environmentVariables[0].value: PARAMETER_STORE variable A',
      'environmentVariables[1].value: SECRETS_MANAGER variable B',
      'buildspec: env.parameter-store.C',
    ]);
  });

  test('custom prefixes replace the defaults, {name} substituted', () => {
    const guardrails = testGuardrails();
    guardrails.provisioning.parameterPrefixes = ['/builds/{name}/', '/shared/ci/'];
    guardrails.provisioning.secretPrefixes = ['teams/{name}/'];
    const body = variables(
      { name: 'A', value: '/builds/team-app/a', type: 'PARAMETER_STORE' },
      { name: 'B', value: '/shared/ci/b', type: 'PARAMETER_STORE' },
      { name: 'C', value: 'teams/team-app/c', type: 'SECRETS_MANAGER' },
    );

    expect(() => plan(body, context({ guardrails }))).not.toThrow();
    expect(
      planProblems(
        variables({ name: 'D', value: '/ci/team-app/d', type: 'PARAMETER_STORE' }),
        context({ guardrails }),
      ),
    ).toEqual([
      "environmentVariables[0].value: PARAMETER_STORE variable D names a parameter outside the project's namespaces (allowed parameter prefixes: /builds/team-app/, /shared/ci/)",
    ]);
  });

  test('{name} is the CodeBuild project name: team/app reads under /ci/team-app/, not /ci/team/app/', () => {
    const problems = planProblems(variables({ name: 'A', value: '/ci/team/app/a', type: 'PARAMETER_STORE' }));

    expect(problems).toEqual([expect.stringContaining(ALLOWED_PARAMETERS)]);
  });

  test('an S3 source is refused by default: no bucket is a source bucket until configured', () => {
    const guardrails = defaultGuardrails();
    const body = validBody({ source: { type: 'S3', location: 'src-bucket/app.zip' } });

    expect(planProblems(body, context({ guardrails }))).toEqual([
      'source.location: names an S3 bucket that is not a source bucket of the project (allowed source buckets: none)',
    ]);
  });

  test('an S3 source in a configured bucket ({name} substituted) is accepted', () => {
    const guardrails = defaultGuardrails();
    guardrails.provisioning.sourceBuckets = ['src-{name}'];

    const p = plan(
      validBody({ source: { type: 'S3', location: 'src-team-app/app.zip' } }),
      context({ guardrails }),
    );

    expect(p.createProject.source.location).toBe('src-team-app/app.zip');
  });

  test('an S3 source in another project bucket is refused, listing the allowed one', () => {
    const guardrails = defaultGuardrails();
    guardrails.provisioning.sourceBuckets = ['src-{name}'];
    const body = validBody({ source: { type: 'S3', location: 'src-payments/app.zip' } });

    expect(planProblems(body, context({ guardrails }))).toEqual([
      'source.location: names an S3 bucket that is not a source bucket of the project (allowed source buckets: src-team-app)',
    ]);
  });

  test('an S3 location with a wildcard is refused when the request is read', () => {
    expect(problemsOf(validBody({ source: { type: 'S3', location: 'src-bucket/*' } }))).toEqual([
      'source.location: must name one object or folder: a wildcard (* or ?) is not allowed',
    ]);
  });

  test('a CodeCommit repository in another region is refused', () => {
    const location = 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/app';

    expect(planProblems(validBody({ source: { type: 'CODECOMMIT', location } }))).toEqual([
      `source.location: names a CodeCommit repository in another region: only ${REGION} is allowed`,
    ]);
  });

  test('buildspec parameter-store and secrets-manager entries outside are refused by their path', () => {
    const buildspec = inlineBuildspec(
      '  parameter-store:\n    DB: /prod/db/password\n  secrets-manager:\n    TOKEN: payments/stripe:key',
    );

    expect(planProblems(validBody({ buildspec }))).toEqual([
      `buildspec: env.parameter-store.DB names a parameter outside the project's namespaces ${ALLOWED_PARAMETERS}`,
      `buildspec: env.secrets-manager.TOKEN names a secret outside the project's namespaces ${ALLOWED_SECRETS}`,
    ]);
  });

  test('buildspec references with a wildcard are refused when the request is read', () => {
    const buildspec = inlineBuildspec('  parameter-store:\n    ALL: /ci/team-app/*');

    expect(problemsOf(validBody({ buildspec }))).toEqual([
      'buildspec: env.parameter-store.ALL: must name one parameter: a wildcard (* or ?) is not allowed anywhere in a reference',
    ]);
  });

  test.each([
    ['an npm token', 'NPM_TOKEN', 'npm_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5', 'npm-token'],
    ['a password', 'DB_PASSWORD', 'hunter2-but-longer', 'password-literal'],
    ['a Slack token', 'NOTIFY', 'xoxb-' + '153445930147-' + 'Tjy11gGxUW6Cf99YOYwtzG0K', 'slack-token'],
  ])(
    'a buildspec env.variables entry holding %s is refused by its path, never echoing it',
    (_what, name, value, reason) => {
      const text = refusalText(
        validBody({ buildspec: inlineBuildspec(`  variables:\n    ${name}: ${value}`) }),
      );

      expect(text).toContain(
        `buildspec: env.variables.${name} holds what looks like a credential (${reason})`,
      );
      expect(text).not.toContain(value);
    },
  );

  test('buildspec references inside the namespaces are granted exactly, with the variables', () => {
    const buildspec = inlineBuildspec(
      '  parameter-store:\n    DB: /ci/team-app/db\n  secrets-manager:\n    TOKEN: ci/team-app/token:value',
    );

    const p = plan(
      validBody({
        buildspec,
        environmentVariables: [{ name: 'X', value: '/ci/team-app/x', type: 'PARAMETER_STORE' }],
      }),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.find((s) => s.Sid === 'ReadParameters')?.Resource).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/x`,
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/db`,
    ]);
    expect(statements.find((s) => s.Sid === 'ReadSecrets')?.Resource).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/token-??????`,
    ]);
  });

  test('customer managed keys may decrypt exactly those values, only through the service', () => {
    const p = plan(
      variables(
        { name: 'A', value: '/ci/team-app/a', type: 'PARAMETER_STORE' },
        { name: 'B', value: 'ci/team-app/b', type: 'SECRETS_MANAGER' },
      ),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.filter((s) => actionsOf(s).includes('kms:Decrypt'))).toEqual([
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
        Condition: {
          StringEquals: {
            'kms:ViaService': `ssm.${REGION}.amazonaws.com`,
            'kms:EncryptionContext:PARAMETER_ARN': [
              `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/a`,
            ],
          },
        },
      },
      {
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
        Condition: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
          StringLike: {
            'kms:EncryptionContext:SecretARN': [
              `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/b-??????`,
            ],
          },
        },
      },
    ]);
  });

  test('without references the build policy grants no parameter, secret or key at all', () => {
    const actions = statementsOf(plan().putRolePolicy.PolicyDocument).flatMap(actionsOf);

    expect(actions.filter((a) => /^(?:ssm|secretsmanager|kms):/.test(a))).toEqual([]);
  });

  test('the role can read no parameter or secret outside its namespaces, whatever the request', () => {
    const outsideParameter = fc
      .stringMatching(/^\/[a-z]{1,8}(?:\/[a-z0-9-]{1,8}){0,3}$/)
      .filter((name) => !name.startsWith('/ci/team-app/'))
      .map((name) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`);
    const outsideSecret = fc
      .tuple(
        fc.stringMatching(/^[a-z]{1,8}(?:\/[a-z0-9-]{1,8}){0,3}$/),
        fc.stringMatching(/^[A-Za-z0-9]{6}$/),
      )
      .filter(([name]) => !name.startsWith('ci/team-app/'))
      .map(([name, random]) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${random}`);
    // Valid bodies renamed team/app, their references moved to team-app's namespaces.
    const insideBody = validBodyArb.map((body) => ({
      ...body,
      name: 'team/app',
      environmentVariables: (body.environmentVariables as { value: string }[] | undefined)?.map((v) => ({
        ...v,
        value: v.value.replace(/^(\/?ci\/)[^/]+/, '$1team-app'),
      })),
    }));

    fc.assert(
      fc.property(insideBody, outsideParameter, outsideSecret, (body, parameter, secret) => {
        const identity = identityOf(plan(body));
        const read = (action: string, resource: string) =>
          evaluate({ action, resource, principalArn: OWN_ROLE_ARN }, { identity }).decision;
        return (
          read('ssm:GetParameters', parameter) === 'implicit-deny' &&
          read('secretsmanager:GetSecretValue', secret) === 'implicit-deny'
        );
      }),
      { numRuns: 300 },
    );
  });

  test('no parameter or secret resource holds a wildcard but the secret-name suffix', () => {
    fc.assert(
      fc.property(validBodyArb, (body) => {
        const statements = statementsOf(plan(body).putRolePolicy.PolicyDocument);
        const resources = statements
          .filter((s) => s.Sid === 'ReadParameters' || s.Sid === 'ReadSecrets')
          .flatMap((s) => [s.Resource ?? []].flat());
        return resources.every((r) => !/[*?]/.test(r.replace(/-\?{6}$/, '')));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the request token', () => {
  const TOKEN = '8f14e45f-ceea-467f-a0e6-3b1c2d4e5f60';

  test('tags the repository, the role and the project with buildwarden:request in their create calls', () => {
    const p = plan(validBody(), context({ requestToken: TOKEN }));

    expect({
      repository: p.createRepository.tags.filter((t) => t.Key === REQUEST_TOKEN_TAG),
      role: p.createRole.Tags.filter((t) => t.Key === REQUEST_TOKEN_TAG),
      project: p.createProject.tags.filter((t) => t.key === REQUEST_TOKEN_TAG),
    }).toEqual({
      repository: [{ Key: REQUEST_TOKEN_TAG, Value: TOKEN }],
      role: [{ Key: REQUEST_TOKEN_TAG, Value: TOKEN }],
      project: [{ key: REQUEST_TOKEN_TAG, value: TOKEN }],
    });
  });

  test('keeps the managed-by tag beside it', () => {
    const p = plan(validBody(), context({ requestToken: TOKEN }));

    expect(p.createRole.Tags).toEqual([
      { Key: MANAGED_TAG.key, Value: MANAGED_TAG.value },
      { Key: REQUEST_TOKEN_TAG, Value: TOKEN },
    ]);
  });

  test('is left out when the plan is made without one', () => {
    const p = plan();

    expect(JSON.stringify([p.createRepository.tags, p.createRole.Tags, p.createProject.tags])).not.toContain(
      REQUEST_TOKEN_TAG,
    );
  });

  test('is refused when it is not a token', () => {
    expect(() => plan(validBody(), context({ requestToken: 'a b' }))).toThrow(ProvisioningConfigError);
  });

  test('cannot be set by the caller: buildwarden:request is a reserved tag key', () => {
    expect(problemsOf(validBody({ tags: { [REQUEST_TOKEN_TAG]: 'mine' } }))).toEqual([
      `tags.${REQUEST_TOKEN_TAG}: tag keys starting with buildwarden: are buildwarden's own`,
    ]);
  });

  test('makes no difference between two identical requests with different tokens', () => {
    const first = plan(validBody({ tags: { team: 'a' } }), context({ requestToken: TOKEN }));
    const second = plan(validBody({ tags: { team: 'a' } }), context({ requestToken: 'another-token-0001' }));

    expect(diffSpecs(specOfProject(expectedState(first).project), specOf(second))).toEqual([]);
  });

  test('leaves the created resources compliant under every rule', () => {
    expectAllCompliant(audit(plan(validBody(), context({ requestToken: TOKEN }))));
  });
});

/**
 * Compliant by construction: the audit over the state a plan leaves behind finds nothing, and the IAM
 * evaluator allows the created role exactly what a build needs.
 */
import fc from 'fast-check';
import { provisionedRoleBoundary } from '../../../../lib/policy/boundary';
import { defaultGuardrails, RULE_IDS } from '../../../../lib/policy/guardrails';
import { REGISTRY_RULES } from '../../../../lib/policy/rules/index';
import { evaluate } from '../../../../lib/policy/iam/policy-evaluation';
import { expectedState } from '../../../../lib/policy/provisioning/expected-state';
import { BUILD_POLICY_NAME } from '../../../../lib/policy/provisioning/managed-resources';
import { ECR_AUTH_ACTION, ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from '../../../../lib/policy/aws-facts';
import { ACCOUNT, REGION } from '../../../fixtures/builders';
import {
  type Body,
  validBody,
  testGuardrails,
  context,
  plan,
  OWN_REPOSITORY_ARN,
  OWN_REPOSITORY_URI,
  OWN_ROLE_ARN,
  OWN_PROJECT_ARN,
  audit,
  expectAllCompliant,
  managedPolicy,
  identityOf,
  repositoryNameArb,
  validBodyArb,
} from './helpers';

describe('expectedState under the audit: compliant by construction', () => {
  test.each<[string, Body]>([
    ['a GitHub project with defaults', validBody()],
    [
      'an S3 project with secrets, variables and tags',
      validBody({
        name: 'platform/tools/builder',
        source: { type: 'S3', location: 'src-bucket/builder/' },
        computeType: 'BUILD_GENERAL1_LARGE',
        environmentVariables: [
          { name: 'DB_PASSWORD', value: '/ci/platform-tools-builder/db', type: 'PARAMETER_STORE' },
          { name: 'GITHUB_TOKEN', value: 'ci/platform-tools-builder/github', type: 'SECRETS_MANAGER' },
          { name: 'API_TOKEN', value: 'changeme', type: 'PLAINTEXT' },
        ],
        tags: { team: 'platform' },
      }),
    ],
    [
      'a CodeCommit project',
      validBody({
        source: {
          type: 'CODECOMMIT',
          location: `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app`,
        },
      }),
    ],
    [
      'a NO_SOURCE project with an inline buildspec',
      validBody({
        source: { type: 'NO_SOURCE' },
        buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [make]\n',
      }),
    ],
  ])('%s: no violation and nothing not-visible under any rule', (_what, body) => {
    const findings = audit(plan(body));

    expectAllCompliant(findings);
  });

  test('the role passes codebuild.role-can-push for its own repository', () => {
    const findings = audit(plan());

    const canPush = findings.filter((f) => f.ruleId === 'codebuild.role-can-push');
    expect(canPush).toEqual([
      expect.objectContaining({
        status: 'compliant',
        resourceArn: OWN_ROLE_ARN,
        details: expect.objectContaining({ repositoryArn: OWN_REPOSITORY_ARN, missing: [] }),
      }),
    ]);
  });

  test('stays compliant under stricter guardrails (cache pull required, tagged cap, configured key)', () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`;
    const guardrails = defaultGuardrails();
    guardrails.rules['codebuild.role-can-push'].requireCachePull = true;
    guardrails.rules['ecr.lifecycle-policy'].taggedImages = { maxAgeDays: 90 };
    guardrails.rules['ecr.lifecycle-policy'].maxUntaggedAgeDays = 3;
    guardrails.rules['ecr.encryption'].kmsKeyArns = [key];

    const findings = audit(plan(validBody(), context({ guardrails })), guardrails);

    expectAllCompliant(findings);
  });

  test('stays compliant with a permissions boundary that allows what the build does', () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;
    const boundary = managedPolicy(boundaryArn, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ecr:*', 'logs:*'], Resource: '*' }],
    });

    const findings = audit(
      plan(validBody(), context({ permissionsBoundaryArn: boundaryArn })),
      defaultGuardrails(),
      [boundary],
    );

    expectAllCompliant(findings);
  });

  test("stays compliant within the stack's own boundary (ProvisionedRoleBoundary)", () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/buildwarden-prod-ProvisionedRoleBoundary-X1`;
    const guardrails = testGuardrails();
    const boundary = managedPolicy(
      boundaryArn,
      provisionedRoleBoundary(guardrails.provisioning, {
        partition: 'aws',
        region: REGION,
        accountId: ACCOUNT,
        urlSuffix: 'amazonaws.com',
      }),
    );
    const body = validBody({
      environmentVariables: [
        { name: 'DB', value: '/ci/team-app/db', type: 'PARAMETER_STORE' },
        { name: 'TOKEN', value: 'ci/team-app/token', type: 'SECRETS_MANAGER' },
      ],
    });

    const findings = audit(plan(body, context({ permissionsBoundaryArn: boundaryArn })), guardrails, [
      boundary,
    ]);

    expectAllCompliant(findings);
  });

  test('any valid request is compliant by construction', () => {
    fc.assert(
      fc.property(validBodyArb, (body) => {
        const findings = audit(plan(body));
        return (
          findings.every((f) => f.status === 'compliant') &&
          new Set(findings.map((f) => f.ruleId)).size ===
            RULE_IDS.filter((id) => !REGISTRY_RULES.some((r) => r.id === id)).length
        );
      }),
      { numRuns: 150 },
    );
  });

  test('the expected state reads like the AWS read APIs report it', () => {
    const state = expectedState(plan());

    expect(state.repository).toMatchObject({
      repositoryArn: OWN_REPOSITORY_ARN,
      registryId: ACCOUNT,
      repositoryUri: OWN_REPOSITORY_URI,
      imageTagMutability: 'IMMUTABLE',
    });
    expect(state.role).toMatchObject({
      Arn: OWN_ROLE_ARN,
      Path: '/service-role/',
      RolePolicyList: [
        { PolicyName: BUILD_POLICY_NAME, PolicyDocument: expect.objectContaining({ Version: '2012-10-17' }) },
      ],
      AttachedManagedPolicies: [],
    });
    expect(state.project).toMatchObject({
      arn: OWN_PROJECT_ARN,
      timeoutInMinutes: 60,
      queuedTimeoutInMinutes: 480,
      encryptionKey: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/s3`,
      logsConfig: { s3Logs: { status: 'DISABLED' } },
    });
    expect(state.policies).toEqual([]);
  });
});

describe('the created role under the IAM evaluator', () => {
  const identity = () => identityOf(plan());

  test.each([...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS])(
    'is allowed %s on its own repository',
    (action) => {
      const result = evaluate(
        { action, resource: OWN_REPOSITORY_ARN, principalArn: OWN_ROLE_ARN },
        { identity: identity() },
      );

      expect(result.decision).toBe('allowed');
    },
  );

  test('is allowed the ECR login token', () => {
    const result = evaluate(
      { action: ECR_AUTH_ACTION, resource: '*', principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('allowed');
  });

  test('is implicitly denied ecr:PutImage on every other repository', () => {
    const policies = { identity: identity() };
    const otherRepository = fc.oneof(
      repositoryNameArb
        .filter((name) => name !== 'team/app')
        .map((name) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`),
      fc.constantFrom(
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-prod`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app/nested`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/ap`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team`,
        `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team/app`,
        `arn:aws:ecr:${REGION}:210987654321:repository/team/app`,
      ),
    );

    fc.assert(
      fc.property(otherRepository, (resource) => {
        const result = evaluate({ action: 'ecr:PutImage', resource, principalArn: OWN_ROLE_ARN }, policies);
        return result.decision === 'implicit-deny';
      }),
      { numRuns: 500 },
    );
  });

  test.each([OWN_ROLE_ARN, `arn:aws:iam::${ACCOUNT}:role/admin`, '*'])(
    'is denied iam:PassRole on %s',
    (resource) => {
      const result = evaluate(
        { action: 'iam:PassRole', resource, principalArn: OWN_ROLE_ARN },
        { identity: identity() },
      );

      expect(result.decision).toBe('implicit-deny');
    },
  );

  test.each([
    'ecr:BatchDeleteImage',
    'ecr:DeleteRepository',
    'ecr:SetRepositoryPolicy',
    'ecr:PutLifecyclePolicy',
  ])('is denied %s on its own repository', (action) => {
    const result = evaluate(
      { action, resource: OWN_REPOSITORY_ARN, principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('implicit-deny');
  });

  test("is denied writing another project's logs", () => {
    const resource = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/other:log-stream:x`;

    const result = evaluate(
      { action: 'logs:PutLogEvents', resource, principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('implicit-deny');
  });
});

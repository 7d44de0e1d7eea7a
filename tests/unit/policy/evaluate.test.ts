import { evaluateAccount } from '../../../lib/policy/evaluate';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { projectSchema, roleSchema } from '../../../lib/policy/model';
import { ACCOUNT, accountView, NOW, REGION, repository } from '../../fixtures/builders';

const mutable = (name: string, tags: { Key: string; Value: string }[] = []) =>
  repository(name, { imageTagMutability: 'MUTABLE', tags });

function findingOf(name: string, tags: { Key: string; Value: string }[] = [], config = '') {
  const findings = evaluateAccount(
    accountView({ repositories: [mutable(name, tags)] }),
    parseGuardrails(config),
    {
      now: NOW,
      ruleIds: ['ecr.tag-immutability'],
    },
  );
  return findings[0]!;
}

describe('evaluating an account', () => {
  test('a violation carries the rule severity from config', () => {
    const finding = findingOf('a', [], 'rules:\n  ecr.tag-immutability:\n    severity: low\n');

    expect(finding).toMatchObject({
      status: 'violation',
      severity: 'low',
      resourceType: 'AWS::ECR::Repository',
    });
  });

  test('tag buildwarden:exempt=* exempts the repository from every rule, still reporting the finding', () => {
    const finding = findingOf('a', [{ Key: 'buildwarden:exempt', Value: '*' }]);

    expect(finding.status).toBe('exempt');
    expect(finding.remediable).toBe(false);
    expect(finding.details?.exemption).toBe('tag buildwarden:exempt=*');
  });

  test('tag buildwarden:exempt with a list of rule ids exempts only those rules', () => {
    const listed = findingOf('a', [
      { Key: 'buildwarden:exempt', Value: 'ecr.encryption, ecr.tag-immutability' },
    ]);
    const other = findingOf('a', [{ Key: 'buildwarden:exempt', Value: 'ecr.encryption' }]);

    expect(listed.status).toBe('exempt');
    expect(other.status).toBe('violation');
  });

  test('a config exemption by repository-name pattern exempts matching repositories', () => {
    const config = "exemptions:\n  - repositories: ['legacy/*']\n    reason: vendor images\n";

    expect(findingOf('legacy/x', [], config).status).toBe('exempt');
    expect(findingOf('current/x', [], config).status).toBe('violation');
  });

  test('a config exemption limited to other rules does not apply', () => {
    const config =
      "exemptions:\n  - repositories: ['*']\n    rules: [ecr.encryption]\n    reason: migration\n";

    expect(findingOf('a', [], config).status).toBe('violation');
  });

  test('compliant findings stay compliant on exempt resources', () => {
    const findings = evaluateAccount(
      accountView({ repositories: [repository('a', { tags: [{ Key: 'buildwarden:exempt', Value: '*' }] })] }),
      parseGuardrails(''),
      { now: NOW, ruleIds: ['ecr.tag-immutability'] },
    );

    expect(findings[0]!.status).toBe('compliant');
  });

  test('findings are ordered worst first', () => {
    const view = accountView({
      repositories: [
        repository('ok'),
        repository('bad', {
          imageTagMutability: 'MUTABLE',
          repositoryPolicyText: JSON.stringify({
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
          }),
        }),
      ],
    });

    const findings = evaluateAccount(view, parseGuardrails(''), { now: NOW });

    expect(findings[0]).toMatchObject({
      status: 'violation',
      severity: 'critical',
      ruleId: 'ecr.repository-policy',
    });
    expect(findings[findings.length - 1]!.status).toBe('compliant');
  });
});

describe('evaluating an account: references outside the project namespaces', () => {
  const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service-role/app-build`;

  function project(variables: { name: string; value: string; type: string }[], buildspec?: string) {
    return projectSchema().parse({
      name: 'app',
      arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/app`,
      source: {
        type: 'GITHUB',
        location: 'https://github.com/example/app',
        ...(buildspec ? { buildspec } : {}),
      },
      environment: { type: 'LINUX_CONTAINER', privilegedMode: false, environmentVariables: variables },
      serviceRole: ROLE_ARN,
    });
  }
  /** A role (not created by buildwarden) allowed to read parameters and secrets matching `resources`. */
  const reading = (...resources: string[]) =>
    roleSchema().parse({
      RoleName: 'app-build',
      Arn: ROLE_ARN,
      RolePolicyList: [
        {
          PolicyName: 'secrets',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['ssm:GetParameters', 'secretsmanager:GetSecretValue'],
                Resource: resources,
              },
            ],
          },
        },
      ],
    });
  const readsEverything = reading('*');
  const PARAMETERS = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter`;
  const SECRETS = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret`;
  function leastPrivilege(p: ReturnType<typeof project>, config = '', role = readsEverything) {
    const findings = evaluateAccount(accountView({ projects: [p], roles: [role] }), parseGuardrails(config), {
      now: NOW,
      ruleIds: ['codebuild.role-least-privilege'],
    });
    return findings[0]!;
  }

  test("a variable naming another team's parameter makes the role's finding a violation", () => {
    const finding = leastPrivilege(
      project([{ name: 'DB', value: '/prod/db/password', type: 'PARAMETER_STORE' }]),
    );

    expect(finding).toMatchObject({ status: 'violation', resourceArn: ROLE_ARN });
    expect(finding.message).toContain(
      "can read parameter /prod/db/password (ssm:GetParameters), which project app references in environmentVariables[DB] and which is outside the project's namespaces (allowed parameter prefixes: /ci/app/)",
    );
  });

  test("an inline buildspec's secrets-manager entry outside the namespaces is reported the same way", () => {
    const buildspec = 'version: 0.2\nenv:\n  secrets-manager:\n    KEY: payments/stripe:key\nphases: {}\n';

    const finding = leastPrivilege(project([], buildspec));

    expect(finding.status).toBe('violation');
    expect(finding.message).toContain('which project app references in buildspec env.secrets-manager.KEY');
  });

  test('references inside the namespaces of the project (named after it) are not excess', () => {
    const buildspec = 'version: 0.2\nenv:\n  secrets-manager:\n    KEY: ci/app/key\nphases: {}\n';
    const role = reading(`${PARAMETERS}/ci/app/*`, `${SECRETS}:ci/app/*`);

    const finding = leastPrivilege(
      project([{ name: 'DB', value: '/ci/app/db', type: 'PARAMETER_STORE' }], buildspec),
      '',
      role,
    );

    expect(finding.status).toBe('compliant');
  });

  test('a role that may read every parameter and secret is excess even when no project names one outside', () => {
    const finding = leastPrivilege(project([]));

    expect(finding.status).toBe('violation');
    expect(finding.message).toContain(
      'allows reading parameters (ssm:GetParameters) beyond the namespaces of its projects (allowed parameter prefixes: /ci/app/): *',
    );
    expect(finding.message).toContain(
      'allows reading secrets (secretsmanager:GetSecretValue) beyond the namespaces of its projects (allowed secret prefixes: ci/app/): *',
    );
  });

  test.each([
    ['a shorter path', `${PARAMETERS}/ci/*`],
    ['another project', `${PARAMETERS}/ci/web/*`],
    ['another account', `arn:aws:ssm:${REGION}:210987654321:parameter/ci/app/*`],
    ['any region', `arn:aws:ssm:*:${ACCOUNT}:parameter/ci/app/*`],
  ])('a wildcard grant reaching %s is excess', (_what, resource) => {
    const finding = leastPrivilege(project([]), '', reading(resource));

    expect(finding.status).toBe('violation');
  });

  test('the configured namespaces apply to projects buildwarden did not create', () => {
    const p = project([{ name: 'DB', value: '/prod/db/password', type: 'PARAMETER_STORE' }]);
    const role = reading(`${PARAMETERS}/prod/*`);

    const underDefaults = leastPrivilege(p, '', role);
    const configured = leastPrivilege(p, "provisioning:\n  parameterPrefixes: ['/prod/']\n", role);

    expect(underDefaults.status).toBe('violation');
    expect(configured.status).toBe('compliant');
  });
});

/**
 * Objects whose details could not be read (a failed call, or an answer that does not fit the schema) are
 * judged not-visible, never compliant, and only they are: a malformed managed policy hides only the roles that
 * use it, naming the policy and the field on one line.
 */
import { evaluateAccount } from '../../../lib/policy/evaluate';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import {
  managedPolicySchema,
  projectSchema,
  roleSchema,
  type ManagedPolicy,
  type Project,
  type Role,
} from '../../../lib/policy/model';
import { awsSample } from '../../fixtures/load';
import { accountView, ACCOUNT, NOW, REGION, repository } from '../../fixtures/builders';

const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/build-extras`;
const UNREADABLE_POLICY = {
  call: 'iam:GetAccountAuthorizationDetails',
  error: 'PolicyName: Invalid input: expected string, received undefined',
};

const pushStatement = () =>
  awsSample<{ Statement: unknown[] }>('codebuild-service-role-ecr-push-statement.current-docs.json');
const trust = () => {
  const t = awsSample<{ Statement: Record<string, unknown>[] }>('codebuild-service-role-trust-policy.json');
  t.Statement[0]!.Condition = { StringEquals: { 'aws:SourceAccount': ACCOUNT } };
  return t;
};

function role(name: string, attached: string[] = []): Role {
  return roleSchema().parse({
    RoleName: name,
    Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`,
    AssumeRolePolicyDocument: trust(),
    RolePolicyList: [{ PolicyName: 'push', PolicyDocument: pushStatement() }],
    AttachedManagedPolicies: attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })),
  });
}

function project(name: string, roleName: string): Project {
  const base = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[0]!;
  return projectSchema().parse({
    ...base,
    name,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`,
    serviceRole: `arn:aws:iam::${ACCOUNT}:role/service-role/${roleName}`,
    environment: {
      ...(base.environment as object),
      privilegedMode: true,
      environmentVariables: [{ name: 'IMAGE_REPO_NAME', value: 'team/app', type: 'PLAINTEXT' }],
    },
  });
}

function unreadablePolicy(): ManagedPolicy {
  return managedPolicySchema().parse({
    PolicyName: '',
    Arn: POLICY_ARN,
    PolicyVersionList: [],
    unreadable: { ...UNREADABLE_POLICY, object: { Arn: POLICY_ARN } },
  });
}

const findingsOf = (view: ReturnType<typeof accountView>) =>
  evaluateAccount(view, defaultGuardrails(), { now: NOW });

describe('a managed policy that could not be read', () => {
  const view = () =>
    accountView({
      repositories: [repository('team/app')],
      projects: [project('uses-it', 'with-policy'), project('does-not', 'without-policy')],
      roles: [role('with-policy', [POLICY_ARN]), role('without-policy')],
      policies: [unreadablePolicy()],
    });

  test('makes role-can-push and role-least-privilege of the role using it not-visible', () => {
    const findings = findingsOf(view()).filter((f) => f.resourceArn.endsWith('/with-policy'));

    expect(
      findings
        .filter((f) => f.ruleId !== 'codebuild.role-trust-policy')
        .map((f) => [f.ruleId, f.status])
        .sort(),
    ).toEqual([
      ['codebuild.role-can-push', 'not-visible'],
      ['codebuild.role-least-privilege', 'not-visible'],
    ]);
  });

  test('names the policy, the call and the field, on one line', () => {
    const finding = findingsOf(view()).find(
      (f) => f.resourceArn.endsWith('/with-policy') && f.ruleId === 'codebuild.role-can-push',
    )!;

    expect(finding.message).toBe(
      `role with-policy: managed policy ${POLICY_ARN} could not be read ` +
        '(iam:GetAccountAuthorizationDetails: PolicyName: Invalid input: expected string, received undefined)',
    );
    expect(finding.message).not.toMatch(/\n/);
  });

  test('still judges the trust policy of the role using it', () => {
    const trustFinding = findingsOf(view()).find(
      (f) => f.resourceArn.endsWith('/with-policy') && f.ruleId === 'codebuild.role-trust-policy',
    )!;

    expect(trustFinding.status).toBe('compliant');
  });

  test('leaves the roles that do not use it judged as usual', () => {
    const findings = findingsOf(view()).filter((f) => f.resourceArn.endsWith('/without-policy'));

    expect(findings.map((f) => f.status)).not.toContain('not-visible');
    expect(findings.find((f) => f.ruleId === 'codebuild.role-can-push')!.status).toBe('compliant');
  });

  test('as a permissions boundary makes the role not-visible too', () => {
    const bounded = roleSchema().parse({
      ...role('bounded'),
      PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: POLICY_ARN },
    });
    const findings = findingsOf(
      accountView({
        repositories: [repository('team/app')],
        projects: [project('p', 'bounded')],
        roles: [bounded],
        policies: [unreadablePolicy()],
      }),
    );

    expect(findings.find((f) => f.ruleId === 'codebuild.role-can-push')!.status).toBe('not-visible');
  });
});

describe('a role that could not be read', () => {
  test('is not-visible for every role rule, with the reason', () => {
    const broken: Role = {
      RoleName: 'broken',
      Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/broken`,
      RolePolicyList: [],
      AttachedManagedPolicies: [],
      unreadable: {
        call: 'iam:GetAccountAuthorizationDetails',
        error: 'RolePolicyList[0].PolicyDocument: policy document is not valid JSON',
      },
    };

    const findings = findingsOf(
      accountView({
        repositories: [repository('team/app')],
        projects: [project('p', 'broken')],
        roles: [broken],
      }),
    ).filter((f) => f.resourceType === 'AWS::IAM::Role');

    expect(findings.map((f) => f.status)).toEqual(['not-visible', 'not-visible', 'not-visible']);
    expect(findings[0]!.message).toBe(
      'service role broken could not be read (iam:GetAccountAuthorizationDetails: ' +
        'RolePolicyList[0].PolicyDocument: policy document is not valid JSON)',
    );
  });
});

describe('a project that could not be read', () => {
  test('is not-visible for every project rule, with the reason', () => {
    const odd: Project = {
      name: 'odd',
      arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/odd`,
      unreadable: {
        call: 'codebuild:BatchGetProjects',
        error: 'environment.environmentVariables[0].type: x',
      },
    };

    const findings = findingsOf(accountView({ projects: [odd] })).filter(
      (f) => f.resourceType === 'AWS::CodeBuild::Project',
    );

    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.status))).toEqual(new Set(['not-visible']));
    expect(findings[0]!.message).toBe(
      'project odd could not be read (codebuild:BatchGetProjects: environment.environmentVariables[0].type: x)',
    );
  });
});

describe('a repository whose details could not be read', () => {
  test('is not-visible for the rules that need its details, never compliant', () => {
    const denied = repository('team/denied', {
      lifecyclePolicyText: undefined,
      unreadable: { call: 'ecr:GetRepositoryPolicy', error: 'AccessDeniedException: denied' },
    });

    const findings = findingsOf(accountView({ repositories: [denied] }));

    const byRule = Object.fromEntries(findings.map((f) => [f.ruleId, f]));
    expect(byRule['ecr.repository-policy']!.status).toBe('not-visible');
    expect(byRule['ecr.lifecycle-policy']!.status).toBe('not-visible');
    expect(byRule['ecr.repository-policy']!.message).toBe(
      'repository details could not be read (ecr:GetRepositoryPolicy: AccessDeniedException: denied)',
    );
  });
});

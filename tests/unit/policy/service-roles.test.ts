/** The project → role → repository join in evaluateAccount. */
import { evaluateAccount } from '../../../lib/policy/evaluate';
import { parseGuardrails, RULE_IDS } from '../../../lib/policy/guardrails';
import { parseSnapshot, viewOfSnapshot } from '../../../lib/policy/snapshot';
import { projectSchema, roleSchema, type Project, type Role } from '../../../lib/policy/model';
import { awsSample, loadText } from '../../fixtures/load';
import { accountView, ACCOUNT, NOW, REGION, repository } from '../../fixtures/builders';

const pushStatement = () =>
  awsSample<{ Statement: unknown[] }>('codebuild-service-role-ecr-push-statement.current-docs.json');
const trust = () => {
  const t = awsSample<{ Statement: Record<string, unknown>[] }>('codebuild-service-role-trust-policy.json');
  t.Statement[0]!.Condition = { StringEquals: { 'aws:SourceAccount': ACCOUNT } };
  return t;
};

function role(name: string, inline: unknown[] = []): Role {
  return roleSchema().parse({
    RoleName: name,
    Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`,
    AssumeRolePolicyDocument: trust(),
    RolePolicyList: inline.map((doc, i) => ({ PolicyName: `p${i}`, PolicyDocument: doc })),
  });
}

function project(name: string, roleName: string, repositoryName?: string): Project {
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
      environmentVariables: repositoryName
        ? [{ name: 'IMAGE_REPO_NAME', value: repositoryName, type: 'PLAINTEXT' }]
        : [],
    },
    tags: [{ key: 'buildwarden:docker-build', value: 'true' }],
  });
}

const roleFindings = (view: ReturnType<typeof accountView>, config = '') =>
  evaluateAccount(view, parseGuardrails(config), { now: NOW }).filter(
    (f) => f.resourceType === 'AWS::IAM::Role',
  );

describe('service-role join', () => {
  test("the AWS docker sample's push statement passes role-can-push for the project's repository", () => {
    const view = accountView({
      repositories: [repository('team/app')],
      projects: [project('p', 'r', 'team/app')],
      roles: [role('r', [pushStatement()])],
    });

    const canPush = roleFindings(view).find((f) => f.ruleId === 'codebuild.role-can-push')!;

    expect(canPush.status).toBe('compliant');
    expect(canPush.details?.projects).toEqual(['p']);
  });

  test('a role shared by two projects pushing to two repositories is judged once per repository', () => {
    const view = accountView({
      repositories: [repository('team/a'), repository('team/b')],
      projects: [
        project('p1', 'shared', 'team/a'),
        project('p2', 'shared', 'team/b'),
        project('p3', 'shared', 'team/a'),
      ],
      roles: [role('shared', [pushStatement()])],
    });

    const findings = roleFindings(view);

    const canPush = findings.filter((f) => f.ruleId === 'codebuild.role-can-push');
    expect(canPush.map((f) => f.details?.repositoryArn).sort()).toEqual([
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/a`,
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/b`,
    ]);
    expect(
      canPush.find((f) => String(f.details?.repositoryArn).endsWith('/team/a'))!.details?.projects,
    ).toEqual(['p1', 'p3']);
    expect(findings.filter((f) => f.ruleId === 'codebuild.role-trust-policy')).toHaveLength(1);
    expect(findings.filter((f) => f.ruleId === 'codebuild.role-least-privilege')).toHaveLength(1);
  });

  test('a project whose target repository cannot be determined gets a not-visible role-can-push finding', () => {
    const view = accountView({ projects: [project('p', 'r')], roles: [role('r', [pushStatement()])] });

    const canPush = roleFindings(view).find((f) => f.ruleId === 'codebuild.role-can-push')!;

    expect(canPush.status).toBe('not-visible');
    expect(canPush.message).toMatch(/target repository of p is unknown/);
  });

  test('a service role absent from the IAM data is not visible under every role rule, never harmless', () => {
    const view = accountView({
      repositories: [repository('team/a')],
      projects: [project('p', 'ghost', 'team/a')],
      roles: [],
    });

    const findings = roleFindings(view);

    expect(findings.map((f) => [f.ruleId, f.status]).sort()).toEqual([
      ['codebuild.role-can-push', 'not-visible'],
      ['codebuild.role-least-privilege', 'not-visible'],
      ['codebuild.role-trust-policy', 'not-visible'],
    ]);
  });

  test('a role is exempt only when every project using it is exempt', () => {
    const exempt = project('legacy-a', 'r', 'team/a');
    exempt.tags = [...(exempt.tags ?? []), { key: 'buildwarden:exempt', value: '*' }];
    const view = accountView({
      repositories: [repository('team/a')],
      projects: [exempt, project('current', 'r', 'team/a')],
      roles: [role('r')],
    });

    const canPush = roleFindings(view).find((f) => f.ruleId === 'codebuild.role-can-push')!;

    expect(canPush.status).toBe('violation');
  });

  test('the demo account shows at least one violation of every rule', () => {
    const view = viewOfSnapshot(parseSnapshot(loadText('../../demo/account.json')));

    const findings = evaluateAccount(view, parseGuardrails(loadText('../../demo/guardrails.yml')), {
      now: NOW,
    });

    const violated = new Set(findings.filter((f) => f.status === 'violation').map((f) => f.ruleId));
    expect([...violated].sort()).toEqual([...RULE_IDS].sort());
  });
});

describe('service-role exemptions', () => {
  test('a role tag exempts the role from the rules it names', () => {
    const tagged = role('r');
    tagged.Tags = [{ Key: 'buildwarden:exempt', Value: 'codebuild.role-can-push' }];
    const view = accountView({
      repositories: [repository('team/a')],
      projects: [project('p', 'r', 'team/a')],
      roles: [tagged],
    });

    const canPush = roleFindings(view).find((f) => f.ruleId === 'codebuild.role-can-push')!;

    expect(canPush.status).toBe('exempt');
    expect(canPush.details?.exemption).toBe('role tag buildwarden:exempt=codebuild.role-can-push');
  });
});

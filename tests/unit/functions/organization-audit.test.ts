/**
 * The organization audit's three functions end to end (the state machine's tasks): the real handlers, runtime,
 * use cases and adapters, every SDK client mocked at the class. orgTargets lists the organization and keeps the
 * run's targets; orgAuditShard audits one account-region (the hub's own with its own credentials, a member's
 * through its role, assumed with the external id) into the runs bucket; orgSummary streams the run and
 * publishes one notification.
 */
import { Readable } from 'node:stream';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSServiceException } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import { describeRepositoriesSample } from '../../fixtures/ecr/sdk-responses';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';
import { answerAsRepositoriesOnly } from '../../fixtures/live-account';

const { ecr, sts, sns, codebuild, iam, organizations, s3 } = lambda.sdk;

/** The hub: the account and region of the official describe-repositories sample's ARNs. */
const HUB = '012345678910';
const REGION = 'us-west-2';
const MEMBER = '222222222222';
const BUCKET = 'buildwarden-prod-runsbucket-1a2b3c';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${HUB}:buildwarden-notifications`;
const RUN = 'run-2026-12-07';

const env = (): lambda.LambdaEnv => ({
  AWS_REGION: REGION,
  BUILDWARDEN_STAGE: 'prod',
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  BUILDWARDEN_RUNS_BUCKET: BUCKET,
  BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id',
});

/** What PutObject was sent, by key. */
const putBodies = () =>
  new Map(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key!, String(c.args[0].input.Body)]));

beforeEach(() => {
  lambda.sdk.resetAll();
  sts.on(GetCallerIdentityCommand).resolves({ Account: HUB, Arn: `arn:aws:sts::${HUB}:assumed-role/x/y` });
  s3.on(PutObjectCommand).resolves({});
  answerAsRepositoriesOnly({ ecr, codebuild, iam, organizations }, HUB);
  ecr.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());
});

describe('orgTargets', () => {
  const coldStart = () => lambda.coldStart(() => import('../../../functions/org-targets'), env());

  test('lists the ACTIVE accounts in the deployment’s region and keeps them as the run’s targets.json', async () => {
    // Prepare
    organizations
      .on(ListAccountsCommand)
      .resolves(awsSample('api-organizations-list-accounts.aws-cli-example.json'));
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN });

    // Assess
    const targets = ['111111111111', '222222222222', '333333333333', '444444444444'].map((accountId) => ({
      accountId,
      region: REGION,
    }));
    expect(result).toEqual({ runId: RUN, targets });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: `runs/${RUN}/targets.json`,
    });
    expect(JSON.parse(putBodies().get(`runs/${RUN}/targets.json`)!)).toEqual(targets);
  });

  test('an input without a valid run id is dropped naming the field, before any call', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: '../escape' });

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('runId') });
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('orgAuditShard', () => {
  const coldStart = () => lambda.coldStart(() => import('../../../functions/org-audit-shard'), env());

  test('audits the hub’s own account and region with its own credentials, into <run>/<account>/<region>.jsonl', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN, target: { accountId: HUB, region: REGION } });

    // Assess
    expect(result).toMatchObject({ runId: RUN, more: false, repositories: 2 });
    expect(sts).not.toHaveReceivedCommand(AssumeRoleCommand);
    const lines = putBodies().get(`runs/${RUN}/${HUB}/${REGION}.jsonl`)!.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((l) => (JSON.parse(l) as { resourceArn: string }).resourceArn)).toContain(
      `arn:aws:ecr:${REGION}:${HUB}:repository/ubuntu`,
    );
  });

  test('a member account is read through its member role, assumed with the external id', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN, target: { accountId: MEMBER, region: 'eu-west-1' } });

    // Assess
    expect(result).toMatchObject({ more: false });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/buildwarden-member`,
      ExternalId: 'org-external-id',
    });
    expect(putBodies().has(`runs/${RUN}/${MEMBER}/eu-west-1.jsonl`)).toBe(true);
  });

  test('a member role that cannot be assumed is one not-visible finding; the task succeeds', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: {},
        message: 'not authorized to perform sts:AssumeRole',
      }),
    );
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN, target: { accountId: MEMBER, region: 'eu-west-1' } });

    // Assess
    expect(result).toMatchObject({ more: false, counts: { 'not-visible': 1, violation: 0 } });
    expect(ecr.calls()).toHaveLength(0);
    const lines = putBodies().get(`runs/${RUN}/${MEMBER}/eu-west-1.jsonl`)!.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as { ruleId: string; status: string })).toEqual([
      expect.objectContaining({ ruleId: 'organization.account-audited', status: 'not-visible' }),
    ]);
  });

  test('an input without a target account is dropped naming the field', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN, target: { region: REGION } });

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('target.accountId') });
  });
});

describe('orgSummary', () => {
  const coldStart = () => lambda.coldStart(() => import('../../../functions/org-summary'), env());

  test('streams the run’s findings and publishes one organization-wide notification', async () => {
    // Prepare
    const finding = {
      ruleId: 'ecr.scan-on-push',
      resourceType: 'AWS::ECR::Repository',
      resourceArn: `arn:aws:ecr:${REGION}:${MEMBER}:repository/app`,
      status: 'violation',
      severity: 'high',
      message: 'scan on push is off',
      remediable: true,
      accountId: MEMBER,
      region: REGION,
    };
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: `runs/${RUN}/targets.json` }, { Key: `runs/${RUN}/${MEMBER}/${REGION}.jsonl` }],
    });
    s3.on(GetObjectCommand, { Key: `runs/${RUN}/targets.json` }).callsFake(() => ({
      Body: Readable.from([JSON.stringify([{ accountId: MEMBER, region: REGION }])]),
    }));
    s3.on(GetObjectCommand, { Key: `runs/${RUN}/${MEMBER}/${REGION}.jsonl` }).callsFake(() => ({
      Body: Readable.from([`${JSON.stringify(finding)}\n`]),
    }));
    organizations.on(ListAccountsCommand).resolves({ Accounts: [] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { handler } = await coldStart();

    // Act
    const result = await handler({ runId: RUN });

    // Assess
    expect(result).toMatchObject({ runId: RUN, accounts: 1, byStatus: { violation: 1 }, notAudited: 0 });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN });
  });
});

/**
 * The change-event Lambda end to end: the real handler, runtime, use case and adapters, with every SDK client it
 * uses (ECR, IAM, CodeBuild, Organizations, STS, SNS, and DynamoDB for the idempotency records) mocked at the
 * class. The idempotency table is a small in-memory fake behind the DynamoDB mock, so a second delivery of an
 * event meets the record the first one left. Every test is a fresh cold start (config and account are cached at
 * module scope in lib/runtime/lambda.ts and compose.ts), with the environment set before the handler module is loaded.
 */
import path from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRServiceException,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  SetRepositoryPolicyCommand,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import {
  BatchGetProjectsCommand,
  ListProjectsCommand,
  type Project as SdkProject,
} from '@aws-sdk/client-codebuild';
import {
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AccessDeniedException,
  DescribeOrganizationCommand,
  ListAccountsCommand,
} from '@aws-sdk/client-organizations';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import { cliRepositories, sdkRepository } from '../../fixtures/ecr/sdk-responses';
import * as lambda from '../../fixtures/lambda';
import { awsSample, loadJson } from '../../fixtures/load';

const {
  ecr: ecrMock,
  iam: iamMock,
  sts: stsMock,
  sns: snsMock,
  dynamo: dynamoMock,
  codebuild: codebuildMock,
  organizations: organizationsMock,
} = lambda.sdk;

/** The account and region of the event files in events/. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;
const REMEDIATION_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/buildwarden-test-onChange`;
const IDEMPOTENCY_TABLE = 'buildwarden-test-idempotency';
const FINDINGS_TABLE = 'buildwarden-test-findings';

const WRITE_COMMANDS = new Set([
  'PutLifecyclePolicyCommand',
  'PutImageScanningConfigurationCommand',
  'PutRegistryScanningConfigurationCommand',
  'PutImageTagMutabilityCommand',
  'SetRepositoryPolicyCommand',
  'DeleteRepositoryPolicyCommand',
  'PutRolePolicyCommand',
  'DetachRolePolicyCommand',
]);

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
async function coldStart(env: lambda.LambdaEnv = {}) {
  const { handler } = await lambda.coldStart(() => import('../../../functions/on-change'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
    BUILDWARDEN_REMEDIATION_ROLE_ARN: REMEDIATION_ROLE_ARN,
    BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
    BUILDWARDEN_FINDINGS_TABLE: FINDINGS_TABLE,
    ...env,
  });
  return handler;
}

type Item = Record<string, AttributeValue>;

/**
 * The idempotency table as DynamoDB keeps it for the Powertools persistence layer: PutItem claims a key unless a
 * record exists (then ConditionalCheckFailedException with the old item, as ReturnValuesOnConditionCheckFailure
 * ALL_OLD returns it), UpdateItem completes the record, DeleteItem releases it.
 */
function givenIdempotencyTable(): Map<string, Item> {
  const items = new Map<string, Item>();
  dynamoMock.on(PutItemCommand).callsFake((input: { Item: Item }) => {
    const id = input.Item.id!.S!;
    const existing = items.get(id);
    if (existing) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: existing,
      });
    }
    items.set(id, { ...input.Item });
    return {};
  });
  dynamoMock.on(UpdateItemCommand).callsFake((input: { Key: Item; ExpressionAttributeValues: Item }) => {
    const item = items.get(input.Key.id!.S!)!;
    const values = input.ExpressionAttributeValues;
    item.status = values[':status']!;
    item.expiration = values[':expiry']!;
    if (values[':response_data']) item.data = values[':response_data'];
    return {};
  });
  dynamoMock.on(DeleteItemCommand).callsFake((input: { Key: Item }) => {
    items.delete(input.Key.id!.S!);
    return {};
  });
  return items;
}

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;

function eventFile(name: string): RawEvent {
  return loadJson<RawEvent>(path.join('..', '..', 'events', name));
}

/** The official describe-repositories item, moved to `name` in the test account, with `overrides`. */
function sdkRepositoryNamed(name: string, overrides: Partial<SdkRepository> = {}): SdkRepository {
  return sdkRepository({
    ...cliRepositories()[0]!,
    registryId: ACCOUNT,
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
    repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
    encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1` },
    ...overrides,
  } as Parameters<typeof sdkRepository>[0]);
}

const GOOD_LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Expire untagged images after 7 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    },
  ],
});

/** The account around the repository under test: STS, registry scanning, images, tags, SNS. */
function givenAccount(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-test-onChange',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onChange/buildwarden-test-onChange`,
  });
  ecrMock
    .on(GetRegistryScanningConfigurationCommand)
    .resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'BASIC', rules: [] } });
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
  ecrMock
    .on(GetRepositoryPolicyCommand)
    .rejects(
      new RepositoryPolicyNotFoundException({ message: 'Repository policy does not exist', $metadata: {} }),
    );
  ecrMock.on(PutLifecyclePolicyCommand).resolves({});
  ecrMock.on(PutImageScanningConfigurationCommand).resolves({});
  ecrMock.on(PutImageTagMutabilityCommand).resolves({});
  ecrMock.on(SetRepositoryPolicyCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
  givenIdempotencyTable();
}

/** web/frontend as the demo has it: MUTABLE, scan on push off, no lifecycle policy. */
function givenMutableWebFrontendWithoutLifecyclePolicy(): void {
  givenAccount();
  ecrMock.on(DescribeRepositoriesCommand, { repositoryNames: ['web/frontend'] }).resolves({
    repositories: [
      sdkRepositoryNamed('web/frontend', {
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: false },
      }),
    ],
  });
  ecrMock
    .on(GetLifecyclePolicyCommand)
    .rejects(
      new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist', $metadata: {} }),
    );
}

const PUBLIC_PULL = {
  Sid: 'AllowPull',
  Effect: 'Allow',
  Principal: '*',
  Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
};
const CI_PUSH = {
  Sid: 'CiPush',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/web-build-role` },
  Action: ['ecr:PutImage'],
};

/** web/legacy-cache compliant in every way but its repository policy, which opens pulls to everyone. */
function givenLegacyCacheWithPublicPolicy(): void {
  givenAccount();
  ecrMock.on(DescribeRepositoriesCommand, { repositoryNames: ['web/legacy-cache'] }).resolves({
    repositories: [
      sdkRepositoryNamed('web/legacy-cache', {
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
      }),
    ],
  });
  ecrMock.on(GetLifecyclePolicyCommand).resolves({
    registryId: ACCOUNT,
    repositoryName: 'web/legacy-cache',
    lifecyclePolicyText: GOOD_LIFECYCLE_POLICY,
  });
  ecrMock.on(GetRepositoryPolicyCommand).resolves({
    registryId: ACCOUNT,
    repositoryName: 'web/legacy-cache',
    policyText: JSON.stringify({ Version: '2012-10-17', Statement: [PUBLIC_PULL, CI_PUSH] }),
  });
}

/** The write commands sent to any client, in the order they were sent, with their inputs. */
function writesSent(): { command: string; input: Record<string, unknown> }[] {
  return [...ecrMock.calls(), ...iamMock.calls()]
    .map(
      (call) => call.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> },
    )
    .filter((command) => WRITE_COMMANDS.has(command.constructor.name))
    .map((command) => ({ command: command.constructor.name, input: command.input }));
}

/** A ThrottlingException as the SDK raises it for a throttled ECR call (ECR models no class for it). */
function throttling(): ECRServiceException {
  return new ECRServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
}

beforeEach(() => {
  lambda.sdk.resetAll();
  lambda.givenFindingsTable();
  // Powertools warns that no Lambda context was registered (see tests/integration/dynamodb.test.ts).
  jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('change-event handler: PutImageTagMutability on a MUTABLE repository without lifecycle policy', () => {
  it('sends PutLifecyclePolicy, PutImageScanningConfiguration and PutImageTagMutability, in that order', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(writesSent().map((w) => w.command)).toEqual([
      'PutLifecyclePolicyCommand',
      'PutImageScanningConfigurationCommand',
      'PutImageTagMutabilityCommand',
    ]);
  });

  it('puts a lifecycle policy expiring untagged images after 14 days (the default guardrails)', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    const [call] = ecrMock.commandCalls(PutLifecyclePolicyCommand);
    const input = call!.args[0].input;
    expect(input).toEqual({
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
      lifecyclePolicyText: expect.any(String),
    });
    expect(JSON.parse(input.lifecyclePolicyText!)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'buildwarden: expire untagged images 14 days after push',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    });
  });

  it('turns on scan on push for the repository', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    const calls = ecrMock.commandCalls(PutImageScanningConfigurationCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        repositoryName: 'web/frontend',
        registryId: ACCOUNT,
        imageScanningConfiguration: { scanOnPush: true },
      },
    ]);
  });

  it('makes the tags IMMUTABLE', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    const calls = ecrMock.commandCalls(PutImageTagMutabilityCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'web/frontend', registryId: ACCOUNT, imageTagMutability: 'IMMUTABLE' },
    ]);
  });

  it('publishes one notification for the event to the topic, listing every rule fixed on the repository', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => [p.TopicArn, p.Subject])).toEqual([
      [TOPIC_ARN, 'buildwarden fixed ecr.scan-on-push on web/frontend (+2 more)'],
    ]);
    for (const rule of ['ecr.lifecycle-policy', 'ecr.scan-on-push', 'ecr.tag-immutability']) {
      expect(published[0]!.Message).toContain(
        `Rule: ${rule}\nResource: arn:aws:ecr:us-east-1:123456789012:repository/web/frontend\nOutcome: applied`,
      );
    }
    for (const p of published) {
      expect(p.MessageAttributes).toMatchObject({
        kind: { DataType: 'String', StringValue: 'remediation' },
        repository: { DataType: 'String', StringValue: 'web/frontend' },
      });
    }
  });

  it('returns the applied actions', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    const result = await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(result).toMatchObject({
      skipped: null,
      actions: [
        { action: 'PutLifecyclePolicy', applied: true },
        { action: 'PutImageScanningConfiguration', applied: true },
        { action: 'PutImageTagMutability', applied: true },
      ],
    });
  });

  it('reads the repository it was told about, with its images', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, {
      repositoryNames: ['web/frontend'],
    });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
    });
  });
});

describe('change-event handler: its cold path', () => {
  it('builds no IAM adapter for an ECR event (ports are built on first use)', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    let buildsIdentity: jest.SpyInstance | undefined;
    const { handler } = await lambda.coldStart(
      async () => {
        const adapters = await import('../../../lib/runtime/adapters');
        buildsIdentity = jest.spyOn(adapters.iamIdentity, 'aws');
        return import('../../../functions/on-change');
      },
      {
        AWS_REGION: REGION,
        BUILDWARDEN_STAGE: 'test',
        BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
        BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
        BUILDWARDEN_FINDINGS_TABLE: FINDINGS_TABLE,
      },
    );

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(writesSent().map((w) => w.command)).toContain('PutImageTagMutabilityCommand');
    expect(buildsIdentity).not.toHaveBeenCalled();
  });

  it('constructs no IAM or CodeBuild client for an ECR event (SDK clients are created on first use)', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const { handler } = await lambda.coldStart(
      () => import('../../../functions/on-change'),
      {
        AWS_REGION: REGION,
        BUILDWARDEN_STAGE: 'test',
        BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
        BUILDWARDEN_REMEDIATION_ROLE_ARN: REMEDIATION_ROLE_ARN,
        BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
        BUILDWARDEN_FINDINGS_TABLE: FINDINGS_TABLE,
      },
      { countClients: true },
    );
    const atLoad = [...lambda.constructedClients];

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(writesSent().map((w) => w.command)).toContain('PutImageTagMutabilityCommand');
    expect(atLoad).toEqual([]);
    expect([...new Set(lambda.constructedClients)].sort()).toEqual([
      'DynamoDBClient',
      'ECRClient',
      // the repository policy rule reads the organization (`reads: organization`)
      'OrganizationsClient',
      'SNSClient',
      'STSClient',
    ]);
  });
});

describe('change-event handler: events it must not act on', () => {
  it('sends no write for an event made by a session of BUILDWARDEN_REMEDIATION_ROLE_ARN', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const raw = eventFile('ecr-PutImageTagMutability.json');
    const identity = raw.detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onChange/buildwarden-test-onChange`;
    identity.sessionContext.sessionIssuer.arn = REMEDIATION_ROLE_ARN;
    const handler = await coldStart();

    // Act
    const result = await handler(raw);

    // Assess
    expect(result).toEqual({
      skipped: "caused by buildwarden's own remediation role",
      actions: [],
      notifications: [],
    });
    expect(writesSent()).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('sends no write for a call that failed (errorCode)', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    const result = await handler(eventFile('ecr-PutImageTagMutability-failed.json'));

    // Assess
    expect(result).toMatchObject({ skipped: expect.stringContaining('AccessDenied') });
    expect(writesSent()).toEqual([]);
  });

  it('skips an event for a repository that no longer exists', async () => {
    // Prepare
    givenAccount();
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));
    const handler = await coldStart();

    // Act
    const result = await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(result).toMatchObject({ skipped: 'repository web/frontend no longer exists' });
    expect(writesSent()).toEqual([]);
  });

  it.each([
    ['null', () => null],
    [
      'the official S3 CloudTrail event',
      () => awsSample('eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json'),
    ],
    [
      'an event without detail',
      () => {
        const raw: Partial<RawEvent> = eventFile('ecr-PutImageTagMutability.json');
        delete raw.detail;
        return raw;
      },
    ],
    [
      'an ECR call it does not handle',
      () => {
        const raw = eventFile('ecr-PutImageTagMutability.json');
        raw.detail.eventName = 'DeleteRepository';
        return raw;
      },
    ],
  ])('returns { dropped } for %s without throwing or calling AWS', async (_case, makeEvent) => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    const result = await handler(makeEvent());

    // Assess
    expect(result).toEqual({ dropped: expect.any(String) });
    expect(ecrMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('names the offending field in the dropped reason', async () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    raw.detail.eventName = 'DeleteRepository';
    const handler = await coldStart();

    // Act
    const result = await handler(raw);

    // Assess
    expect(result).toEqual({ dropped: expect.stringMatching(/^detail\.eventName: DeleteRepository/) });
  });
});

describe('change-event handler: AWS errors are rethrown (Lambda retries)', () => {
  it('rethrows a ThrottlingException from DescribeRepositories and writes nothing', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const error = throttling();
    ecrMock.on(DescribeRepositoriesCommand).rejects(error);
    const handler = await coldStart();

    // Act
    const running = handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    await expect(running).rejects.toBe(error);
    expect(writesSent()).toEqual([]);
  });

  it('rethrows an Error named ThrottlingException from a write', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecrMock.on(PutImageScanningConfigurationCommand).rejects(error);
    const handler = await coldStart();

    // Act
    const running = handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('rethrows a throttled SNS Publish', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const handler = await coldStart();

    // Act
    const running = handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('change-event handler: SetRepositoryPolicy', () => {
  it('removes only the offending statement: SetRepositoryPolicy with the exact remaining policy', async () => {
    // Prepare
    givenLegacyCacheWithPublicPolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-SetRepositoryPolicy.json'));

    // Assess
    expect(writesSent()).toEqual([
      {
        command: 'SetRepositoryPolicyCommand',
        input: {
          repositoryName: 'web/legacy-cache',
          registryId: ACCOUNT,
          policyText: JSON.stringify({ Version: '2012-10-17', Statement: [CI_PUSH] }),
        },
      },
    ]);
  });

  it('publishes one critical remediation notification for the policy fix', async () => {
    // Prepare
    givenLegacyCacheWithPublicPolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-SetRepositoryPolicy.json'));

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: 'buildwarden fixed ecr.repository-policy on web/legacy-cache',
      MessageAttributes: expect.objectContaining({
        severity: { DataType: 'String', StringValue: 'critical' },
      }),
    });
  });
});

describe('change-event handler: exactly once per event', () => {
  it('claims the EventBridge event id in the idempotency table before working, and completes it after', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: IDEMPOTENCY_TABLE,
      ConditionExpression: expect.stringContaining('attribute_not_exists(#id)'),
    });
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: IDEMPOTENCY_TABLE,
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'COMPLETED' } }),
    });
  });

  it('a redelivered event (same event id) publishes nothing new and writes nothing', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();
    await handler(eventFile('ecr-PutImageTagMutability.json'));
    const published = snsMock.commandCalls(PublishCommand).length;
    const written = writesSent().length;

    // Act
    const second = await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(published).toBe(1);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(published);
    expect(writesSent()).toHaveLength(written);
    expect(second).toEqual({
      skipped: 'event 6f8c2e1a-0b3d-4c5e-9f70-000000000005 was already handled (1 notification(s) then)',
      actions: [],
      notifications: [],
    });
  });

  it('a redelivered event after a cold start (another Lambda instance) publishes nothing new', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    await (
      await coldStart()
    )(eventFile('ecr-PutImageTagMutability.json'));
    snsMock.resetHistory();

    // Act
    await (
      await coldStart()
    )(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('the same call in another event (another id) is handled again', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const handler = await coldStart();
    await handler(eventFile('ecr-PutImageTagMutability.json'));
    const other = eventFile('ecr-PutImageTagMutability.json');
    other.id = '6f8c2e1a-0b3d-4c5e-9f70-0000000000ff';

    // Act
    await handler(other);

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('stores only counts in the idempotency record, never policy documents', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const items = givenIdempotencyTable();
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    const [item] = [...items.values()];
    expect(item?.data).toEqual({
      M: {
        skipped: { NULL: true },
        actions: { N: '3' },
        applied: { N: '3' },
        notifications: { N: '1' },
      },
    });
  });

  it('releases the claim when the handling fails, so the retry is handled', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    snsMock
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const handler = await coldStart();
    await expect(handler(eventFile('ecr-PutImageTagMutability.json'))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });

    // Act
    const retry = await handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    expect(dynamoMock).toHaveReceivedCommand(DeleteItemCommand);
    expect(retry).toMatchObject({ skipped: null });
  });

  it('throws a ConfigError naming BUILDWARDEN_IDEMPOTENCY_TABLE when it is missing, before any change work', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const { handler, ConfigError } = await lambda.coldStart(() => import('../../../functions/on-change'), {
      AWS_REGION: REGION,
      BUILDWARDEN_STAGE: 'test',
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
      BUILDWARDEN_FINDINGS_TABLE: FINDINGS_TABLE,
    });

    // Act
    const running = handler(eventFile('ecr-PutImageTagMutability.json'));

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_IDEMPOTENCY_TABLE/);
    for (const mock of [ecrMock, iamMock, snsMock, dynamoMock]) expect(mock).not.toHaveReceivedAnyCommand();
  });
});

/** A CodeBuild service role without any policy (so role-can-push wants to fix it), used by one image build. */
function givenServiceRoleWithoutPushRights(roleName: string, roleArn: string): void {
  givenMutableWebFrontendWithoutLifecyclePolicy();
  iamMock.on(GetRoleCommand).resolves({
    Role: {
      Path: roleArn.slice(roleArn.indexOf(':role/') + 5, roleArn.lastIndexOf('/') + 1),
      RoleName: roleName,
      RoleId: 'AROASAMPLEBUILDROLE',
      Arn: roleArn,
      CreateDate: new Date('2026-02-11T12:00:00Z'),
      AssumeRolePolicyDocument: encodeURIComponent(
        JSON.stringify(awsSample('codebuild-service-role-trust-policy.json')),
      ),
    },
  });
  iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
  iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
  iamMock.on(PutRolePolicyCommand).resolves({});
  const project: SdkProject = {
    name: 'data-etl-build',
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/data-etl-build`,
    source: { type: 'GITHUB', location: 'https://github.com/example-org/data-etl.git' },
    artifacts: { type: 'NO_ARTIFACTS' },
    serviceRole: roleArn,
    environment: {
      type: 'LINUX_CONTAINER',
      image: 'aws/codebuild/standard:7.0',
      computeType: 'BUILD_GENERAL1_SMALL',
      privilegedMode: true,
      environmentVariables: [{ name: 'IMAGE_REPO_NAME', value: 'web/frontend', type: 'PLAINTEXT' }],
    },
    tags: [{ key: 'buildwarden:docker-build', value: 'true' }],
  };
  codebuildMock.on(ListProjectsCommand).resolves({ projects: ['data-etl-build'] });
  codebuildMock.on(BatchGetProjectsCommand).resolves({ projects: [project] });
}

describe('change-event handler: its own scope', () => {
  const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/data-build-role`;

  it('fixes a service role inside BUILDWARDEN_REMEDIABLE_ROLES (default service-role/*)', async () => {
    // Prepare
    givenServiceRoleWithoutPushRights('data-build-role', SERVICE_ROLE);
    const handler = await coldStart();

    // Act
    await handler(eventFile('iam-PutRolePolicy.json'));

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(PutRolePolicyCommand, { RoleName: 'data-build-role' });
  });

  it('never writes to a role outside BUILDWARDEN_REMEDIABLE_ROLES and reports its violation once, without failing', async () => {
    // Prepare
    givenServiceRoleWithoutPushRights('data-build-role', SERVICE_ROLE);
    const handler = await coldStart({ BUILDWARDEN_REMEDIABLE_ROLES: 'ci/*' });

    // Act
    const result = await handler(eventFile('iam-PutRolePolicy.json'));

    // Assess
    expect(iamMock).not.toHaveReceivedCommand(PutRolePolicyCommand);
    const refusals = snsMock
      .commandCalls(PublishCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.Subject?.includes('codebuild.role-can-push'));
    expect(refusals.map((input) => input.Subject)).toEqual([
      'buildwarden did not fix codebuild.role-can-push on service-role/data-build-role (+1 more)',
    ]);
    expect(refusals[0]!.Message).toContain('outside remediableRoles (ci/*)');
    expect(result).toMatchObject({ skipped: null });
  });

  it('skips a denied IAM call whose requestParameters is null, reading nothing', async () => {
    // Prepare
    givenAccount();
    const handler = await coldStart();

    // Act
    const result = await handler(eventFile('iam-DeleteRolePermissionsBoundary-denied.json'));

    // Assess
    expect(result).toEqual({
      skipped: 'the DeleteRolePermissionsBoundary call failed (AccessDenied); nothing changed',
      actions: [],
      notifications: [],
    });
    for (const mock of [ecrMock, iamMock, snsMock, codebuildMock])
      expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('skips an ECR call naming another registryId, in an envelope of the own account', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    const raw = eventFile('ecr-PutImageTagMutability.json');
    (raw.detail.requestParameters as Record<string, unknown>).registryId = '999999999999';
    const handler = await coldStart();

    // Act
    const result = await handler(raw);

    // Assess
    expect(result).toMatchObject({
      skipped: `the call names account 999999999999 (requestParameters.registryId), not ${ACCOUNT}`,
    });
    expect(ecrMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});

describe('change-event handler: a repository shared with the account’s organization', () => {
  /** DescribeOrganization as documented: the account is in o-exampleorgid. */
  const describeOrganization = () =>
    awsSample<Record<string, unknown>>('api-organizations-describe-organization.botocore-example.json');
  const ORG_PULL = {
    Sid: 'OrgPull',
    Effect: 'Allow',
    Principal: '*',
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorgid' } },
  };

  function givenLegacyCacheSharedWithTheOrganization(): void {
    givenLegacyCacheWithPublicPolicy();
    ecrMock.on(GetRepositoryPolicyCommand).resolves({
      registryId: ACCOUNT,
      repositoryName: 'web/legacy-cache',
      policyText: JSON.stringify({ Version: '2012-10-17', Statement: [ORG_PULL, CI_PUSH] }),
    });
  }

  it('reads the organization and leaves the policy as it is', async () => {
    // Prepare
    givenLegacyCacheSharedWithTheOrganization();
    organizationsMock.on(DescribeOrganizationCommand).resolves(describeOrganization());
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-SetRepositoryPolicy.json'));

    // Assess
    expect(organizationsMock).toHaveReceivedCommandTimes(DescribeOrganizationCommand, 1);
    expect(writesSent()).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('leaves the policy in place when DescribeOrganization is denied, and reports why', async () => {
    // Prepare
    givenLegacyCacheSharedWithTheOrganization();
    organizationsMock.on(DescribeOrganizationCommand).rejects(
      new AccessDeniedException({
        message: 'You don’t have permissions to access this resource.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const handler = await coldStart();

    // Act
    await handler(eventFile('ecr-SetRepositoryPolicy.json'));

    // Assess
    expect(writesSent()).toEqual([]);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: 'buildwarden found a violation of ecr.repository-policy on web/legacy-cache',
      Message: expect.stringContaining(
        'left in place: it is limited to organization o-exampleorgid; organization-limited statements are removed only when',
      ),
    });
  });
});

describe('change-event handler in organization mode', () => {
  const MEMBER = '444455556666';
  const OUTSIDER = '999988887777';
  const ORG_ENV: lambda.LambdaEnv = {
    BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id',
    BUILDWARDEN_REGIONS: 'us-east-1,eu-west-1',
  };

  /** The event file's call, made in `account` (every id of the hub's account in it replaced). */
  const eventIn = (account: string): RawEvent =>
    JSON.parse(
      JSON.stringify(eventFile('ecr-PutImageTagMutability.json')).replaceAll(ACCOUNT, account),
    ) as RawEvent;

  /** The organization: the hub and the member, ACTIVE (ListAccounts as documented, with `State`). */
  function givenOrganization(): void {
    organizationsMock.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: ACCOUNT, Name: 'Security Tooling', State: 'ACTIVE' },
        { Id: MEMBER, Name: 'Builds', State: 'ACTIVE' },
      ],
    });
  }

  /** web/frontend in the member account, MUTABLE, scan on push off, no lifecycle policy. */
  function givenMemberWebFrontend(): void {
    givenMutableWebFrontendWithoutLifecyclePolicy();
    givenOrganization();
    ecrMock.on(DescribeRepositoriesCommand, { repositoryNames: ['web/frontend'] }).resolves({
      repositories: [
        sdkRepositoryNamed('web/frontend', {
          registryId: MEMBER,
          repositoryArn: `arn:aws:ecr:${REGION}:${MEMBER}:repository/web/frontend`,
          repositoryUri: `${MEMBER}.dkr.ecr.${REGION}.amazonaws.com/web/frontend`,
          encryptionConfiguration: {
            encryptionType: 'KMS',
            kmsKey: `arn:aws:kms:${REGION}:${MEMBER}:key/k1`,
          },
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: false },
        }),
      ],
    });
  }

  it('fixes the repository in the member account the event is from', async () => {
    // Prepare
    givenMemberWebFrontend();
    const handler = await coldStart(ORG_ENV);

    // Act
    const result = await handler(eventIn(MEMBER));

    // Assess
    expect(result).toMatchObject({ skipped: null });
    expect(ecrMock.commandCalls(PutImageTagMutabilityCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'web/frontend', registryId: MEMBER, imageTagMutability: 'IMMUTABLE' },
    ]);
  });

  it('notifications name the member account, its name in the organization and the Region', async () => {
    // Prepare
    givenMemberWebFrontend();
    const handler = await coldStart(ORG_ENV);

    // Act
    await handler(eventIn(MEMBER));

    // Assess
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) {
      expect(p.Subject).toMatch(new RegExp(`^\\[${MEMBER} \\(Builds\\) ${REGION}\\] buildwarden fixed `));
      expect(p.Message).toContain(`Account ${MEMBER} (Builds), region ${REGION}.`);
      expect(p.MessageAttributes).toMatchObject({
        account: { DataType: 'String', StringValue: MEMBER },
        region: { DataType: 'String', StringValue: REGION },
      });
    }
  });

  it('skips an event from an account outside the organization, naming it, and reads nothing', async () => {
    // Prepare
    givenMemberWebFrontend();
    const handler = await coldStart(ORG_ENV);

    // Act
    const result = await handler(eventIn(OUTSIDER));

    // Assess
    expect(result).toEqual({
      skipped: `the event is from account ${OUTSIDER}, which is not an ACTIVE account of the organization`,
      actions: [],
      notifications: [],
    });
    expect(ecrMock).not.toHaveReceivedCommand(DescribeRepositoriesCommand);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('skips an organization account outside BUILDWARDEN_ACCOUNTS, naming the setting', async () => {
    // Prepare
    givenMemberWebFrontend();
    const handler = await coldStart({ ...ORG_ENV, BUILDWARDEN_ACCOUNTS: ACCOUNT });

    // Act
    const result = await handler(eventIn(MEMBER));

    // Assess
    expect(result).toMatchObject({ skipped: expect.stringContaining('BUILDWARDEN_ACCOUNTS') });
    expect(writesSent()).toEqual([]);
  });

  it('skips an event from a Region outside BUILDWARDEN_REGIONS, naming the Region', async () => {
    // Prepare
    givenMemberWebFrontend();
    const raw = eventIn(MEMBER);
    raw.region = 'ap-south-1';
    const handler = await coldStart(ORG_ENV);

    // Act
    const result = await handler(raw);

    // Assess
    expect(result).toMatchObject({
      skipped:
        'the event is from region ap-south-1, which this deployment does not guard (regions: us-east-1, eu-west-1)',
    });
    expect(ecrMock).not.toHaveReceivedCommand(DescribeRepositoriesCommand);
  });

  it('skips an event caused by a session of the member role (its own fix in that account)', async () => {
    // Prepare
    givenMemberWebFrontend();
    const raw = eventIn(MEMBER);
    const identity = raw.detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = `arn:aws:sts::${MEMBER}:assumed-role/buildwarden-member/buildwarden`;
    identity.sessionContext.sessionIssuer.arn = `arn:aws:iam::${MEMBER}:role/buildwarden-member`;
    const handler = await coldStart(ORG_ENV);

    // Act
    const result = await handler(raw);

    // Assess
    expect(result).toEqual({
      skipped: `caused by buildwarden's member role buildwarden-member in account ${MEMBER}`,
      actions: [],
      notifications: [],
    });
    expect(writesSent()).toEqual([]);
  });

  it('keeps today’s answer for another account in single-account mode (no member role configured)', async () => {
    // Prepare
    givenMemberWebFrontend();
    const handler = await coldStart();

    // Act
    const result = await handler(eventIn(MEMBER));

    // Assess
    expect(result).toMatchObject({ skipped: `the event is from account ${MEMBER}, not ${ACCOUNT}` });
    expect(organizationsMock).not.toHaveReceivedCommand(ListAccountsCommand);
  });
});

describe('change-event handler: metrics (CloudWatch embedded metric format on stdout)', () => {
  /** The EMF documents written to stdout while `run` runs (whether it resolves or rejects). */
  async function emitted(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await run().catch(() => undefined);
    } finally {
      write.mockRestore();
    }
    return lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('emits the remediations applied by rule and the notifications published', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    givenIdempotencyTable();
    const handler = await coldStart({ BUILDWARDEN_METRICS: 'true' });

    // Act
    const documents = await emitted(() => handler(eventFile('ecr-PutImageTagMutability.json')));

    // Assess
    expect(documents).toContainEqual(
      expect.objectContaining({
        service: 'buildwarden',
        function: 'onChange',
        rule: 'ecr.tag-immutability',
        RemediationsApplied: 1,
      }),
    );
    expect(documents).toContainEqual(
      expect.objectContaining({ function: 'onChange', NotificationsPublished: 1 }),
    );
    expect(JSON.stringify(documents)).not.toContain('arn:aws:ecr');
  });

  it('emits one remediation failure when the handling fails', async () => {
    // Prepare
    givenMutableWebFrontendWithoutLifecyclePolicy();
    givenIdempotencyTable();
    ecrMock.on(DescribeRepositoriesCommand).rejects(throttling());
    const handler = await coldStart({ BUILDWARDEN_METRICS: 'true' });

    // Act
    const documents = await emitted(() => handler(eventFile('ecr-PutImageTagMutability.json')));

    // Assess
    expect(documents).toEqual([
      expect.objectContaining({ service: 'buildwarden', function: 'onChange', RemediationsFailed: 1 }),
    ]);
  });
});

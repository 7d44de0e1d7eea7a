/**
 * The scan Lambda end to end: the real handler, runtime, use case and adapters, with every SDK client it uses
 * mocked at the class — ECR (DescribeImageScanFindings), STS, SNS, and DynamoDB twice: the Powertools
 * idempotency layer sends through DynamoDBClient, the verdict store through DynamoDBDocumentClient (a mock of
 * DynamoDBClient does not catch the document client, whose `send` is its own). Every test is a fresh cold
 * start (config, account and the idempotent wrapper are cached at module scope).
 */
import path from 'node:path';
import {
  DescribeImageScanFindingsCommand,
  ImageNotFoundException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import * as lambda from '../../fixtures/lambda';
import { awsSample, loadJson } from '../../fixtures/load';

const { ecr: ecrMock, sts: stsMock, sns: snsMock, dynamo: dynamoMock, document: documentMock } = lambda.sdk;
const mocks = lambda.sdk.all;

/** The account and region of the event files in events/. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;
const VERDICTS_TABLE = 'buildwarden-test-verdicts';
const BUILDS_TABLE = 'buildwarden-test-builds';
const IDEMPOTENCY_TABLE = 'buildwarden-test-idempotency';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
/** The verdict item's partition key: registry, region, repository. */
const REPOSITORY_KEY = `${ACCOUNT}:${REGION}:${REPOSITORY}`;
/** imageScanCompletedAt of the official DescribeImageScanFindings output (1579839105.0). */
const SCANNED_AT = '2020-01-24T04:11:45.000Z';

type Env = lambda.LambdaEnv;

const validEnv = (): Env => ({
  BUILDWARDEN_STAGE: 'test',
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  BUILDWARDEN_VERDICTS_TABLE: VERDICTS_TABLE,
  BUILDWARDEN_BUILDS_TABLE: BUILDS_TABLE,
  BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
});

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
const coldStart = (env: Env = validEnv()) =>
  lambda.coldStart(() => import('../../../functions/on-scan'), { AWS_REGION: REGION, ...env });

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;
const scanEvent = () => loadJson<RawEvent>(path.join('..', '..', 'events', 'ecr-image-scan-complete.json'));

interface FindingsPage {
  imageScanFindings: { findings: { name: string; severity: string }[] } & Record<string, unknown>;
}

/**
 * The official DescribeImageScanFindings output, cut in two pages: the first one carries a nextToken, the
 * second lists CVE-2019-5094 as CRITICAL (so the image fails the default gate), and both carry the whole scan's
 * counts. Requests are kept as they were when sent (the SDK paginator reuses one input object for every page).
 */
let findingsRequests: Record<string, unknown>[] = [];
function givenFindingsInTwoPages(): void {
  const first = awsSample<FindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  const second = awsSample<FindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  second.imageScanFindings.findings[0]!.name = 'CVE-2019-5094';
  second.imageScanFindings.findings[0]!.severity = 'CRITICAL';
  for (const page of [first, second])
    page.imageScanFindings.findingSeverityCounts = { CRITICAL: 1, MEDIUM: 1 };
  const pages: object[] = [{ ...(first as object), nextToken: 'page-2' }, second];
  findingsRequests = [];
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake((input: Record<string, unknown>) => {
    findingsRequests.push(structuredClone(input));
    const page = pages.shift();
    if (!page) throw new Error('asked for a page after the last one');
    return page;
  });
}

/** An account where nothing was stored for the image yet and every write succeeds. */
function givenAccount(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-test-onScan',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onScan/buildwarden-test-onScan`,
  });
  givenFindingsInTwoPages();
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  documentMock.on(GetCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
}

/** The attributes an UpdateCommand SETs, by name (its placeholders resolved). */
function fieldsSet(input: NonNullable<UpdateCommand['input']>): Record<string, unknown> {
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const set = /^SET (.*?)(?: REMOVE .*)?$/.exec(input.UpdateExpression ?? '')?.[1] ?? '';
  const assignments = set.split(', ');
  return Object.fromEntries(
    assignments.map((a) => {
      const [name, value] = a.split(' = ') as [string, string];
      return [names[name] ?? name, values[value]];
    }),
  );
}

function verdictUpdates() {
  return documentMock
    .commandCalls(UpdateCommand)
    .filter((c) => c.args[0].input.TableName === VERDICTS_TABLE)
    .map((c) => c.args[0].input);
}

beforeEach(() => {
  lambda.sdk.resetAll();
  // Powertools warns that no Lambda context was registered (see tests/integration/dynamodb.test.ts).
  jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('scan-completion handler', () => {
  it('returns the verdict and the number of notifications sent', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(scanEvent());

    // Assess
    expect(result).toEqual({ verdict: 'fail', notifications: 1, change: 'first' });
  });

  it('reads every page of DescribeImageScanFindings, following nextToken', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    expect(findingsRequests).toEqual([
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGEST }, maxResults: 1000 },
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGEST }, maxResults: 1000, nextToken: 'page-2' },
    ]);
  });

  it('stores the verdict with one UpdateItem keyed by registry, region, repository and digest', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    const updates = verdictUpdates();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.Key).toEqual({ repositoryName: REPOSITORY_KEY, imageDigest: DIGEST });
    expect(fieldsSet(updates[0]!)).toMatchObject({
      verdict: 'fail',
      scanKind: 'basic',
      scanStatus: 'COMPLETE',
      imageTags: ['1.4.2'],
      registryId: ACCOUNT,
      region: REGION,
      scannedAt: SCANNED_AT,
    });
  });

  it('counts what the findings API reports, not the counts in the event', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    expect(fieldsSet(verdictUpdates()[0]!).counts).toEqual({
      critical: 1,
      high: 0,
      medium: 1,
      low: 0,
      informational: 0,
      undefined: 0,
    });
  });

  it('writes the verdict on condition that no newer scan or deletion is stored', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    const [update] = verdictUpdates();
    expect(update!.ConditionExpression).toContain('attribute_not_exists(#scannedAt) OR #scannedAt < :t');
    expect(update!.ConditionExpression).toContain('attribute_not_exists(#deletedAt) OR #deletedAt < :t');
    expect(update!.ExpressionAttributeValues).toMatchObject({ ':t': SCANNED_AT });
  });

  it('a conditional write refused because a newer verdict was stored meanwhile is skipped, not an error', async () => {
    // Prepare
    givenAccount();
    documentMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const { handler } = await coldStart();

    // Act
    const result = await handler(scanEvent());

    // Assess
    expect(result).toEqual({ skipped: expect.stringMatching(/newer verdict/) });
  });

  it('skips a scan older than the stored verdict without notifying', async () => {
    // Prepare
    givenAccount();
    documentMock.on(GetCommand).resolves({
      Item: {
        repositoryName: REPOSITORY_KEY,
        imageDigest: DIGEST,
        verdict: 'fail',
        scanKind: 'basic',
        imageTags: ['1.4.2'],
        counts: {},
        topFindings: [],
        allowlisted: [],
        expiredAllowlist: [],
        scannedAt: '2026-10-03T00:00:00.000Z',
      },
    });
    const { handler } = await coldStart();

    // Act
    const result = await handler(scanEvent());

    // Assess
    expect(result).toEqual({ skipped: expect.stringMatching(/newer scan/) });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(verdictUpdates()).toEqual([]);
  });

  it('says "now FAILS" naming the worst new finding when the stored verdict was a pass', async () => {
    // Prepare
    givenAccount();
    documentMock.on(GetCommand).resolves({
      Item: {
        repositoryName: REPOSITORY_KEY,
        imageDigest: DIGEST,
        verdict: 'pass',
        scanKind: 'basic',
        imageTags: ['1.4.2'],
        counts: { medium: 1 },
        topFindings: [{ id: 'CVE-2019-5188', severity: 'medium' }],
        allowlisted: [],
        expiredAllowlist: [],
        scannedAt: '2020-01-01T00:00:00.000Z',
      },
    });
    const { handler } = await coldStart();

    // Act
    const result = await handler(scanEvent());

    // Assess
    expect(result).toMatchObject({ verdict: 'fail', change: 'flipped' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: expect.stringMatching(/^buildwarden scan: web\/frontend:1\.4\.2 now FAILS: CVE-2019-5094 /),
      MessageAttributes: expect.objectContaining({
        change: { DataType: 'String', StringValue: 'pass-to-fail' },
      }),
    });
  });

  it('ranks the findings of both pages into the stored verdict', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    const top = fieldsSet(verdictUpdates()[0]!).topFindings as { id: string }[];
    expect(top.map((f) => f.id).sort()).toEqual(['CVE-2019-5094', 'CVE-2019-5188']);
  });

  it('publishes one notification to the topic with MessageAttributes kind scan-verdict', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      MessageAttributes: expect.objectContaining({
        kind: { DataType: 'String', StringValue: 'scan-verdict' },
        repository: { DataType: 'String', StringValue: REPOSITORY },
        severity: { DataType: 'String', StringValue: 'critical' },
      }),
    });
  });

  it('claims the scan result in the idempotency table before working, and records the result after', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

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

  it('a delivery of a truth already handled reads the findings, then returns the stored result, writing and publishing nothing', async () => {
    // Prepare
    givenAccount();
    const stored = { verdict: 'fail', notifications: 1 };
    dynamoMock.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: {
          id: { S: 'on-scan#hash' },
          status: { S: 'COMPLETED' },
          expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
          data: { M: { verdict: { S: 'fail' }, notifications: { N: '1' } } },
        },
      }),
    );
    const { handler } = await coldStart();

    // Act
    const result = await handler(scanEvent());

    // Assess
    expect(result).toEqual(stored);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(documentMock).not.toHaveReceivedAnyCommand();
  });

  it('drops a malformed event with the reason, and makes no AWS call', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();
    const event = scanEvent();
    delete event.detail['image-digest'];

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('detail.image-digest') });
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('drops an event of another detail-type, and makes no AWS call', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(awsSample('eventbridge-scheduled-event.json'));

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('detail-type') });
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });

  // The settings are checked at the first invocation, before any AWS call (lib/runtime/lambda.ts).
  it('throws a ConfigError naming BUILDWARDEN_IDEMPOTENCY_TABLE when it is missing, before any scan work', async () => {
    // Prepare
    givenAccount();
    const { BUILDWARDEN_IDEMPOTENCY_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(scanEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_IDEMPOTENCY_TABLE/);
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('throws a ConfigError naming BUILDWARDEN_VERDICTS_TABLE when it is missing, and publishes nothing', async () => {
    // Prepare
    givenAccount();
    const { BUILDWARDEN_VERDICTS_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(scanEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_VERDICTS_TABLE/);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('rethrows an SDK error from DescribeImageScanFindings so Lambda retries, and publishes nothing', async () => {
    // Prepare
    givenAccount();
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));
    const { handler } = await coldStart();

    // Act
    const running = handler(scanEvent());

    // Assess
    await expect(running).rejects.toThrow(ServerException);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(verdictUpdates()).toEqual([]);
  });

  it('makes no idempotency claim when the findings cannot be read (the key depends on them)', async () => {
    // Prepare
    givenAccount();
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent()).catch(() => undefined);

    // Assess
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('after an SDK error deletes its idempotency claim, so the retry is not refused as in progress', async () => {
    // Prepare
    givenAccount();
    snsMock.on(PublishCommand).rejects(new Error('KMSThrottlingException: Rate exceeded'));
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent()).catch(() => undefined);

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: IDEMPOTENCY_TABLE });
  });
});

describe('scan handler: Amazon Inspector findings and events it skips', () => {
  type FindingSample = RawEvent & {
    region: string;
    resources: string[];
    detail: { resources: { id: string; details: { awsEcrContainerImage: Record<string, unknown> } }[] };
  };

  /** The ECR User Guide's `Inspector2 Finding` sample, moved to web/frontend 1.4.2 in the test account. */
  function findingEvent(): FindingSample {
    const event = awsSample<FindingSample>('inspector2-finding-ecr-image.json');
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${REPOSITORY}/${DIGEST}`;
    event.region = REGION;
    event.resources = [arn];
    const [resource] = event.detail.resources;
    resource!.id = arn;
    resource!.details.awsEcrContainerImage = {
      ...resource!.details.awsEcrContainerImage,
      repositoryName: REPOSITORY,
      imageHash: DIGEST,
      registry: ACCOUNT,
      imageTags: ['1.4.2'],
    };
    return event;
  }

  it('an Inspector finding about the image re-reads its findings and stores the verdict they decide', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(findingEvent());

    // Assess
    expect(result).toEqual({ verdict: 'fail', notifications: 1, change: 'first' });
    expect(findingsRequests[0]).toMatchObject({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGEST },
    });
    expect(fieldsSet(verdictUpdates()[0]!)).toMatchObject({ scanKind: 'enhanced', scannedAt: SCANNED_AT });
  });

  it.each([
    [
      'an EC2 instance scan',
      'inspector2-scan-ec2-initial-scan-complete.json',
      /i-087d63509b8c97098 is not an Amazon ECR image scan/,
    ],
    [
      'a Lambda function scan',
      'inspector2-scan-lambda-initial-scan-complete.json',
      /function:lambda-example/,
    ],
    [
      'a Lambda function finding',
      'inspector2-finding-lambda-package-vulnerability.json',
      /AWS_LAMBDA_FUNCTION/,
    ],
  ])('skips %s with the reason, and reads no findings', async (_what, sample, reason) => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(awsSample(sample));

    // Assess
    expect(result).toEqual({ skipped: expect.stringMatching(reason) });
    for (const mock of [ecrMock, snsMock, dynamoMock, documentMock])
      expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('skips a scan of an image in another registry (account), storing nothing under the own repository', async () => {
    // Prepare
    givenAccount();
    const event = scanEvent() as RawEvent & { resources: string[] };
    event.resources = [`arn:aws:ecr:${REGION}:210987654321:repository/${REPOSITORY}`];
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      skipped: `the image is in registry 210987654321, not this account's (${ACCOUNT})`,
    });
    for (const mock of [ecrMock, snsMock, dynamoMock, documentMock])
      expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('in organization mode, skips a scan event from a Region outside BUILDWARDEN_REGIONS, naming it', async () => {
    // Prepare
    givenAccount();
    const event = { ...scanEvent(), region: 'eu-west-1' };
    const { handler } = await coldStart({
      ...validEnv(),
      BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id',
      BUILDWARDEN_REGIONS: REGION,
    });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      skipped: `the event is from region eu-west-1, which this deployment does not guard (regions: ${REGION})`,
    });
    for (const mock of [ecrMock, snsMock, dynamoMock, documentMock])
      expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('skips a scan event from another region', async () => {
    // Prepare
    givenAccount();
    const event = { ...scanEvent(), region: 'eu-west-1' };
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ skipped: `the event is from region eu-west-1, not ${REGION}` });
  });

  it.each([
    ['RepositoryNotFoundException', RepositoryNotFoundException],
    ['ImageNotFoundException', ImageNotFoundException],
    ['ScanNotFoundException', ScanNotFoundException],
  ] as const)(
    'a scan of something gone (%s) returns skipped with the reason: no retry, no notification',
    async (name, Gone) => {
      // Prepare
      givenAccount();
      ecrMock.on(DescribeImageScanFindingsCommand).rejects(new Gone({ message: 'not found', $metadata: {} }));
      const { handler } = await coldStart();

      // Act
      const result = await handler(scanEvent());

      // Assess
      expect(result).toEqual({ skipped: expect.stringContaining(`(${name})`) });
      expect(snsMock).not.toHaveReceivedAnyCommand();
      expect(verdictUpdates()).toEqual([]);
    },
  );
});

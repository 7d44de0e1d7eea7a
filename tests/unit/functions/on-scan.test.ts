/**
 * The scan-completion Lambda end to end: the real handler, runtime, use case and adapters, with every SDK client
 * it uses mocked at the class — ECR (DescribeImageScanFindings), STS, SNS, and DynamoDB twice: the Powertools
 * idempotency layer sends through DynamoDBClient, the verdict store through DynamoDBDocumentClient (a mock of
 * DynamoDBClient does not catch the document client, whose `send` is its own). Every test is a fresh cold
 * start (config, account and the idempotent wrapper are cached at module scope).
 */
import path from 'node:path';
import { DescribeImageScanFindingsCommand, ServerException } from '@aws-sdk/client-ecr';
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

type Env = lambda.LambdaEnv;

const validEnv = (): Env => ({
  STAGE: 'test',
  NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  VERDICTS_TABLE,
  BUILDS_TABLE,
  IDEMPOTENCY_TABLE,
});

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
const coldStart = (env: Env = validEnv()) =>
  lambda.coldStart(() => import('../../../functions/on-scan'), { AWS_REGION: REGION, ...env });

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;
const scanEvent = () => loadJson<RawEvent>(path.join('..', '..', 'events', 'ecr-image-scan-complete.json'));

interface FindingsPage {
  imageScanFindings: { findings: { name: string }[] } & Record<string, unknown>;
}

/**
 * The official DescribeImageScanFindings output, cut in two pages: the first one carries a nextToken.
 * Requests are kept as they were when sent (the SDK paginator reuses one input object for every page).
 */
let findingsRequests: Record<string, unknown>[] = [];
function givenFindingsInTwoPages(): void {
  const first = awsSample<FindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  const second = awsSample<FindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  second.imageScanFindings.findings[0]!.name = 'CVE-2019-5094';
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
  const assignments = (input.UpdateExpression ?? '').replace(/^SET /, '').split(', ');
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
    expect(result).toEqual({ verdict: 'fail', notifications: 1 });
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

  it('stores the verdict with one UpdateItem to the verdicts table, keyed by repository and digest', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent());

    // Assess
    const updates = verdictUpdates();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.Key).toEqual({ repositoryName: REPOSITORY, imageDigest: DIGEST });
    expect(fieldsSet(updates[0]!)).toMatchObject({
      verdict: 'fail',
      scanKind: 'basic',
      imageTags: ['1.4.2'],
      counts: { critical: 1, high: 3, medium: 9, low: 14, informational: 2, undefined: 0 },
      scannedAt: '2026-10-02T09:15:21Z',
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

  it('a delivery of a scan result already completed returns the stored result and publishes nothing', async () => {
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
    expect(ecrMock).not.toHaveReceivedAnyCommand();
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

  // Only sts:GetCallerIdentity may precede the error: runtime.withAccount resolves the account first.
  it('throws a ConfigError naming IDEMPOTENCY_TABLE when it is missing, before any scan work', async () => {
    // Prepare
    givenAccount();
    const { IDEMPOTENCY_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(scanEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/IDEMPOTENCY_TABLE/);
    for (const mock of [ecrMock, snsMock, dynamoMock, documentMock]) {
      expect(mock).not.toHaveReceivedAnyCommand();
    }
  });

  it('throws a ConfigError naming VERDICTS_TABLE when it is missing, and publishes nothing', async () => {
    // Prepare
    givenAccount();
    const { VERDICTS_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(scanEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/VERDICTS_TABLE/);
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

  it('after an SDK error deletes its idempotency claim, so the retry is not refused as in progress', async () => {
    // Prepare
    givenAccount();
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));
    const { handler } = await coldStart();

    // Act
    await handler(scanEvent()).catch(() => undefined);

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: IDEMPOTENCY_TABLE });
  });
});

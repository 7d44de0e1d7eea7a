import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  BATCH_WRITE_MAX_BYTES,
  BATCH_WRITE_MAX_ITEMS,
  DynamoFindingsStore,
  FindingsWriteError,
  findingsStoreActions,
  ITEM_MAX_BYTES,
} from '../../../lib/aws/findings-store';
import type { FindingRecord } from '../../../lib/policy/finding-state';
import { SdkGate } from '../../fixtures/sdk-gate';

const documentMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'buildwarden-prod-findings';
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const SCOPE = { accountId: ACCOUNT, region: REGION };

function record(i = 0, overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    ...SCOPE,
    resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-${i}`,
    resourceType: 'AWS::ECR::Repository',
    ruleId: 'ecr.scan-on-push',
    state: 'open',
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled',
    firstSeen: '2026-11-20T06:00:00.000Z',
    lastSeen: '2026-11-20T12:00:00.000Z',
    ...overrides,
  };
}

const item = (r: FindingRecord) => ({
  ...r,
  scope: `${ACCOUNT}:${REGION}`,
  finding: `${r.resourceArn} ${r.ruleId}`,
  observedAt: Date.parse(r.resolvedAt ?? r.lastSeen),
});

let sleeps: number[];

function store(options: { maxAttempts?: number } = {}) {
  sleeps = [];
  return new DynamoFindingsStore(TABLE, DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })), {
    ...options,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

/** The items of each BatchWriteItem request, as sent. */
const batchesSent = () =>
  documentMock
    .commandCalls(BatchWriteCommand)
    .map((c) => c.args[0].input.RequestItems![TABLE]!.map((r) => r.PutRequest!.Item as FindingRecord));

beforeEach(() => {
  documentMock.reset();
});

describe('DynamoFindingsStore.writeRecords', () => {
  it('declares the actions it calls', () => {
    expect([...findingsStoreActions].sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
  });

  it('writes each record as an item keyed by scope and finding, with its observation time', async () => {
    // Prepare
    documentMock.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });

    // Act
    await store().writeRecords([record(1)]);

    // Assess
    expect(documentMock).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: { [TABLE]: [{ PutRequest: { Item: item(record(1)) } }] },
    });
  });

  it(`sends at most ${BATCH_WRITE_MAX_ITEMS} items a request`, async () => {
    // Prepare
    documentMock.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    const records = Array.from({ length: 60 }, (_, i) => record(i));

    // Act
    await store().writeRecords(records);

    // Assess
    expect(batchesSent().map((b) => b.length)).toEqual([25, 25, 10]);
    expect(batchesSent().flat()).toEqual(records.map(item));
  });

  it('has up to four requests in flight at once, and writes every record', async () => {
    // Prepare: 150 records are 6 requests; each answers only once the gate opens
    const gate = new SdkGate();
    documentMock.on(BatchWriteCommand).callsFake(
      gate.answer(
        (input: { RequestItems: Record<string, { PutRequest: { Item: FindingRecord } }[]> }) =>
          input.RequestItems[TABLE]![0]!.PutRequest.Item.resourceArn,
        () => ({ UnprocessedItems: {} }),
      ),
    );
    const records = Array.from({ length: 150 }, (_, i) => record(i));

    // Act
    const { inFlight } = await gate.inFlight(() => store().writeRecords(records), 4);

    // Assess
    expect(inFlight).toHaveLength(4);
    expect(batchesSent().flat()).toEqual(expect.arrayContaining(records.map(item)));
    expect(batchesSent().flat()).toHaveLength(150);
  });

  it('keeps each request within 16 MB: 25 items within the 400 KB item limit cannot exceed it', () => {
    expect(BATCH_WRITE_MAX_ITEMS * ITEM_MAX_BYTES).toBeLessThanOrEqual(BATCH_WRITE_MAX_BYTES);
  });

  it('sends nothing for no records', async () => {
    // Act
    await store().writeRecords([]);

    // Assess
    expect(documentMock).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('sends the unprocessed items again, only those, after a growing backoff', async () => {
    // Prepare: the first two answers leave items unprocessed (throughput exceeded)
    const records = Array.from({ length: 3 }, (_, i) => record(i));
    documentMock
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: {
          [TABLE]: [{ PutRequest: { Item: item(records[1]!) } }, { PutRequest: { Item: item(records[2]!) } }],
        },
      })
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: item(records[2]!) } }] } })
      .resolves({ UnprocessedItems: {} });

    // Act
    await store().writeRecords(records);

    // Assess
    expect(batchesSent()).toEqual([
      records.map(item),
      [item(records[1]!), item(records[2]!)],
      [item(records[2]!)],
    ]);
    expect(sleeps).toEqual([25, 50]);
  });

  it('gives up after the attempts allowed, saying how many records were not written', async () => {
    // Prepare
    const records = [record(1), record(2)];
    documentMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: item(records[1]!) } }] } });

    // Act
    const error = await store({ maxAttempts: 3 })
      .writeRecords(records)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(FindingsWriteError);
    expect((error as FindingsWriteError).message).toMatch(
      /^1 of 2 findings records were not written: DynamoDB left them unprocessed 3 times/,
    );
    expect(documentMock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    expect(sleeps).toHaveLength(2);
  });

  it('refuses an item larger than DynamoDB allows before sending anything', async () => {
    // Act
    const writing = store().writeRecords([record(1, { message: 'm'.repeat(ITEM_MAX_BYTES) })]);

    // Assess
    await expect(writing).rejects.toThrow(/1 of 1 findings records were not written: larger than/);
    expect(documentMock).not.toHaveReceivedCommand(BatchWriteCommand);
  });
});

describe('DynamoFindingsStore reads', () => {
  it('queries the partition of the account and region, consistently, every page', async () => {
    // Prepare
    documentMock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [item(record(1))],
        LastEvaluatedKey: { scope: `${ACCOUNT}:${REGION}`, finding: 'k' },
      })
      .resolves({ Items: [item(record(2))] });

    // Act
    const found = await store().records(SCOPE);

    // Assess
    expect(found).toEqual([record(1), record(2)]);
    expect(documentMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(documentMock).toHaveReceivedNthCommandWith(1, QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'scope' },
      ExpressionAttributeValues: { ':s': `${ACCOUNT}:${REGION}` },
      ConsistentRead: true,
    });
    expect(documentMock).toHaveReceivedNthCommandWith(2, QueryCommand, {
      ExclusiveStartKey: { scope: `${ACCOUNT}:${REGION}`, finding: 'k' },
    });
  });

  it("queries one resource's records by the sort key prefix '<ARN> '", async () => {
    // Prepare
    documentMock.on(QueryCommand).resolves({ Items: [] });
    const arn = record(1).resourceArn;

    // Act
    await store().recordsOf(SCOPE, arn);

    // Assess
    expect(documentMock).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#s = :s AND begins_with(#f, :p)',
      ExpressionAttributeNames: { '#s': 'scope', '#f': 'finding' },
      ExpressionAttributeValues: { ':s': `${ACCOUNT}:${REGION}`, ':p': `${arn} ` },
    });
  });
});

describe('DynamoFindingsStore.putRecord', () => {
  it('writes on condition that no later observation is stored', async () => {
    // Prepare
    documentMock.on(PutCommand).resolves({});

    // Act
    const write = await store().putRecord(record(1));

    // Assess
    expect(write).toEqual({ written: true });
    expect(documentMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: item(record(1)),
      ConditionExpression: 'attribute_not_exists(#o) OR #o <= :o',
      ExpressionAttributeNames: { '#o': 'observedAt' },
      ExpressionAttributeValues: { ':o': Date.parse('2026-11-20T12:00:00.000Z') },
    });
  });

  it('answers "not written" when the condition fails, as an answer rather than an error', async () => {
    // Prepare
    const failed = new Error('The conditional request failed');
    failed.name = 'ConditionalCheckFailedException';
    documentMock.on(PutCommand).rejects(failed);

    // Act
    const write = await store().putRecord(record(1));

    // Assess
    expect(write).toEqual({ written: false, reason: 'a newer observation of this finding is stored' });
  });

  it('lets any other error through', async () => {
    // Prepare
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ProvisionedThroughputExceededException';
    documentMock.on(PutCommand).rejects(throttled);

    // Act
    const writing = store().putRecord(record(1));

    // Assess
    await expect(writing).rejects.toThrow('Rate exceeded');
  });
});

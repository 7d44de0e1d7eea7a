/**
 * The FindingsStore port's contract, run against both implementations: the DynamoDB adapter on a real
 * DynamoDB-compatible server (dynalite: real key conditions, paging, condition expressions, BatchWriteItem) and
 * the sandbox, which keeps the records in the snapshot.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFindingsStore } from '../../lib/aws/findings-store';
import { documentClient } from '../../lib/aws/verdicts';
import type { FindingRecord, Scope } from '../../lib/policy/finding-state';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { FindingsStore } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { startDynamo, type Dynamo } from '../fixtures/dynalite';

const REGION = 'us-east-1';

let dynamo: Dynamo;

beforeAll(async () => {
  dynamo = await startDynamo();
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

let accounts = 0;
/** An account no other test uses: tests share the table. */
const freshScope = (): Scope => ({ accountId: String(100000000000 + ++accounts), region: REGION });

const repoArn = (scope: Scope, name: string) =>
  `arn:aws:ecr:${scope.region}:${scope.accountId}:repository/${name}`;

function record(scope: Scope, overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    ...scope,
    resourceArn: repoArn(scope, 'team/app'),
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

const resolved = (scope: Scope, overrides: Partial<FindingRecord> = {}) =>
  record(scope, {
    state: 'resolved',
    status: 'compliant',
    resolvedAt: '2026-11-20T18:00:00.000Z',
    resolution: 'fixed',
    expiresAt: 1_803_384_000,
    ...overrides,
  });

const byKey = (a: FindingRecord, b: FindingRecord) =>
  `${a.resourceArn} ${a.ruleId}`.localeCompare(`${b.resourceArn} ${b.ruleId}`);

const implementations: [string, () => FindingsStore][] = [
  [
    'DynamoFindingsStore (dynalite)',
    () => new DynamoFindingsStore(dynamo.tables.findings, documentClient(dynamo.client)),
  ],
  [
    'SandboxAccount',
    () =>
      new SandboxAccount(
        parseSnapshot(
          JSON.stringify({
            format: 'buildwarden-snapshot/1',
            accountId: '123456789012',
            region: REGION,
            ecr: { repositories: [] },
            codebuild: { projects: [] },
            iam: { roles: [], policies: [] },
          }),
        ),
      ).findingsStore,
  ],
];

describe.each(implementations)('FindingsStore contract: %s', (_name, makeStore) => {
  let store: FindingsStore;
  beforeEach(() => {
    store = makeStore();
  });

  it('returns the records it stored, field for field', async () => {
    // Prepare
    const scope = freshScope();
    const records = [record(scope), resolved(scope, { ruleId: 'ecr.tag-immutability' })];

    // Act
    await store.writeRecords(records);

    // Assess
    expect((await store.records(scope)).sort(byKey)).toEqual(records.sort(byKey));
  });

  it('answers only the records of the account and region asked for', async () => {
    // Prepare
    const scope = freshScope();
    const otherRegion = { ...scope, region: 'eu-west-1' };
    await store.writeRecords([record(scope), record(otherRegion)]);

    // Act
    const found = await store.records(scope);

    // Assess
    expect(found).toEqual([record(scope)]);
  });

  it('answers the records of one resource, not those of a resource whose ARN starts the same', async () => {
    // Prepare
    const scope = freshScope();
    const app = record(scope);
    const appRule2 = record(scope, { ruleId: 'ecr.tag-immutability' });
    const app2 = record(scope, { resourceArn: repoArn(scope, 'team/app2') });
    const nested = record(scope, { resourceArn: repoArn(scope, 'team/app/nested') });
    await store.writeRecords([app, appRule2, app2, nested]);

    // Act
    const found = await store.recordsOf(scope, app.resourceArn);

    // Assess
    expect(found.sort(byKey)).toEqual([app, appRule2].sort(byKey));
  });

  it('replaces a record by account, region, resource and rule instead of adding a second one', async () => {
    // Prepare
    const scope = freshScope();
    await store.writeRecords([record(scope)]);

    // Act
    await store.writeRecords([resolved(scope)]);

    // Assess
    expect(await store.records(scope)).toEqual([resolved(scope)]);
  });

  it('writes more records than one batch takes, every one of them', async () => {
    // Prepare
    const scope = freshScope();
    const records = Array.from({ length: 60 }, (_, i) =>
      record(scope, { resourceArn: repoArn(scope, `team/app-${String(i).padStart(2, '0')}`) }),
    );

    // Act
    await store.writeRecords(records);

    // Assess
    expect((await store.records(scope)).sort(byKey)).toEqual(records.sort(byKey));
  });

  it('reads every page of a scope holding more than a Query page (1 MB)', async () => {
    // Prepare: 300 records of about 4 KB
    const scope = freshScope();
    const records = Array.from({ length: 300 }, (_, i) =>
      record(scope, {
        resourceArn: repoArn(scope, `team/big-${String(i).padStart(3, '0')}`),
        message: 'm'.repeat(4000),
      }),
    );
    await store.writeRecords(records);

    // Act
    const found = await store.records(scope);

    // Assess
    expect(found).toHaveLength(300);
  }, 60_000);

  it('writes nothing for an empty list', async () => {
    // Prepare
    const scope = freshScope();

    // Act
    await store.writeRecords([]);

    // Assess
    expect(await store.records(scope)).toEqual([]);
  });

  it('puts a record when none is stored', async () => {
    // Prepare
    const scope = freshScope();

    // Act
    const write = await store.putRecord(record(scope));

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.recordsOf(scope, record(scope).resourceArn)).toEqual([record(scope)]);
  });

  it('does not put a record over one observed later, and says why', async () => {
    // Prepare: resolved at 18:00 by a newer evaluation
    const scope = freshScope();
    await store.putRecord(resolved(scope));

    // Act: an evaluation of 12:00 arrives late
    const write = await store.putRecord(record(scope, { lastSeen: '2026-11-20T12:00:00.000Z' }));

    // Assess
    expect(write).toEqual({ written: false, reason: expect.stringMatching(/newer/) });
    expect(await store.records(scope)).toEqual([resolved(scope)]);
  });

  it('puts a record observed later over the stored one', async () => {
    // Prepare
    const scope = freshScope();
    await store.putRecord(record(scope));
    const later = record(scope, { lastSeen: '2026-11-21T00:00:00.000Z', severity: 'high' });

    // Act
    const write = await store.putRecord(later);

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.records(scope)).toEqual([later]);
  });
});

describe('DynamoFindingsStore items', () => {
  it('stores the key, the TTL attribute as a number and the observation time of a resolved record', async () => {
    // Prepare
    const scope = freshScope();
    const store = new DynamoFindingsStore(dynamo.tables.findings, documentClient(dynamo.client));

    // Act
    await store.writeRecords([resolved(scope)]);

    // Assess
    const items = (await dynamo.items(dynamo.tables.findings)).filter(
      (i) => i.scope === `${scope.accountId}:${REGION}`,
    );
    expect(items).toEqual([
      {
        ...resolved(scope),
        scope: `${scope.accountId}:${REGION}`,
        finding: `${repoArn(scope, 'team/app')} ecr.scan-on-push`,
        observedAt: Date.parse('2026-11-20T18:00:00.000Z'),
      },
    ]);
  });

  it('refuses an item that is not a findings record, naming its key and the field', async () => {
    // Prepare
    const scope = freshScope();
    const store = new DynamoFindingsStore(dynamo.tables.findings, documentClient(dynamo.client));
    await store.writeRecords([record(scope)]);
    await documentClient(dynamo.client).send(
      new PutCommand({
        TableName: dynamo.tables.findings,
        Item: { ...record(scope), state: 'maybe', scope: `${scope.accountId}:${REGION}`, finding: 'x y' },
      }),
    );

    // Act
    const reading = store.records(scope);

    // Assess
    await expect(reading).rejects.toThrow(/findings record \d{12}:us-east-1 \/ x y is invalid: state:/);
  });
});

import type { Context } from 'aws-lambda';
/**
 * The DynamoDB side of the scan gate against a real DynamoDB-compatible server (dynalite, started by this file
 * on 127.0.0.1): the verdict store and build ledger (lib/aws/verdicts.ts), and the at-least-once guarantee of
 * `onceByKey` (lib/aws/idempotency.ts, Powertools idempotency) around the scan and build use cases. Each test
 * works on its own repository name, so tests share the tables but never each other's items.
 */
import path from 'node:path';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import * as dynamoSdk from '@aws-sdk/client-dynamodb';
import * as documentSdk from '@aws-sdk/lib-dynamodb';
import * as ecrSdk from '@aws-sdk/client-ecr';
import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import * as snsSdk from '@aws-sdk/client-sns';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as stsSdk from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { handler as onScanHandler } from '../../functions/on-scan';
import { DynamoVerdictStore, documentClient } from '../../lib/aws/verdicts';
import { onceByKey } from '../../lib/aws/idempotency';
import { defaultGuardrails } from '../../lib/policy/guardrails';
import type { BuildRecord } from '../../lib/policy/builds';
import { parseBuildStateEvent } from '../../lib/policy/build-events';
import { parseScanEvent, type ScanEvent } from '../../lib/policy/scan-events';
import type { BuildStateEvent } from '../../lib/policy/build-events';
import type { Project } from '../../lib/policy/model';
import type { Notification, ProjectReader, ScanFindingsReader, StoredVerdict } from '../../lib/ports';
import {
  buildStateKey,
  observeScan,
  onBuildStateChanged,
  recordScanResult,
  scanResultKey,
  type ScanObservation,
} from '../../lib/usecases/scan-gate';
import { NOW } from '../fixtures/builders';
import { startDynamo, type Dynamo } from '../fixtures/dynalite';
import { awsSample, loadJson } from '../fixtures/load';
import {
  basicFinding,
  basicFindingsResponse,
  withBasicFindings,
  type BasicFinding,
} from '../fixtures/scan-findings';

const ACCOUNT = { accountId: '123456789012', region: 'us-east-1' };
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

let dynamo: Dynamo;
let store: DynamoVerdictStore;

beforeAll(async () => {
  dynamo = await startDynamo();
  store = new DynamoVerdictStore(
    { verdicts: dynamo.tables.verdicts, builds: dynamo.tables.builds },
    documentClient(dynamo.client),
  );
});

afterAll(async () => {
  await dynamo?.stop();
});

let warn: jest.SpyInstance;
beforeEach(() => {
  // Powertools warns on every call that no Lambda context was registered (see the failing test below).
  warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

let repositories = 0;
/** A repository name no other test uses. */
const freshRepository = () => `team/app-${++repositories}`;

type RawEvent = { id: string; time: string; resources: string[]; detail: Record<string, unknown> } & Record<
  string,
  unknown
>;
const eventFile = (name: string) => loadJson<RawEvent>(path.join('..', '..', 'events', name));

/** events/ecr-image-scan-complete.json, moved to `repositoryName`. */
function scanEvent(repositoryName: string, edit: (raw: RawEvent) => void = () => {}): ScanEvent {
  const raw = eventFile('ecr-image-scan-complete.json');
  raw.resources = [`arn:aws:ecr:us-east-1:123456789012:repository/${repositoryName}`];
  raw.detail['repository-name'] = repositoryName;
  edit(raw);
  return parseScanEvent(raw);
}

/** The image DIGEST in `repositoryName` of the test account and region. */
const image = (repositoryName: string) => ({ ...repository(repositoryName), imageDigest: DIGEST });
const repository = (repositoryName: string) => ({
  registryId: ACCOUNT.accountId,
  region: ACCOUNT.region,
  repositoryName,
});
/** The partition key value of a repository of the test account and region. */
const keyOf = (repositoryName: string) => `${ACCOUNT.accountId}:${ACCOUNT.region}:${repositoryName}`;

function verdict(repositoryName: string, overrides: Partial<StoredVerdict> = {}): StoredVerdict {
  return {
    registryId: ACCOUNT.accountId,
    region: ACCOUNT.region,
    repositoryName,
    imageDigest: DIGEST,
    verdict: 'fail',
    scanKind: 'basic',
    imageTags: ['1.4.2'],
    counts: { critical: 1, high: 3, medium: 9, low: 14, informational: 2, undefined: 0 },
    topFindings: [{ id: 'CVE-2024-3094', severity: 'critical', score: 10, packageName: 'xz-utils' }],
    allowlisted: [],
    expiredAllowlist: [{ cve: 'CVE-2025-1000', expired: '2026-06-30' }],
    scannedAt: '2026-10-02T09:15:21.000Z',
    ...overrides,
  };
}

const PRODUCER = {
  project: 'web-frontend-build',
  buildId: 'arn:aws:codebuild:us-east-1:123456789012:build/web-frontend-build:6c1f2b3a',
  buildNumber: 42,
  sourceVersion: '3f9a1c2e7b4d5a6f8091a2b3c4d5e6f708192a3b',
};

function buildRecord(repositoryName: string, id: string, startTime: string): BuildRecord {
  return { id, projectName: 'web-frontend-build', ...repository(repositoryName), startTime, buildNumber: 1 };
}

/** A notifier that keeps what it was asked to publish. */
function recordingNotifier() {
  const published: Notification[] = [];
  return {
    published,
    async publish(notification: Notification) {
      published.push(notification);
    },
  };
}

/** The official DescribeImageScanFindings output with `findings` listed, for any image. */
function readerListing(findings: BasicFinding[]): ScanFindingsReader {
  return {
    async imageScanFindingsPages(repositoryName, imageDigest) {
      const response = basicFindingsResponse({ registryId: ACCOUNT.accountId, repositoryName, imageDigest });
      return [withBasicFindings(response, findings)];
    },
  };
}

/** An image with one CRITICAL finding (it fails the default gate) and the documented MEDIUM one. */
const findingsReader = readerListing([
  basicFinding('CVE-2024-3094', 'CRITICAL'),
  basicFinding('CVE-2019-5188', 'MEDIUM'),
]);

/** The demo account's web-frontend-build project, moved to push to `repositoryName`. */
function projectsPushingTo(repositoryName: string): ProjectReader {
  const demo = loadJson<{ codebuild: { projects: Project[] } }>('../../demo/account.json');
  const project = demo.codebuild.projects.find((p) => p.name === 'web-frontend-build')!;
  project.environment!.environmentVariables = [
    { name: 'IMAGE_REPO_NAME', value: repositoryName, type: 'PLAINTEXT' },
  ];
  return {
    projectPages: async function* () {
      yield [project];
    },
    async project(name) {
      return name === project.name ? structuredClone(project) : undefined;
    },
  };
}

/**
 * The scan Lambda's first step, as functions/on-scan.ts takes it: what the findings API says about the event's
 * image, keyed by the truth it describes (image, scan completion time, findings fingerprint).
 */
async function observed(event: ScanEvent, reader: ScanFindingsReader = findingsReader) {
  const result = await observeScan(event, { account: ACCOUNT, findings: reader });
  if ('skipped' in result) throw new Error(`unexpected skip: ${result.skipped}`);
  return { key: scanResultKey(result.observation), input: result.observation };
}

/** The scan Lambda's unit of work, made idempotent exactly as functions/on-scan.ts does. */
function idempotentScan(
  notifier: ReturnType<typeof recordingNotifier>,
  gate?: Promise<void>,
  context?: Context,
) {
  return onceByKey(
    dynamo.tables.idempotency,
    async (input: ScanObservation) => {
      await gate;
      const result = await recordScanResult(input, { verdicts: store, notifier }, defaultGuardrails(), NOW);
      return { verdict: result.verdict?.verdict ?? null, notifications: result.notifications.length };
    },
    context,
    dynamo.client,
  );
}

/** The build Lambda's unit of work, made idempotent exactly as functions/on-build.ts does. */
function idempotentBuild(
  repositoryName: string,
  notifier: ReturnType<typeof recordingNotifier>,
  gate?: Promise<void>,
) {
  return onceByKey(
    dynamo.tables.idempotency,
    async (input: BuildStateEvent) => {
      await gate;
      const result = await onBuildStateChanged(
        input,
        { account: ACCOUNT, projects: projectsPushingTo(repositoryName), verdicts: store, notifier },
        defaultGuardrails(),
      );
      return { recorded: result.build !== null, notifications: result.notifications.length };
    },
    undefined,
    dynamo.client,
  );
}

/** A gate the unit of work waits on, so a test can hold a delivery in progress. */
function heldOpen() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
}

/**
 * Starts both deliveries at once, with the unit of work held until the first delivery settles (the loser,
 * since the winner is held), so the two always overlap. A safety timer releases the gate if neither settles.
 */
async function concurrently<R>(deliver: () => [Promise<R>, Promise<R>], release: () => void) {
  const deliveries = deliver();
  const safety = setTimeout(release, 3000);
  Promise.race(deliveries).then(release, release);
  const settled = await Promise.allSettled(deliveries);
  clearTimeout(safety);
  return settled;
}

const verdictItems = async (repositoryName: string) =>
  (await dynamo.items(dynamo.tables.verdicts)).filter((i) => i.repositoryName === keyOf(repositoryName));
const buildItems = async (repositoryName: string) =>
  (await dynamo.items(dynamo.tables.builds)).filter((i) => i.repositoryName === keyOf(repositoryName));

describe('DynamoVerdictStore on a DynamoDB-compatible server', () => {
  it('returns the verdict it stored, field for field', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const stored = verdict(repositoryName);

    // Act
    await store.putVerdict(stored);
    const read = await store.getVerdict(image(repositoryName));

    // Assess
    expect(read).toEqual(stored);
  });

  it('keeps the producer recorded before the verdict is written', async () => {
    // Prepare
    const repositoryName = freshRepository();
    await store.recordProducer(image(repositoryName), PRODUCER);

    // Act
    await store.putVerdict(verdict(repositoryName));

    // Assess
    expect(await store.getVerdict(image(repositoryName))).toEqual({
      ...verdict(repositoryName),
      producedBy: PRODUCER,
    });
  });

  it('keeps the verdict when the producer is recorded after it', async () => {
    // Prepare
    const repositoryName = freshRepository();
    await store.putVerdict(verdict(repositoryName));

    // Act
    await store.recordProducer(image(repositoryName), PRODUCER);

    // Assess
    expect(await store.getVerdict(image(repositoryName))).toEqual({
      ...verdict(repositoryName),
      producedBy: PRODUCER,
    });
  });

  it('a rescan replaces the verdict and keeps the producer', async () => {
    // Prepare
    const repositoryName = freshRepository();
    await store.recordProducer(image(repositoryName), PRODUCER);
    await store.putVerdict(verdict(repositoryName));
    const rescan = verdict(repositoryName, {
      verdict: 'pass',
      counts: { critical: 0 },
      topFindings: [],
      expiredAllowlist: [],
      scannedAt: '2026-10-03T09:15:21.000Z',
    });

    // Act
    await store.putVerdict(rescan);

    // Assess
    expect(await store.getVerdict(image(repositoryName))).toEqual({ ...rescan, producedBy: PRODUCER });
  });

  it('has no verdict for an image that was pushed but not scanned yet', async () => {
    // Prepare
    const repositoryName = freshRepository();
    await store.recordProducer(image(repositoryName), PRODUCER);

    // Act
    const read = await store.getVerdict(image(repositoryName));

    // Assess
    expect(read).toBeUndefined();
  });

  it('has no verdict for an image it never heard of', async () => {
    // Act
    const read = await store.getVerdict(image(freshRepository()));

    // Assess
    expect(read).toBeUndefined();
  });

  it('returns the builds of a repository most recent first, as they were recorded', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const oldest = buildRecord(repositoryName, 'web-frontend-build:c', '2026-10-01T09:00:00.000Z');
    const newest = { ...buildRecord(repositoryName, 'web-frontend-build:a', '2026-10-03T09:00:00.000Z') };
    const middle = {
      ...buildRecord(repositoryName, 'web-frontend-build:b', '2026-10-02T09:00:00.000Z'),
      endTime: '2026-10-02T09:05:00.000Z',
      sourceVersion: 'abc123',
    };
    for (const b of [middle, oldest, newest]) await store.recordBuild(b);
    await store.recordBuild(buildRecord(freshRepository(), 'other:z', '2026-10-04T09:00:00.000Z'));

    // Act
    const builds = await store.buildsFor(repository(repositoryName));

    // Assess
    expect(builds).toEqual([newest, middle, oldest]);
  });

  it('records a build under its registry, region and repository, with an expiry 30 days after it started (the table TTL attribute)', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const start = '2026-10-02T09:12:03.000Z';

    // Act
    await store.recordBuild(buildRecord(repositoryName, 'web-frontend-build:x', start));

    // Assess
    const [item] = await buildItems(repositoryName);
    expect(item).toMatchObject({
      id: 'web-frontend-build:x',
      startedBuild: `${start}#web-frontend-build:x`,
      repositoryName: keyOf(repositoryName),
    });
    expect(item!.expiresAt).toBe(Date.parse(start) / 1000 + 30 * 24 * 3600);
  });

  it('returns the most recent build of a repository with more than 200 builds', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const day = Date.parse('2026-09-01T00:00:00Z');
    for (let i = 0; i < 200; i++) {
      const id = `web-frontend-build:${String(i).padStart(4, '0')}`;
      await store.recordBuild(buildRecord(repositoryName, id, new Date(day + i * 3_600_000).toISOString()));
    }
    // The newest build has the id that sorts last, as a random uuid may.
    const newest = buildRecord(repositoryName, 'web-frontend-build:ffff', '2026-10-02T09:12:03.000Z');
    await store.recordBuild(newest);

    // Act
    const builds = await store.buildsFor(repository(repositoryName));

    // Assess
    expect(builds[0]).toEqual(newest);
  });
});

describe('onceByKey around the scan use case: at-least-once delivery, exactly-once effects', () => {
  it('the same scan event delivered twice is notified once and stored once', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const decide = idempotentScan(notifier);
    const event = scanEvent(repositoryName);

    // Act
    const first = await decide(await observed(event));
    const second = await decide(await observed(event));

    // Assess
    expect(notifier.published).toHaveLength(1);
    expect(await verdictItems(repositoryName)).toHaveLength(1);
    expect(second).toEqual(first);
  });

  it('the same scan result reported twice under different event ids is notified once', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const decide = idempotentScan(notifier);
    const first = await observed(scanEvent(repositoryName));
    const again = await observed(
      scanEvent(repositoryName, (raw) => {
        raw.id = 'b7e1f0c2-0000-4a5c-9d6e-7f8091a2b3c4';
        raw.time = '2026-10-02T09:15:52Z';
      }),
    );

    // Act
    await decide(first);
    await decide(again);

    // Assess
    expect(again.key).toBe(first.key);
    expect(notifier.published).toHaveLength(1);
  });

  it('an event with other counts but the same findings behind it is the same truth: notified once', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const decide = idempotentScan(notifier);
    const first = await observed(scanEvent(repositoryName));
    const hint = await observed(
      scanEvent(repositoryName, (raw) => {
        raw.detail['finding-severity-counts'] = { MEDIUM: 9, LOW: 14 };
      }),
    );

    // Act
    await decide(first);
    await decide(hint);

    // Assess
    expect(hint.key).toBe(first.key);
    expect(notifier.published).toHaveLength(1);
  });

  it('a re-scan with the same counts but another CVE is a new truth: decided and notified again', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const decide = idempotentScan(notifier);
    const event = scanEvent(repositoryName);
    const first = await observed(event);
    const rescanned = readerListing([
      basicFinding('CVE-2025-0002', 'CRITICAL'),
      basicFinding('CVE-2019-5188', 'MEDIUM'),
    ]);
    const rescan = await observed(event, rescanned);

    // Act
    await decide(first);
    await decide(rescan);

    // Assess
    expect(rescan.key).not.toBe(first.key);
    expect(notifier.published).toHaveLength(2);
    expect((await store.getVerdict(image(repositoryName)))?.topFindings).toEqual([
      expect.objectContaining({ id: 'CVE-2025-0002' }),
      expect.objectContaining({ id: 'CVE-2019-5188' }),
    ]);
  });

  it('two concurrent deliveries: exactly one notification and one verdict', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const { gate, release } = heldOpen();
    const keyed = await observed(scanEvent(repositoryName));

    // Act
    await concurrently(
      () => [idempotentScan(notifier, gate)(keyed), idempotentScan(notifier, gate)(keyed)],
      release,
    );

    // Assess
    expect(notifier.published).toHaveLength(1);
    expect(await verdictItems(repositoryName)).toHaveLength(1);
  });

  it('two concurrent deliveries: the other one is rejected with IdempotencyAlreadyInProgressError (Lambda retries it)', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const { gate, release } = heldOpen();
    const keyed = await observed(scanEvent(repositoryName));

    // Act
    const settled = await concurrently(
      () => [idempotentScan(notifier, gate)(keyed), idempotentScan(notifier, gate)(keyed)],
      release,
    );

    // Assess
    const fulfilled = settled.filter((s) => s.status === 'fulfilled');
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBeInstanceOf(IdempotencyAlreadyInProgressError);
  });

  it('a retry after the winning delivery completed returns the stored result without notifying again', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const { gate, release } = heldOpen();
    const keyed = await observed(scanEvent(repositoryName));
    const settled = await concurrently(
      () => [idempotentScan(notifier, gate)(keyed), idempotentScan(notifier, gate)(keyed)],
      release,
    );
    const winner = settled.find((s) => s.status === 'fulfilled') as PromiseFulfilledResult<unknown>;

    // Act
    const retried = await idempotentScan(notifier)(keyed);

    // Assess
    expect(retried).toEqual(winner.value);
    expect(retried).toEqual({ verdict: 'fail', notifications: 1 });
    expect(notifier.published).toHaveLength(1);
  });

  it('a delivery whose unit of work throws leaves no record behind, so the retry runs it', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const keyed = await observed(scanEvent(repositoryName));
    const failing = onceByKey(
      dynamo.tables.idempotency,
      async () => {
        throw new Error('ThrottlingException: Rate exceeded');
      },
      undefined,
      dynamo.client,
    );
    await expect(failing(keyed)).rejects.toThrow(/Rate exceeded/);

    // Act
    const retried = await idempotentScan(notifier)(keyed);

    // Assess
    expect(retried).toEqual({ verdict: 'fail', notifications: 1 });
    expect(notifier.published).toHaveLength(1);
  });

  it('an in-progress record expires with the invocation, so a timed-out delivery does not block retries', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const { gate, release } = heldOpen();
    const keyed = await observed(scanEvent(repositoryName));
    const invocation = { getRemainingTimeInMillis: () => 30_000 } as Context;
    const delivery = idempotentScan(recordingNotifier(), gate, invocation)(keyed);
    try {
      // Act
      let record: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !record; i++) {
        record = (await dynamo.items(dynamo.tables.idempotency)).find((item) => item.status === 'INPROGRESS');
      }

      // Assess
      expect(record).toBeDefined();
      expect(record!.in_progress_expiration).toEqual(expect.any(Number));
    } finally {
      release();
      await delivery;
    }
  });
});

describe('onceByKey around the build use case', () => {
  /** events/codebuild-build-failed.json, with a build id of its own (the idempotency key is per build). */
  const failedBuild = (repositoryName: string) => {
    const raw = eventFile('codebuild-build-failed.json');
    raw.detail['build-id'] = `${String(raw.detail['build-id'])}-${repositoryName.replace('/', '-')}`;
    return parseBuildStateEvent(raw);
  };

  it('the same build state change delivered twice is notified once and recorded once', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const handle = idempotentBuild(repositoryName, notifier);
    const event = failedBuild(repositoryName);

    // Act
    await handle({ key: buildStateKey(event), input: event });
    const second = await handle({ key: buildStateKey(event), input: event });

    // Assess
    expect(notifier.published).toHaveLength(1);
    expect(await buildItems(repositoryName)).toHaveLength(1);
    expect(second).toEqual({ recorded: true, notifications: 1 });
  });

  it('two concurrent deliveries of a build state change: one notification, the other delivery rejected as in progress', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const { gate, release } = heldOpen();
    const event = failedBuild(repositoryName);
    const keyed = { key: buildStateKey(event), input: event };

    // Act
    const settled = await concurrently(
      () => [
        idempotentBuild(repositoryName, notifier, gate)(keyed),
        idempotentBuild(repositoryName, notifier, gate)(keyed),
      ],
      release,
    );

    // Assess
    expect(notifier.published).toHaveLength(1);
    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected!.reason).toBeInstanceOf(IdempotencyAlreadyInProgressError);
  });

  it('a retry after completion returns the stored result without notifying again', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const notifier = recordingNotifier();
    const event = failedBuild(repositoryName);
    const keyed = { key: buildStateKey(event), input: event };
    await idempotentBuild(repositoryName, notifier)(keyed);

    // Act
    const retried = await idempotentBuild(repositoryName, notifier)(keyed);

    // Assess
    expect(retried).toEqual({ recorded: true, notifications: 1 });
    expect(notifier.published).toHaveLength(1);
  });
});

describe('the scan Lambda on DynamoDB: its own idempotency key', () => {
  // Only DynamoDB is real here (AWS_ENDPOINT_URL_DYNAMODB points the SDK at dynalite); ECR, STS and SNS are
  // mocked at the class. This checks the key functions/on-scan.ts derives, not a copy of it.
  const ecrMock = mockClient(ECRClient);
  const stsMock = mockClient(STSClient);
  const snsMock = mockClient(SNSClient);
  const ENV_KEYS = [
    'BUILDWARDEN_STAGE',
    'BUILDWARDEN_NOTIFICATION_TOPIC_ARN',
    'BUILDWARDEN_VERDICTS_TABLE',
    'BUILDWARDEN_BUILDS_TABLE',
    'BUILDWARDEN_IDEMPOTENCY_TABLE',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_REGION',
    'POWERTOOLS_LOG_LEVEL',
  ] as const;
  let savedEnv: Record<string, string | undefined>;

  async function coldStart(): Promise<typeof onScanHandler> {
    Object.assign(process.env, {
      BUILDWARDEN_STAGE: 'test',
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:buildwarden-notifications',
      BUILDWARDEN_VERDICTS_TABLE: dynamo.tables.verdicts,
      BUILDWARDEN_BUILDS_TABLE: dynamo.tables.builds,
      BUILDWARDEN_IDEMPOTENCY_TABLE: dynamo.tables.idempotency,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    let handler: typeof onScanHandler | undefined;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-sdk/client-ecr', () => ecrSdk);
      jest.doMock('@aws-sdk/client-sns', () => snsSdk);
      jest.doMock('@aws-sdk/client-sts', () => stsSdk);
      jest.doMock('@aws-sdk/client-dynamodb', () => dynamoSdk);
      jest.doMock('@aws-sdk/lib-dynamodb', () => documentSdk);
      ({ handler } = await import('../../functions/on-scan'));
    });
    return handler!;
  }

  /** events/ecr-image-scan-complete.json as EventBridge sends it, moved to `repositoryName`. */
  function rawScanEvent(repositoryName: string, id: string, time: string): RawEvent {
    const raw = eventFile('ecr-image-scan-complete.json');
    raw.id = id;
    raw.time = time;
    raw.resources = [`arn:aws:ecr:us-east-1:123456789012:repository/${repositoryName}`];
    raw.detail['repository-name'] = repositoryName;
    return raw;
  }

  beforeEach(() => {
    savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
    for (const mock of [ecrMock, stsMock, snsMock]) mock.reset();
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves(awsSample('api-ecr-describe-image-scan-findings.basic.aws-cli.json') as object);
    snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      const value = savedEnv[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  afterAll(() => {
    for (const mock of [ecrMock, stsMock, snsMock]) mock.restore();
  });

  it('a scan result ECR reports twice under different event ids is published once and stored once', async () => {
    // Prepare
    const repositoryName = freshRepository();
    const handler = await coldStart();
    const first = rawScanEvent(
      repositoryName,
      '9e0d6f3b-7a21-4c5e-8f90-1b2c3d4e5f60',
      '2026-10-02T09:15:21Z',
    );
    const again = rawScanEvent(
      repositoryName,
      '0c6b1f0e-2d3a-4b5c-8d7e-6f5a4b3c2d1e',
      '2026-10-02T09:15:49Z',
    );

    // Act
    const results = [await handler(first), await handler(again)];

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(await verdictItems(repositoryName)).toHaveLength(1);
    expect(results[1]).toEqual(results[0]);
  });
});

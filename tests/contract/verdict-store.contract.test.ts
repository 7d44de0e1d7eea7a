/**
 * The VerdictStore port's contract, run against both implementations: the DynamoDB adapter on a real
 * DynamoDB-compatible server (dynalite: real condition expressions) and the sandbox account. Newest truth wins:
 * an older scan never replaces a newer verdict, a deleted image is not revived by a scan that completed before
 * the deletion, and a verdict is kept per registry and region, never answered for another one.
 */
import { DynamoVerdictStore, documentClient } from '../../lib/aws/verdicts';
import { BUILDS_WINDOW, type BuildRecord } from '../../lib/policy/builds';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { ImageRef, StoredVerdict, VerdictStore } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { startDynamo, type Dynamo } from '../fixtures/dynalite';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const REGION = 'us-east-1';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

let dynamo: Dynamo;

beforeAll(async () => {
  dynamo = await startDynamo();
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

let repositories = 0;
/** An image in a repository no other test uses. */
const freshImage = (registryId = ACCOUNT): ImageRef => ({
  registryId,
  region: REGION,
  repositoryName: `team/contract-${++repositories}`,
  imageDigest: DIGEST,
});

function verdict(image: ImageRef, overrides: Partial<StoredVerdict> = {}): StoredVerdict {
  return {
    ...image,
    verdict: 'fail',
    scanKind: 'basic',
    scanStatus: 'COMPLETE',
    imageTags: ['1.4.2'],
    counts: { critical: 1, high: 3, medium: 9, low: 14, informational: 2, undefined: 0 },
    topFindings: [{ id: 'CVE-2024-3094', severity: 'critical', score: 10, packageName: 'xz-utils' }],
    allowlisted: [],
    expiredAllowlist: [],
    scannedAt: '2026-10-02T09:15:20.000Z',
    evaluatedAt: '2026-10-02T09:15:22.000Z',
    fingerprint: '0123456789abcdef',
    ...overrides,
  };
}

const PASS_LATER: Partial<StoredVerdict> = {
  verdict: 'pass',
  counts: {},
  topFindings: [],
  scannedAt: '2026-10-03T09:00:00.000Z',
};

const implementations: [string, () => VerdictStore][] = [
  [
    'DynamoVerdictStore (dynalite)',
    () =>
      new DynamoVerdictStore(
        { verdicts: dynamo.tables.verdicts, builds: dynamo.tables.builds },
        documentClient(dynamo.client),
      ),
  ],
  [
    'SandboxAccount',
    () =>
      new SandboxAccount(
        parseSnapshot(
          JSON.stringify({
            format: 'buildwarden-snapshot/1',
            accountId: ACCOUNT,
            region: REGION,
            ecr: { repositories: [] },
            codebuild: { projects: [] },
            iam: { roles: [], policies: [] },
          }),
        ),
      ).verdicts,
  ],
];

describe.each(implementations)('VerdictStore contract: %s', (_name, makeStore) => {
  let store: VerdictStore;
  beforeEach(() => {
    store = makeStore();
  });

  it('returns the verdict it stored, field for field', async () => {
    // Prepare
    const image = freshImage();

    // Act
    const write = await store.putVerdict(verdict(image));

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.getVerdict(image)).toEqual(verdict(image));
  });

  it('an older scan delivered after a newer one does not replace its verdict, and says why', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image, { scannedAt: '2026-10-03T09:00:00.000Z' }));

    // Act
    const write = await store.putVerdict(
      verdict(image, { verdict: 'pass', scannedAt: '2026-10-02T09:00:00.000Z' }),
    );

    // Assess
    expect(write).toEqual({ written: false, reason: expect.stringMatching(/newer/) });
    expect(await store.getVerdict(image)).toMatchObject({
      verdict: 'fail',
      scannedAt: '2026-10-03T09:00:00.000Z',
    });
  });

  it('a newer scan replaces the verdict', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));

    // Act
    const write = await store.putVerdict(verdict(image, PASS_LATER));

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.getVerdict(image)).toMatchObject({
      verdict: 'pass',
      scannedAt: '2026-10-03T09:00:00.000Z',
    });
  });

  it('of two readings of the same scan, the earlier one does not replace the later one', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image, { evaluatedAt: '2026-10-02T10:00:00.000Z' }));

    // Act
    const write = await store.putVerdict(
      verdict(image, { verdict: 'pass', evaluatedAt: '2026-10-02T09:30:00.000Z' }),
    );

    // Assess
    expect(write.written).toBe(false);
    expect((await store.getVerdict(image))?.verdict).toBe('fail');
  });

  it('a later reading of the same scan (Inspector updated its findings) replaces the verdict', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image, { verdict: 'pass', counts: {}, topFindings: [] }));

    // Act
    const write = await store.putVerdict(
      verdict(image, { evaluatedAt: '2026-10-02T11:00:00.000Z', fingerprint: 'fedcba9876543210' }),
    );

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.getVerdict(image)).toMatchObject({ verdict: 'fail', fingerprint: 'fedcba9876543210' });
  });

  it('writing the same verdict again succeeds and changes nothing', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));

    // Act
    const write = await store.putVerdict(verdict(image));

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.getVerdict(image)).toEqual(verdict(image));
  });

  it("another registry's verdict for the same repository and digest neither replaces nor answers for the own", async () => {
    // Prepare
    const own = freshImage();
    const foreign = { ...own, registryId: OTHER_ACCOUNT };
    await store.putVerdict(verdict(own, { verdict: 'pass', counts: {}, topFindings: [] }));

    // Act
    await store.putVerdict(verdict(foreign, { scannedAt: '2026-10-04T00:00:00.000Z' }));

    // Assess
    expect((await store.getVerdict(own))?.verdict).toBe('pass');
    expect((await store.getVerdict(foreign))?.verdict).toBe('fail');
  });

  it('the same repository and digest in another region is another image', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));

    // Act
    const read = await store.getVerdict({ ...image, region: 'eu-west-1' });

    // Assess
    expect(read).toBeUndefined();
  });

  it('marks a deleted image: verdict deleted, the time, and the verdict it had', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));

    // Act
    const write = await store.markDeleted(image, '2026-10-05T00:00:00.000Z');

    // Assess
    expect(write).toEqual({ written: true });
    expect(await store.getVerdict(image)).toEqual({
      ...verdict(image),
      verdict: 'deleted',
      verdictBeforeDeletion: 'fail',
      deletedAt: '2026-10-05T00:00:00.000Z',
    });
  });

  it('marks nothing for an image without a verdict', async () => {
    // Prepare
    const image = freshImage();

    // Act
    const write = await store.markDeleted(image, '2026-10-05T00:00:00.000Z');

    // Assess
    expect(write).toEqual({ written: false, reason: 'no verdict is stored for the image' });
    expect(await store.getVerdict(image)).toBeUndefined();
  });

  it('a deletion older than the stored scan (the digest was pushed and scanned again) marks nothing', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image, PASS_LATER));

    // Act
    const write = await store.markDeleted(image, '2026-10-02T12:00:00.000Z');

    // Assess
    expect(write).toEqual({ written: false, reason: expect.stringMatching(/scanned again/) });
    expect((await store.getVerdict(image))?.verdict).toBe('pass');
  });

  it('a scan that completed before the deletion, delivered late, does not revive the deleted image', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));
    await store.markDeleted(image, '2026-10-03T00:00:00.000Z');

    // Act
    const write = await store.putVerdict(
      verdict(image, { verdict: 'pass', evaluatedAt: '2026-10-04T00:00:00.000Z' }),
    );

    // Assess
    expect(write.written).toBe(false);
    expect((await store.getVerdict(image))?.verdict).toBe('deleted');
  });

  it('a scan that completed after the deletion (pushed again) is the verdict again, without the deletion', async () => {
    // Prepare
    const image = freshImage();
    await store.putVerdict(verdict(image));
    await store.markDeleted(image, '2026-10-02T12:00:00.000Z');

    // Act
    const write = await store.putVerdict(verdict(image, PASS_LATER));

    // Assess
    expect(write).toEqual({ written: true });
    const read = await store.getVerdict(image);
    expect(read).toMatchObject({ verdict: 'pass' });
    expect(read).not.toHaveProperty('deletedAt');
    expect(read).not.toHaveProperty('verdictBeforeDeletion');
  });

  it('keeps the producer recorded before the verdict through a deletion', async () => {
    // Prepare
    const image = freshImage();
    const producedBy = { project: 'web-frontend-build', buildId: 'web-frontend-build:1', buildNumber: 1 };
    await store.recordProducer(image, producedBy);
    await store.putVerdict(verdict(image));

    // Act
    await store.markDeleted(image, '2026-10-05T00:00:00.000Z');

    // Assess
    expect((await store.getVerdict(image))?.producedBy).toEqual(producedBy);
    expect(await store.producerOf(image)).toEqual(producedBy);
  });

  it('reads the stored verdict and the producer in one read, as getVerdict and producerOf answer them', async () => {
    // Prepare
    const image = freshImage();
    const producedBy = { project: 'web-frontend-build', buildId: 'web-frontend-build:2', buildNumber: 2 };
    await store.recordProducer(image, producedBy);
    await store.putVerdict(verdict(image));

    // Act
    const read = await store.storedImage(image);

    // Assess
    expect(read).toEqual({ verdict: await store.getVerdict(image), producedBy });
  });

  it('reads the producer of an image pushed but not scanned yet, without a verdict', async () => {
    // Prepare
    const image = freshImage();
    const producedBy = { project: 'web-frontend-build', buildId: 'web-frontend-build:3', buildNumber: 3 };
    await store.recordProducer(image, producedBy);

    // Act
    const read = await store.storedImage(image);

    // Assess
    expect(read).toEqual({ verdict: undefined, producedBy });
  });

  it('reads nothing for an image never seen', async () => {
    // Act
    const read = await store.storedImage(freshImage());

    // Assess
    expect(read).toEqual({ verdict: undefined, producedBy: undefined });
  });

  it("returns a repository's builds only for its own registry", async () => {
    // Prepare
    const image = freshImage();
    const build: BuildRecord = {
      id: 'web-frontend-build:1',
      projectName: 'web-frontend-build',
      registryId: image.registryId,
      region: image.region,
      repositoryName: image.repositoryName,
      startTime: '2026-10-02T09:12:03.000Z',
    };
    await store.recordBuild(build);

    // Act
    const own = await store.buildsFor(image);
    const foreign = await store.buildsFor({ ...image, registryId: OTHER_ACCOUNT });

    // Assess
    expect(own).toEqual([build]);
    expect(foreign).toEqual([]);
  });
  it('returns the builds of a repository most recent first', async () => {
    // Prepare
    const image = freshImage();
    const build = (n: number, startTime: string): BuildRecord => ({
      id: `web-frontend-build:${n}`,
      projectName: 'web-frontend-build',
      registryId: image.registryId,
      region: image.region,
      repositoryName: image.repositoryName,
      startTime,
    });
    await store.recordBuild(build(2, '2026-10-02T09:12:03.000Z'));
    await store.recordBuild(build(3, '2026-10-03T09:12:03.000Z'));
    await store.recordBuild(build(1, '2026-10-01T09:12:03.000Z'));

    // Act
    const builds = await store.buildsFor(image);

    // Assess
    expect(builds.map((b) => b.id)).toEqual([
      'web-frontend-build:3',
      'web-frontend-build:2',
      'web-frontend-build:1',
    ]);
  });

  it(`returns at most the ${BUILDS_WINDOW} most recent builds of a repository`, async () => {
    // Prepare
    const image = freshImage();
    const starts = Array.from({ length: BUILDS_WINDOW + 5 }, (_, i) =>
      new Date(Date.parse('2026-10-01T00:00:00.000Z') + i * 60_000).toISOString(),
    );
    for (const [i, startTime] of starts.entries()) {
      await store.recordBuild({
        id: `web-frontend-build:${i + 1}`,
        projectName: 'web-frontend-build',
        registryId: image.registryId,
        region: image.region,
        repositoryName: image.repositoryName,
        startTime,
      });
    }

    // Act
    const builds = await store.buildsFor(image);

    // Assess
    expect(builds.map((b) => b.startTime)).toEqual(starts.slice(-BUILDS_WINDOW).reverse());
  });
});

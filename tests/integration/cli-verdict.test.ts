/**
 * `buildwarden verdict REPOSITORY DIGEST --snapshot FILE` (the deploy gate's question from a shell) and
 * `buildwarden replay` of scan, build and push events. The CLI runs in process (the `run(argv, io)` the binary
 * calls); snapshots are temp copies of demo/account.json that `replay --save` writes the gate's state into.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StoredVerdict } from '../../lib/ports';
import { cli, tempFile } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const DEMO_SNAPSHOT = path.join(REPO_ROOT, 'demo/account.json');
const DEMO_CONFIG = 'demo/guardrails.yml';
const BUILD_SUCCEEDED = 'events/codebuild-build-succeeded.json';
const PUSH = 'events/ecr-image-action-push.json';
const SCAN = 'events/ecr-image-scan-complete.json';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const UNSCANNED = `sha256:${'0'.repeat(64)}`;
const BUILD_ARN =
  'arn:aws:codebuild:us-east-1:123456789012:build/web-frontend-build:6c1f2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

function snapshotCopy(): string {
  return tempFile('account.json', readFileSync(DEMO_SNAPSHOT, 'utf8'));
}

function replay(snapshot: string, event: string, ...extra: string[]) {
  return cli(['replay', '--snapshot', snapshot, '--event', event, '--config', DEMO_CONFIG, ...extra]);
}

/** Replays build, push and scan into `snapshot`, saving after each, as the three Lambdas would leave it. */
async function replayBuildPushScan(snapshot: string, ...extra: string[]): Promise<void> {
  for (const event of [BUILD_SUCCEEDED, PUSH, SCAN]) {
    const result = await replay(snapshot, event, '--save', ...extra);
    if (result.code !== 0) throw new Error(`replay ${event} exited ${result.code}: ${result.stderr}`);
  }
}

function savedVerdicts(snapshot: string): StoredVerdict[] {
  return (JSON.parse(readFileSync(snapshot, 'utf8')) as { buildwarden: { verdicts: StoredVerdict[] } })
    .buildwarden.verdicts;
}

/** A guardrails file whose thresholds let the demo image (1 critical, 3 high) through. */
function lenientConfig(): string {
  return tempFile('guardrails.yml', 'scanGate:\n  thresholds:\n    critical: 1\n    high: 3\n');
}

describe('buildwarden verdict on a snapshot after build, push and scan', () => {
  let snapshot: string;

  beforeAll(async () => {
    snapshot = snapshotCopy();
    await replayBuildPushScan(snapshot);
  });

  it('exits 1 and prints fail: for the scanned image that exceeds the thresholds', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^fail: ${REPOSITORY}@${DIGEST} \\(1 critical, 3 high`));
  });

  it('names the build that produced the image', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(result.stdout).toContain(`built by web-frontend-build (${BUILD_ARN})`);
  });

  it('--format json prints the stored verdict', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshot, '--format', 'json']);

    // Assess
    const stored = savedVerdicts(snapshot).find((v) => v.imageDigest === DIGEST);
    expect(JSON.parse(result.stdout)).toEqual(stored);
    expect(stored).toMatchObject({ verdict: 'fail', producedBy: { project: 'web-frontend-build' } });
  });

  it('takes the repository percent-encoded as one segment, as a gate may send it', async () => {
    // Act
    const result = await cli(['verdict', 'web%2Ffrontend', DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^fail: web\/frontend@/);
  });

  it('exits 3 (unknown) for a digest that has not been scanned', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, UNSCANNED, '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(`unknown: ${REPOSITORY}@${UNSCANNED} has not been scanned yet\n`);
  });

  it('exits 3 and prints verdict "unknown" as JSON for an unscanned digest with --format json', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, UNSCANNED, '--snapshot', snapshot, '--format', 'json']);

    // Assess
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      verdict: 'unknown',
      repositoryName: REPOSITORY,
      imageDigest: UNSCANNED,
    });
  });

  it('exits 2 naming the digest when the digest is malformed', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, 'latest', '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/digest: "latest" is not an image digest/);
    expect(result.stdout).toBe('');
  });

  it('exits 2 naming the repository when the repository name is not an ECR name', async () => {
    // Act
    const result = await cli(['verdict', 'Web/Frontend', DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/repository: "Web\/Frontend" is not an ECR repository name/);
  });
});

describe('buildwarden verdict: passing images and usage errors', () => {
  it('exits 0 and prints pass: for an image within the configured thresholds', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replayBuildPushScan(snapshot, '--config', lenientConfig());

    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^pass: ${REPOSITORY}@${DIGEST}`));
  });

  it('exits 2 when neither --snapshot nor a table is given', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--snapshot FILE, or --table NAME \(or set BUILDWARDEN_VERDICTS_TABLE\)/);
  });

  it('exits 2 when the snapshot file does not exist', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', '/nonexistent/account.json']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read \/nonexistent\/account\.json: no such file/);
  });

  it('exits 3 on a snapshot the scan gate never wrote to', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshotCopy()]);

    // Assess
    expect(result.code).toBe(3);
  });
});

describe('buildwarden replay of scan, build and push events', () => {
  it('a scan event prints the verdict it stored', async () => {
    // Act
    const result = await replay(snapshotCopy(), SCAN);

    // Assess
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { verdict: StoredVerdict; notifications: unknown[] };
    expect(output.verdict).toMatchObject({
      repositoryName: REPOSITORY,
      imageDigest: DIGEST,
      verdict: 'fail',
    });
    expect(output.notifications).toHaveLength(1);
  });

  it('a failed-scan event prints a scan-failed verdict', async () => {
    // Act
    const result = await replay(snapshotCopy(), 'events/ecr-image-scan-failed.json');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: { verdict: 'scan-failed' } });
  });

  it('an Inspector2 scan event prints an enhanced verdict', async () => {
    // Act
    const result = await replay(snapshotCopy(), 'events/inspector2-scan-complete.json');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      verdict: { repositoryName: REPOSITORY, scanKind: 'enhanced', verdict: 'fail' },
    });
  });

  it('a build event prints the build it recorded', async () => {
    // Act
    const result = await replay(snapshotCopy(), BUILD_SUCCEEDED);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      build: {
        id: BUILD_ARN,
        projectName: 'web-frontend-build',
        repositoryName: REPOSITORY,
        buildNumber: 42,
      },
      notifications: [],
    });
  });

  it('a failed build event prints the build and its notification', async () => {
    // Act
    const result = await replay(snapshotCopy(), 'events/codebuild-build-failed.json');

    // Assess
    const output = JSON.parse(result.stdout) as {
      build: { buildNumber: number };
      notifications: { attributes: Record<string, string> }[];
    };
    expect(output.build.buildNumber).toBe(43);
    expect(output.notifications.map((n) => n.attributes.kind)).toEqual(['build-state']);
  });

  it('a push event after the build prints producedBy naming the build', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replay(snapshot, BUILD_SUCCEEDED, '--save');

    // Act
    const result = await replay(snapshot, PUSH);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      producedBy: { project: 'web-frontend-build', buildId: BUILD_ARN, buildNumber: 42 },
    });
  });

  it('a push event with no recorded build prints producedBy null', async () => {
    // Act
    const result = await replay(snapshotCopy(), PUSH);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ producedBy: null });
  });

  it('--dry-run on a scan event is a no-op that says so (exit 0)', async () => {
    // Act
    const result = await replay(snapshotCopy(), SCAN, '--dry-run');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/--dry-run changes nothing for scan, build and push events/);
    expect(JSON.parse(result.stdout)).toHaveProperty('verdict');
  });

  it('a push is attributed to its build whatever the local time zone of the CLI', () => {
    // Prepare
    const snapshot = snapshotCopy();
    const env = { ...process.env, TZ: 'America/Los_Angeles' };
    const run = (event: string, ...extra: string[]) =>
      spawnSync(
        process.execPath,
        ['bin/buildwarden.js', 'replay', '--snapshot', snapshot, '--event', event, ...extra],
        { cwd: REPO_ROOT, env, encoding: 'utf8' },
      );
    expect(run(BUILD_SUCCEEDED, '--save').status).toBe(0);

    // Act
    const result = run(PUSH);

    // Assess
    expect(JSON.parse(result.stdout)).toMatchObject({ producedBy: { buildId: BUILD_ARN } });
  });
});

describe('buildwarden verdict and replay: Inspector findings and deleted images', () => {
  const DELETE = 'events/ecr-image-action-delete.json';

  /** The demo image deleted from the snapshot's registry: its image details and scan findings are gone. */
  function deleteImageFrom(snapshot: string): void {
    const account = JSON.parse(readFileSync(snapshot, 'utf8')) as {
      ecr: {
        repositories: {
          repositoryName: string;
          images?: { imageDigest: string }[];
          scanFindings?: Record<string, unknown>;
        }[];
      };
    };
    const repository = account.ecr.repositories.find((r) => r.repositoryName === REPOSITORY)!;
    repository.images = (repository.images ?? []).filter((i) => i.imageDigest !== DIGEST);
    delete repository.scanFindings?.[DIGEST];
    writeFileSync(snapshot, JSON.stringify(account));
  }

  it('replay of a delete of the scanned image, then verdict: exit 1 and "deleted:" with the verdict it had', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replay(snapshot, SCAN, '--save');
    deleteImageFrom(snapshot);
    const replayed = await replay(snapshot, DELETE, '--save');

    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--snapshot', snapshot]);

    // Assess
    expect(JSON.parse(replayed.stdout)).toMatchObject({ skipped: null, deleted: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^deleted: ${REPOSITORY}@${DIGEST} .*— deleted 2026-10-03T08:00:00\\.000Z, last scan verdict fail`,
      ),
    );
  });

  it('replay of a delete of an image that still exists says why it keeps the verdict', async () => {
    // Act
    const result = await replay(snapshotCopy(), DELETE);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      skipped: 'the image still exists (tag 1.4.2 was removed); its verdict stands',
      deleted: false,
    });
  });

  it('replay of an Inspector finding prints the verdict decided from the findings', async () => {
    // Act
    const result = await replay(snapshotCopy(), 'events/inspector2-finding.json');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      skipped: null,
      verdict: { repositoryName: REPOSITORY, imageDigest: DIGEST, scanKind: 'enhanced', verdict: 'fail' },
    });
  });

  it('replaying the same scan twice notifies once: the second finds the same truth stored', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replay(snapshot, SCAN, '--save');

    // Act
    const again = await replay(snapshot, SCAN);

    // Assess
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: null, notifications: [] });
  });

  it('--registry reads the verdict of another registry: none is stored for it', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replay(snapshot, SCAN, '--save');

    // Act
    const result = await cli([
      'verdict',
      REPOSITORY,
      DIGEST,
      '--snapshot',
      snapshot,
      '--registry',
      '210987654321',
    ]);

    // Assess
    expect(result.code).toBe(3);
  });

  it('exits 2 naming --registry when it is not an account id', async () => {
    // Act
    const result = await cli([
      'verdict',
      REPOSITORY,
      DIGEST,
      '--snapshot',
      snapshotCopy(),
      '--registry',
      'prod',
    ]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--registry must be a 12-digit account id \(got "prod"\)/);
  });
});

/**
 * The scan gate tells the newest truth, end to end on the sandbox (no mocks): the use cases the Lambdas run,
 * against a fresh copy of the demo account each test, fed official payloads moved onto the demo's
 * web/frontend image. The findings API (the sandbox's stored DescribeImageScanFindings responses) is the source
 * of truth; events arrive late, out of order, from Amazon Inspector's continuous scanning, and for images
 * that are gone.
 */
import path from 'node:path';
import { defaultGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { parseScanGate } from '../../lib/policy/scan/scan-gate-config';
import { parseImageActionEvent } from '../../lib/policy/image-action-events';
import { parseScanGateEvent } from '../../lib/policy/scan-events';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { ImageRef, Notification } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { imageVerdict, onImageAction, onScanCompleted } from '../../lib/usecases/scan-gate';
import { NOW } from '../fixtures/builders';
import { awsSample, loadJson, loadText } from '../fixtures/load';
import {
  basicFinding,
  basicFindingsResponse,
  enhancedFinding,
  enhancedFindingsResponse,
  withBasicFindings,
  type FindingsResponse,
} from '../fixtures/scan-findings';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const IMAGE: ImageRef = {
  registryId: ACCOUNT,
  region: REGION,
  repositoryName: REPOSITORY,
  imageDigest: DIGEST,
};

type RawEvent = { id: string; time: string; region: string; resources: string[] } & {
  detail: Record<string, unknown>;
} & Record<string, unknown>;

const eventFile = (name: string) => loadJson<RawEvent>(path.join('..', '..', 'events', name));

function demoAccount(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(loadText('../../demo/account.json'), 'demo/account.json'));
}

/** The findings API's answer for web/frontend 1.4.2 from now on (what a new scan left behind). */
function givenFindings(account: SandboxAccount, response: FindingsResponse): void {
  const repository = account.snapshot.ecr.repositories.find((r) => r.repositoryName === REPOSITORY)!;
  repository.scanFindings = { ...repository.scanFindings, [DIGEST]: response };
}

/** A basic scan of web/frontend 1.4.2 that completed at `completedAt` and found `findings`. */
function basicScanResult(completedAt: string, findings: ReturnType<typeof basicFinding>[]): FindingsResponse {
  const response = withBasicFindings(basicFindingsResponse(IMAGE), findings);
  response.imageScanFindings.imageScanCompletedAt = completedAt;
  return response;
}

/** events/ecr-image-scan-complete.json, delivered at `time` with the counts it claims. */
function scanEvent(time: string, counts: Record<string, number> = { CRITICAL: 1 }): RawEvent {
  const event = eventFile('ecr-image-scan-complete.json');
  event.time = time;
  event.detail['finding-severity-counts'] = counts;
  return event;
}

/** The ECR User Guide's Inspector2 Finding sample, moved onto web/frontend 1.4.2 in the demo account. */
function inspectorFinding(time: string): RawEvent {
  const event = awsSample<RawEvent>('inspector2-finding-ecr-image.json');
  const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${REPOSITORY}/${DIGEST}`;
  event.time = time;
  event.region = REGION;
  event.resources = [arn];
  const [resource] = event.detail.resources as { id: string; details: { awsEcrContainerImage: object } }[];
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

const scan = (account: SandboxAccount, raw: unknown, guardrails: Guardrails = defaultGuardrails()) =>
  onScanCompleted(parseScanGateEvent(raw), account.ports(), guardrails, NOW);

const published = (account: SandboxAccount): Notification[] =>
  (account.snapshot.sns?.topics[0]?.messages ?? []) as unknown as Notification[];

const CRITICAL = basicFinding('CVE-2024-3094', 'CRITICAL');
const MEDIUM = basicFinding('CVE-2019-5188', 'MEDIUM');

describe('out of order: an older scan never replaces a newer verdict', () => {
  it('an old clean scan event delivered after the newer failing one leaves FAIL stored (the event is a hint)', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));
    await scan(account, scanEvent('2026-10-02T09:15:21Z'));

    // Act
    const late = await scan(account, scanEvent('2026-10-01T08:00:00Z', {}));

    // Assess
    expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('fail');
    expect(late.change).toBe('unchanged');
    expect(published(account)).toHaveLength(1);
  });

  it('findings of an older scan than the stored verdict are skipped with the reason, nothing notified', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));
    await scan(account, scanEvent('2026-10-02T09:15:21Z'));
    givenFindings(account, basicScanResult('2026-10-01T07:59:59Z', [MEDIUM]));

    // Act
    const result = await scan(account, scanEvent('2026-10-01T08:00:00Z', {}));

    // Assess
    expect(result.skipped).toMatch(/^a newer scan's verdict is stored/);
    expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('fail');
    expect(published(account)).toHaveLength(1);
  });

  it('the verdict carries the completion time the findings API reports', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));

    // Act
    await scan(account, scanEvent('2026-10-02T09:15:21Z'));

    // Assess
    expect(await imageVerdict(account.verdicts, IMAGE)).toMatchObject({
      scannedAt: '2026-10-02T09:15:20.000Z',
      evaluatedAt: NOW.toISOString(),
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it('a failed scan after a completed one is the newest truth: scan-failed', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [MEDIUM]));
    await scan(account, scanEvent('2026-10-02T09:15:21Z'));

    // Act
    const failed = eventFile('ecr-image-scan-failed.json');
    failed.time = '2026-10-03T09:00:00Z';
    await scan(account, failed);

    // Assess
    expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('scan-failed');
  });
});

describe('re-scans: the same counts with another CVE is a new truth', () => {
  const allowXz = () =>
    ({
      ...defaultGuardrails(),
      scanGate: parseScanGate({
        allowlist: [{ cve: 'CVE-2024-3094', reason: 'not reachable (SEC-123)', expires: '2027-01-31' }],
      }),
    }) satisfies Guardrails;

  it('an allowlisted CRITICAL replaced by another CRITICAL turns PASS into FAIL, naming the new CVE', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));
    await scan(account, scanEvent('2026-10-02T09:15:21Z'), allowXz());
    givenFindings(
      account,
      basicScanResult('2026-10-03T09:15:20Z', [basicFinding('CVE-2025-0002', 'CRITICAL')]),
    );

    // Act
    const result = await scan(account, scanEvent('2026-10-03T09:15:21Z'), allowXz());

    // Assess
    expect(result).toMatchObject({ change: 'flipped', verdict: { verdict: 'fail' } });
    const [first, second] = published(account);
    expect(first!.subject).toMatch(/^buildwarden scan PASS: /);
    expect(second!.subject).toMatch(/^buildwarden scan: web\/frontend:1\.4\.2 now FAILS: CVE-2025-0002 \(/);
  });

  it('a re-scan that finds exactly the same is stored with its completion time and not notified again', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));
    await scan(account, scanEvent('2026-10-02T09:15:21Z'));
    givenFindings(account, basicScanResult('2026-10-05T09:15:20Z', [CRITICAL]));

    // Act
    const result = await scan(account, scanEvent('2026-10-05T09:15:21Z'));

    // Assess
    expect(result.change).toBe('unchanged');
    expect((await imageVerdict(account.verdicts, IMAGE))?.scannedAt).toBe('2026-10-05T09:15:20.000Z');
    expect(published(account)).toHaveLength(1);
  });

  it('the event counts never make a pass of findings that fail', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, basicScanResult('2026-10-02T09:15:20Z', [CRITICAL]));

    // Act
    const result = await scan(account, scanEvent('2026-10-02T09:15:21Z', { LOW: 1 }));

    // Assess
    expect(result.verdict).toMatchObject({ verdict: 'fail', counts: { critical: 1, low: 0 } });
    expect(result.verdict?.topFindings).toEqual([expect.objectContaining({ id: 'CVE-2024-3094' })]);
  });
});

describe('enhanced scanning keeps scanning: Amazon Inspector findings', () => {
  const enhanced = (completedAt: string, findings: Record<string, unknown>[]) =>
    enhancedFindingsResponse(IMAGE, findings, completedAt);

  it('a new CRITICAL finding on a passing image flips it: "now FAILS" naming the finding', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, enhanced('2026-10-02T09:16:00Z', [enhancedFinding({ id: 'CVE-2025-0100' })]));
    await scan(account, eventFile('inspector2-scan-complete.json'));
    givenFindings(
      account,
      enhanced('2026-10-02T09:16:00Z', [
        enhancedFinding({ id: 'CVE-2025-0100' }),
        enhancedFinding({ severity: 'CRITICAL' }),
      ]),
    );

    // Act
    const result = await scan(account, inspectorFinding('2026-10-09T12:00:00Z'));

    // Assess
    expect(result).toMatchObject({ change: 'flipped', verdict: { verdict: 'fail', scanKind: 'enhanced' } });
    const notifications = published(account);
    expect(notifications.map((n) => n.subject)).toEqual([
      expect.stringMatching(/^buildwarden scan PASS: /),
      expect.stringMatching(
        /^buildwarden scan: web\/frontend:1\.4\.2 now FAILS: CVE-2019-17498 \(1 critical > 0\)$/,
      ),
    ]);
    expect(notifications[1]!.attributes).toMatchObject({ kind: 'scan-verdict', change: 'pass-to-fail' });
  });

  it('a closed finding that was the only blocker flips the image back: "now PASSES"', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, enhanced('2026-10-02T09:16:00Z', [enhancedFinding({ severity: 'CRITICAL' })]));
    await scan(account, eventFile('inspector2-scan-complete.json'));
    givenFindings(
      account,
      enhanced('2026-10-02T09:16:00Z', [enhancedFinding({ severity: 'CRITICAL', status: 'CLOSED' })]),
    );

    // Act
    await scan(account, inspectorFinding('2026-10-09T12:00:00Z'));

    // Assess
    expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('pass');
    expect(published(account).at(-1)!.subject).toBe(
      'buildwarden scan: web/frontend:1.4.2 now PASSES (was FAIL)',
    );
  });

  it('a finding event that changes nothing the gate decides from notifies nothing', async () => {
    // Prepare
    const account = demoAccount();
    givenFindings(account, enhanced('2026-10-02T09:16:00Z', [enhancedFinding({ severity: 'CRITICAL' })]));
    await scan(account, eventFile('inspector2-scan-complete.json'));

    // Act
    const result = await scan(account, inspectorFinding('2026-10-09T12:00:00Z'));

    // Assess
    expect(result.change).toBe('unchanged');
    expect(published(account)).toHaveLength(1);
  });

  it('a finding event while the initial scan is still running is skipped: the scan completion decides', async () => {
    // Prepare
    const account = demoAccount();
    const running = enhanced('2026-10-02T09:16:00Z', [enhancedFinding()]);
    running.imageScanStatus = { status: 'IN_PROGRESS' };
    givenFindings(account, running);

    // Act
    const result = await scan(account, inspectorFinding('2026-10-02T09:15:40Z'));

    // Assess
    expect(result.skipped).toMatch(/scan status IN_PROGRESS .*: a scan is running/);
    expect(await imageVerdict(account.verdicts, IMAGE)).toBeUndefined();
  });

  it("the findings API's SCAN_ELIGIBILITY_EXPIRED is not a pass: scan-failed", async () => {
    // Prepare
    const account = demoAccount();
    const expired = enhanced('2026-10-02T09:16:00Z', []);
    expired.imageScanStatus = { status: 'SCAN_ELIGIBILITY_EXPIRED' };
    givenFindings(account, expired);

    // Act
    await scan(account, inspectorFinding('2026-11-02T09:00:00Z'));

    // Assess
    expect(await imageVerdict(account.verdicts, IMAGE)).toMatchObject({
      verdict: 'scan-failed',
      scanStatus: 'SCAN_ELIGIBILITY_EXPIRED',
    });
  });
});

describe('gone: images and repositories that no longer exist', () => {
  it('a scan of a repository that no longer exists is skipped with the reason', async () => {
    // Prepare
    const account = demoAccount();
    account.snapshot.ecr.repositories = account.snapshot.ecr.repositories.filter(
      (r) => r.repositoryName !== REPOSITORY,
    );

    // Act
    const result = await scan(account, eventFile('ecr-image-scan-complete.json'));

    // Assess
    expect(result).toEqual({
      skipped: 'repository web/frontend no longer exists (RepositoryNotFoundException)',
      verdict: null,
      notifications: [],
    });
  });

  describe('ECR Image Action DELETE', () => {
    /** The demo image deleted from ECR: its image details and scan findings are gone. */
    function deleteImage(account: SandboxAccount): void {
      const repository = account.snapshot.ecr.repositories.find((r) => r.repositoryName === REPOSITORY)!;
      repository.images = (repository.images ?? []).filter((i) => i.imageDigest !== DIGEST);
      delete repository.scanFindings?.[DIGEST];
    }
    const deleteEvent = () => parseImageActionEvent(eventFile('ecr-image-action-delete.json'));

    it('marks the stored verdict deleted; the gate then answers deleted, with the verdict it had', async () => {
      // Prepare
      const account = demoAccount();
      await scan(account, eventFile('ecr-image-scan-complete.json'));
      deleteImage(account);

      // Act
      const result = await onImageAction(deleteEvent(), account.ports());

      // Assess
      expect(result).toEqual({ action: 'DELETE', deleted: true });
      expect(await imageVerdict(account.verdicts, IMAGE)).toMatchObject({
        verdict: 'deleted',
        verdictBeforeDeletion: 'fail',
        deletedAt: '2026-10-03T08:00:00.000Z',
      });
    });

    it('a scan event of the deleted image delivered afterwards is skipped: the image no longer exists', async () => {
      // Prepare
      const account = demoAccount();
      await scan(account, eventFile('ecr-image-scan-complete.json'));
      deleteImage(account);
      await onImageAction(deleteEvent(), account.ports());

      // Act
      const result = await scan(account, eventFile('ecr-image-scan-complete.json'));

      // Assess
      // ECR answers DescribeImageScanFindings for a deleted image with ImageNotFoundException.
      expect(result.skipped).toMatch(/ImageNotFoundException/);
      expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('deleted');
    });

    it('a delete of one tag of an image that still exists keeps its verdict', async () => {
      // Prepare
      const account = demoAccount();
      await scan(account, eventFile('ecr-image-scan-complete.json'));

      // Act
      const result = await onImageAction(deleteEvent(), account.ports());

      // Assess
      expect(result).toMatchObject({
        deleted: false,
        skipped: expect.stringMatching(/^the image still exists/),
      });
      expect((await imageVerdict(account.verdicts, IMAGE))?.verdict).toBe('fail');
    });
  });
});

describe('whose image: events of other accounts and regions', () => {
  it("a scan of another account's repository of the same name stores nothing under the own", async () => {
    // Prepare
    const account = demoAccount();
    const event = eventFile('ecr-image-scan-complete.json');
    event.account = '210987654321';
    event.resources = [`arn:aws:ecr:${REGION}:210987654321:repository/${REPOSITORY}`];

    // Act
    const result = await scan(account, event);

    // Assess
    expect(result.skipped).toBe(`the event is from account 210987654321, not ${ACCOUNT}`);
    expect(await imageVerdict(account.verdicts, IMAGE)).toBeUndefined();
    expect(published(account)).toEqual([]);
  });

  it('an Inspector finding about an image of another registry is skipped', async () => {
    // Prepare
    const account = demoAccount();
    const event = inspectorFinding('2026-10-09T12:00:00Z');
    const [resource] = event.detail.resources as {
      details: { awsEcrContainerImage: { registry: string } };
    }[];
    resource!.details.awsEcrContainerImage.registry = '210987654321';

    // Act
    const result = await scan(account, event);

    // Assess
    expect(result.skipped).toBe(`the image is in registry 210987654321, not this account's (${ACCOUNT})`);
  });
});

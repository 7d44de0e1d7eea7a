/**
 * The scan gate end to end on the sandbox (no mocks): scan completions, build state changes and image pushes
 * go through the use cases the Lambdas run, against a fresh copy of the demo account each test. The official
 * AWS samples are moved onto demo repositories; the repository gets the official DescribeImageScanFindings
 * output as its stored findings, and the verdict is decided from those findings (the event is only the hint).
 */
import path from 'node:path';
import { SandboxAccount } from '../../lib/sandbox/account';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { defaultGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { parseScanGate } from '../../lib/policy/scan/scan-gate-config';
import { parseBuildStateEvent } from '../../lib/policy/build-events';
import { parseImagePushEvent } from '../../lib/policy/image-action-events';
import { parseScanGateEvent } from '../../lib/policy/scan-events';
import { onBuildStateChanged, onImagePushed, onScanCompleted } from '../../lib/usecases/scan-gate';
import type { Notification, StoredVerdict } from '../../lib/ports';
import { NOW } from '../fixtures/builders';
import { awsSample, loadJson, loadText } from '../fixtures/load';
import { enhancedFinding, enhancedFindingsResponse } from '../fixtures/scan-findings';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The digest of the official describe-image-scan-findings sample, used for every adapted sample event. */
const SAMPLE_DIGEST = 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6';
/** The image of the events in events/: web/frontend 1.4.2 in the demo account, with findings stored. */
const FRONTEND = 'web/frontend';
const FRONTEND_DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const FRONTEND_BUILD_ARN =
  'arn:aws:codebuild:us-east-1:123456789012:build/web-frontend-build:6c1f2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

type RawEvent = { id: string; region: string; resources: string[]; detail: Record<string, unknown> } & Record<
  string,
  unknown
>;

interface FindingsPage extends Record<string, unknown> {
  imageScanFindings: { findings: { name: string; severity: string }[] } & Record<string, unknown>;
  repositoryName: string;
  registryId: string;
  imageId: { imageDigest: string };
}

const eventFile = (name: string) => loadJson<RawEvent>(path.join('..', '..', 'events', name));

/** A fresh copy of the demo account (parsed from the file each time, so tests never share state). */
function demoAccount(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(loadText('../../demo/account.json'), 'demo/account.json'));
}

/** The official DescribeImageScanFindings output, moved to `repositoryName` in the demo account. */
function findingsPage(repositoryName: string, edit: (page: FindingsPage) => void = () => {}): FindingsPage {
  const page = awsSample<FindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  page.repositoryName = repositoryName;
  page.registryId = ACCOUNT;
  page.imageId = { imageDigest: SAMPLE_DIGEST };
  edit(page);
  return page;
}

/** The demo account with `page` stored as the findings of SAMPLE_DIGEST in `repositoryName`. */
function accountWithFindings(repositoryName: string, page: FindingsPage): SandboxAccount {
  const account = demoAccount();
  const repository = account.snapshot.ecr.repositories.find((r) => r.repositoryName === repositoryName);
  if (!repository) throw new Error(`demo account has no repository ${repositoryName}`);
  repository.scanFindings = { ...repository.scanFindings, [SAMPLE_DIGEST]: page };
  return account;
}

/** The official `ECR Image Scan` sample, moved to a demo repository and the sample digest. */
function basicScanSample(repositoryName: string, counts?: Record<string, number>): RawEvent {
  const event = awsSample<RawEvent>('ecr-image-scan.json');
  event.resources = [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repositoryName}`];
  event.detail['repository-name'] = repositoryName;
  event.detail['image-digest'] = SAMPLE_DIGEST;
  if (counts) event.detail['finding-severity-counts'] = counts;
  return event;
}

/** The official `Inspector2 Scan` sample, moved to a demo repository in the demo account's region. */
function enhancedScanSample(repositoryName: string): RawEvent {
  const event = awsSample<RawEvent>('inspector2-scan-ecr-initial-scan-complete.json');
  const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repositoryName}`;
  event.region = REGION;
  event.resources = [arn];
  event.detail['repository-name'] = arn;
  event.detail['image-digest'] = SAMPLE_DIGEST;
  return event;
}

function guardrailsWith(scanGate: Record<string, unknown>): Guardrails {
  return { ...defaultGuardrails(), scanGate: parseScanGate(scanGate) };
}

const scanDeps = (account: SandboxAccount) => ({
  account: account.info,
  findings: account.findings,
  verdicts: account.verdicts,
  notifier: account.notifier,
});
const buildDeps = (account: SandboxAccount) => ({
  account: account.info,
  projects: account.projects,
  verdicts: account.verdicts,
  notifier: account.notifier,
});

async function scan(account: SandboxAccount, raw: unknown, guardrails = defaultGuardrails()) {
  return onScanCompleted(parseScanGateEvent(raw), scanDeps(account), guardrails, NOW);
}

async function build(account: SandboxAccount, raw: unknown, guardrails = defaultGuardrails()) {
  return onBuildStateChanged(parseBuildStateEvent(raw), buildDeps(account), guardrails);
}

async function push(account: SandboxAccount, raw: unknown) {
  return onImagePushed(parseImagePushEvent(raw), { account: account.info, verdicts: account.verdicts });
}

/** Everything the sandbox published, in order. */
function published(account: SandboxAccount): Notification[] {
  return (account.snapshot.sns?.topics[0]?.messages ?? []) as unknown as Notification[];
}

/** The verdict the account keeps for an image (what the deploy gate reads). */
function storedVerdict(account: SandboxAccount, repositoryName: string, digest: string) {
  return account.verdicts.getVerdict({
    registryId: ACCOUNT,
    region: REGION,
    repositoryName,
    imageDigest: digest,
  });
}

describe('scan gate: the official ECR Image Scan sample (basic scanning)', () => {
  /** The findings API lists the documented finding as the image's one CRITICAL finding. */
  const givenPaymentsApi = () =>
    accountWithFindings(
      'payments/api',
      findingsPage('payments/api', (page) => {
        page.imageScanFindings.findings[0]!.severity = 'CRITICAL';
        page.imageScanFindings.findingSeverityCounts = { CRITICAL: 1 };
      }),
    );

  it('stores a fail verdict for the image, counting the critical finding the findings API reports', async () => {
    // Prepare
    const account = givenPaymentsApi();

    // Act
    await scan(account, basicScanSample('payments/api'));

    // Assess
    const verdict = await storedVerdict(account, 'payments/api', SAMPLE_DIGEST);
    expect(verdict).toMatchObject({
      repositoryName: 'payments/api',
      imageDigest: SAMPLE_DIGEST,
      verdict: 'fail',
      scanKind: 'basic',
      scannedAt: '2020-01-24T04:11:45.000Z',
    });
    expect(verdict?.counts).toMatchObject({ critical: 1, medium: 0 });
  });

  it('publishes one scan-verdict notification with kind, severity and repository attributes', async () => {
    // Prepare
    const account = givenPaymentsApi();

    // Act
    await scan(account, basicScanSample('payments/api'));

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.attributes).toMatchObject({
      kind: 'scan-verdict',
      severity: 'critical',
      repository: 'payments/api',
    });
    expect(notifications[0]!.subject).toMatch(/FAIL/);
  });
});

describe('scan gate: the official Inspector2 Scan sample (enhanced scanning)', () => {
  /** The findings API lists the documented Inspector finding as CRITICAL and another one as HIGH. */
  const givenPaymentsWorker = () =>
    accountWithFindings(
      'payments/worker',
      enhancedFindingsResponse(
        { registryId: ACCOUNT, repositoryName: 'payments/worker', imageDigest: SAMPLE_DIGEST },
        [
          enhancedFinding({ severity: 'CRITICAL' }),
          enhancedFinding({ id: 'CVE-2024-0001', severity: 'HIGH' }),
        ],
      ) as unknown as FindingsPage,
    );

  it('stores an enhanced fail verdict for the repository named by the ARN in the event', async () => {
    // Prepare
    const account = givenPaymentsWorker();

    // Act
    await scan(account, enhancedScanSample('payments/worker'));

    // Assess
    const verdict = await storedVerdict(account, 'payments/worker', SAMPLE_DIGEST);
    expect(verdict).toMatchObject({ verdict: 'fail', scanKind: 'enhanced', imageTags: ['latest'] });
    expect(verdict?.counts).toMatchObject({ critical: 1, high: 1, medium: 0 });
  });

  it('publishes one scan-verdict notification with kind, severity and repository attributes', async () => {
    // Prepare
    const account = givenPaymentsWorker();

    // Act
    await scan(account, enhancedScanSample('payments/worker'));

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.attributes).toMatchObject({
      kind: 'scan-verdict',
      severity: 'critical',
      repository: 'payments/worker',
    });
  });
});

describe('scan gate: scans that did not complete', () => {
  it('stores scan-failed for a FAILED basic scan', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    await scan(account, eventFile('ecr-image-scan-failed.json'));

    // Assess
    const verdict = await storedVerdict(account, FRONTEND, FRONTEND_DIGEST);
    expect(verdict?.verdict).toBe('scan-failed');
  });

  it('publishes one scan-failed notification for a FAILED basic scan, never a pass', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    await scan(account, eventFile('ecr-image-scan-failed.json'));

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.attributes).toMatchObject({
      kind: 'scan-failed',
      severity: 'high',
      repository: FRONTEND,
    });
    expect(notifications[0]!.subject).not.toMatch(/PASS/);
    expect(notifications[0]!.subject).toMatch(/FAILED/);
  });

  it('stores scan-failed for an enhanced scan whose status is not a completed scan, even with zero counts', async () => {
    // Prepare
    const account = accountWithFindings('payments/worker', findingsPage('payments/worker'));
    const event = enhancedScanSample('payments/worker');
    event.detail['scan-status'] = 'UNSUPPORTED_IMAGE';
    event.detail['finding-severity-counts'] = {};

    // Act
    await scan(account, event);

    // Assess
    const verdict = await storedVerdict(account, 'payments/worker', SAMPLE_DIGEST);
    expect(verdict?.verdict).toBe('scan-failed');
    expect(published(account).map((n) => n.attributes.kind)).toEqual(['scan-failed']);
  });
});

describe('scan gate: the CVE allowlist', () => {
  /** The official finding, made the image's one critical finding: the only thing that blocks it. */
  const CVE = 'CVE-2019-5188';
  const givenOneBlockingCritical = () =>
    accountWithFindings(
      'payments/api',
      findingsPage('payments/api', (page) => {
        page.imageScanFindings.findings[0]!.severity = 'CRITICAL';
      }),
    );
  const oneCritical = () => basicScanSample('payments/api', { CRITICAL: 1 });
  const allowlist = (expires: string) =>
    guardrailsWith({
      allowlist: [{ cve: CVE, reason: 'e2fsck is never run in the container', expires }],
    });

  it('without an allowlist entry the one critical finding fails the image', async () => {
    // Prepare
    const account = givenOneBlockingCritical();

    // Act
    const { verdict } = await scan(account, oneCritical());

    // Assess
    expect(verdict?.verdict).toBe('fail');
  });

  it('an active entry covering the only blocking CVE turns fail into pass', async () => {
    // Prepare
    const account = givenOneBlockingCritical();

    // Act
    await scan(account, oneCritical(), allowlist('2027-01-31'));

    // Assess
    const verdict = await storedVerdict(account, 'payments/api', SAMPLE_DIGEST);
    expect(verdict?.verdict).toBe('pass');
    expect(verdict?.allowlisted).toEqual([
      expect.objectContaining({ cve: CVE, expires: '2027-01-31', findings: 1 }),
    ]);
  });

  it('an expired entry is not applied: the image still fails', async () => {
    // Prepare
    const account = givenOneBlockingCritical();

    // Act
    await scan(account, oneCritical(), allowlist('2026-06-30'));

    // Assess
    const verdict = await storedVerdict(account, 'payments/api', SAMPLE_DIGEST);
    expect(verdict?.verdict).toBe('fail');
    expect(verdict?.expiredAllowlist).toEqual([{ cve: CVE, expired: '2026-06-30' }]);
  });

  it('the notification of an image with an expired entry says the entry expired', async () => {
    // Prepare
    const account = givenOneBlockingCritical();

    // Act
    await scan(account, oneCritical(), allowlist('2026-06-30'));

    // Assess
    const [notification] = published(account);
    expect(notification!.message).toMatch(/Expired allowlist entries/);
    expect(notification!.message).toContain(`${CVE} expired 2026-06-30`);
  });
});

describe('scan gate: naming the build that produced the image', () => {
  const expectedProducer = {
    project: 'web-frontend-build',
    buildId: FRONTEND_BUILD_ARN,
    buildNumber: 42,
    sourceVersion: '3f9a1c2e7b4d5a6f8091a2b3c4d5e6f708192a3b',
  };

  it('build SUCCEEDED, then push, then scan: the stored verdict names project, build and commit', async () => {
    // Prepare
    const account = demoAccount();
    await build(account, eventFile('codebuild-build-succeeded.json'));
    await push(account, eventFile('ecr-image-action-push.json'));

    // Act
    await scan(account, eventFile('ecr-image-scan-complete.json'));

    // Assess
    const verdict = await storedVerdict(account, FRONTEND, FRONTEND_DIGEST);
    expect(verdict?.producedBy).toEqual(expectedProducer);
  });

  it('build, push, scan: the scan notification names the build', async () => {
    // Prepare
    const account = demoAccount();
    await build(account, eventFile('codebuild-build-succeeded.json'));
    await push(account, eventFile('ecr-image-action-push.json'));

    // Act
    await scan(account, eventFile('ecr-image-scan-complete.json'));

    // Assess
    const [notification] = published(account);
    expect(notification!.attributes.project).toBe('web-frontend-build');
    expect(notification!.message).toContain(
      `Built by:     web-frontend-build build #42 (${FRONTEND_BUILD_ARN})`,
    );
  });

  it('scan before push: the push still sets producedBy and the verdict is kept', async () => {
    // Prepare
    const account = demoAccount();
    await build(account, eventFile('codebuild-build-succeeded.json'));
    await scan(account, eventFile('ecr-image-scan-complete.json'));
    const before = await storedVerdict(account, FRONTEND, FRONTEND_DIGEST);

    // Act
    await push(account, eventFile('ecr-image-action-push.json'));

    // Assess
    const after = await storedVerdict(account, FRONTEND, FRONTEND_DIGEST);
    expect(before?.producedBy).toBeUndefined();
    expect(after).toEqual({ ...before, producedBy: expectedProducer } satisfies Partial<StoredVerdict>);
  });

  it('a push whose repository no recorded build targets names no build', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    const { producedBy } = await push(account, eventFile('ecr-image-action-push.json'));

    // Assess
    expect(producedBy).toBeNull();
  });
});

describe('scan gate: build notifications', () => {
  it('a FAILED build is notified with project, build number, failed phase and logs link', async () => {
    // Prepare
    const account = demoAccount();
    const event = eventFile('codebuild-build-failed.json');

    // Act
    await build(account, event);

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(1);
    const [notification] = notifications;
    expect(notification!.attributes).toMatchObject({
      kind: 'build-state',
      project: 'web-frontend-build',
      repository: FRONTEND,
    });
    expect(notification!.message).toContain('web-frontend-build #43');
    expect(notification!.message).toContain('Failed phase: BUILD (FAILED)');
    expect(notification!.message).toContain(
      `Logs:           ${(event.detail['additional-information'] as { logs: { 'deep-link': string } }).logs['deep-link']}`,
    );
  });

  it('a SUCCEEDED build is recorded but not notified by default', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    const result = await build(account, eventFile('codebuild-build-succeeded.json'));

    // Assess
    expect(result.build).toMatchObject({ id: FRONTEND_BUILD_ARN, repositoryName: FRONTEND });
    expect(published(account)).toEqual([]);
  });

  it('a SUCCEEDED build is notified when scanGate.buildNotifications.statuses names it', async () => {
    // Prepare
    const account = demoAccount();
    const guardrails = guardrailsWith({ buildNotifications: { statuses: ['SUCCEEDED'] } });

    // Act
    await build(account, eventFile('codebuild-build-succeeded.json'), guardrails);

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.subject).toMatch(/SUCCEEDED: web-frontend-build #42/);
  });
});

describe('scan gate: AWS Chatbot custom notifications', () => {
  const chatbot = () => guardrailsWith({ chatbot: true });

  it('publishes an extra message whose body is a Chatbot custom notification', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    await scan(account, eventFile('ecr-image-scan-complete.json'), chatbot());

    // Assess
    const notifications = published(account);
    expect(notifications).toHaveLength(2);
    const body = JSON.parse(notifications[1]!.message) as Record<string, unknown>;
    expect(body).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { title: notifications[0]!.subject, description: notifications[0]!.message },
    });
  });

  it('marks the Chatbot message with format=chatbot so email subscriptions can filter it out', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    await scan(account, eventFile('ecr-image-scan-complete.json'), chatbot());

    // Assess
    const [email, chat] = published(account);
    expect(email!.attributes.format).toBeUndefined();
    expect(chat!.attributes).toMatchObject({ ...email!.attributes, format: 'chatbot' });
  });

  it('without chatbot: true publishes only the plain-text message', async () => {
    // Prepare
    const account = demoAccount();

    // Act
    await scan(account, eventFile('ecr-image-scan-complete.json'));

    // Assess
    expect(published(account)).toHaveLength(1);
  });
});

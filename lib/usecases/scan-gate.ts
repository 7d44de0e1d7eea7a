/**
 * Scan completions, Amazon Inspector findings, build state changes and image actions: verdicts people and deploy
 * pipelines act on. A verdict is stored by registry, region, repository and digest (the gate's question: "may
 * this image ship?") and notified once per new truth.
 *
 * Newest truth wins. An event only says that something changed: the verdict is decided from what the findings
 * API reports now, it carries the scan's completion time, and the store keeps it only when nothing newer is
 * stored (an older scan never replaces a newer verdict, whatever order EventBridge delivers in). Events about
 * another account, region or resource type, and images that no longer exist, are skipped with a reason.
 */
import { NotFoundError, sourceName } from '../errors';
import type {
  AccountInfo,
  ImageLookup,
  ImageRef,
  Notification,
  Notifier,
  ProjectReader,
  ScanFindingsReader,
  StoredVerdict,
  VerdictStore,
} from '../ports';
import {
  buildStateNotification,
  correlateImageToBuild,
  isBuildNotified,
  type BuildRecord,
} from '../policy/builds';
import type { Guardrails } from '../policy/guardrails';
import type { NotificationText } from '../policy/notifications';
import { codeBuildTime, type BuildStateEvent } from '../policy/build-events';
import { type ImageDeleteEvent, type ImagePushEvent } from '../policy/image-action-events';
import { type ScanGateEvent } from '../policy/scan-events';
import { findingsFingerprint, readScanFindings, type ScanFinding } from '../policy/scan/image-scan-findings';
import { describeImage, foreignImageReason } from '../policy/scan/image';
import {
  chatbotPayload,
  scanFailedNotification,
  scanVerdictNotification,
  type ScannedImage,
  type VerdictFlip,
} from '../policy/scan/scan-notifications';
import type { SeverityCounts } from '../policy/scan/severity';
import { zeroCounts } from '../policy/scan/severity';
import {
  decideVerdict,
  isoMillis,
  scanFactsFromFindings,
  scanStateOf,
  staleVerdictReason,
  verdictChange,
  worstNewFinding,
  type VerdictChange,
} from '../policy/scan/verdict';
import { parseRepositoryArn, partitionOf } from '../policy/aws-facts';
import { resolveTargetRepository } from '../policy/target-repository';

export interface ScanDeps {
  account: AccountInfo;
  findings: ScanFindingsReader;
  verdicts: VerdictStore;
  notifier: Notifier;
}

export interface BuildDeps {
  account: AccountInfo;
  projects: ProjectReader;
  verdicts: VerdictStore;
  notifier: Notifier;
}

export interface ImageActionDeps {
  account: AccountInfo;
  verdicts: VerdictStore;
  images: ImageLookup;
}

async function publish(
  notifier: Notifier,
  notification: NotificationText,
  guardrails: Guardrails,
): Promise<Notification[]> {
  await notifier.publish(notification);
  if (!guardrails.scanGate.chatbot) return [notification];
  // AWS Chatbot reads custom notifications as JSON messages on the same topic.
  const chatbot: Notification = {
    subject: notification.subject,
    message: JSON.stringify(chatbotPayload(notification)),
    attributes: { ...notification.attributes, format: 'chatbot' },
  };
  await notifier.publish(chatbot);
  return [notification, chatbot];
}

/** Why an event about another account's or region's events bus is not this deployment's to handle. */
function foreignEventReason(
  event: { account: string; region: string },
  own: AccountInfo,
): string | undefined {
  if (event.account !== own.accountId)
    return `the event is from account ${event.account}, not ${own.accountId}`;
  if (event.region !== own.region) return `the event is from region ${event.region}, not ${own.region}`;
  return undefined;
}

// ---- scans and findings ---------------------------------------------------------------------------------------

/** What the gate learned about an image when an event said something changed: the findings API's answer. */
export interface ScanObservation {
  image: ImageRef;
  imageTags: string[];
  scanKind: 'basic' | 'enhanced';
  status: 'complete' | 'failed';
  /** The findings API's scan status (COMPLETE, ACTIVE, FAILED …), or a failed scan event's `scan-status`. */
  scanStatus: string;
  /** When the scan completed: imageScanCompletedAt, else the event's time (ISO 8601, milliseconds). */
  scannedAt: string;
  /** `findingsFingerprint` of what the scan found. */
  fingerprint: string;
  /** The findings API's count per severity. */
  counts: SeverityCounts;
  findings: ScanFinding[];
  /** The event that made the gate look: its detail-type, id and time. */
  trigger: { detailType: string; eventId: string; time: string };
}

export type Observed = { observation: ScanObservation } | { skipped: string };

/** ECR's answers for a repository, image or scan that does not exist: nothing to decide, nothing to retry. */
const GONE: Record<string, (image: ImageRef) => string> = {
  repository: (i) => `repository ${i.repositoryName} no longer exists`,
  image: (i) => `image ${i.repositoryName}@${i.imageDigest} no longer exists`,
  scan: (i) => `no scan of ${i.repositoryName}@${i.imageDigest} exists`,
};

const DETAIL_TYPES = { basic: 'ECR Image Scan', enhanced: 'Inspector2 Scan', finding: 'Inspector2 Finding' };

/** The image a scan event names (ECR reports it in the repository's registry and Region). */
function imageOfScan(event: Exclude<ScanGateEvent, { kind: 'other-resource' }>): ImageRef {
  return {
    registryId: event.registryId,
    region: event.repositoryRegion,
    repositoryName: event.repositoryName,
    imageDigest: event.imageDigest,
  };
}

/**
 * Reads what the findings API says about the image an event names. Skips (with the reason) an event about
 * another account, region or resource type, an image or repository that is gone, and a scan still running.
 */
export async function observeScan(
  event: ScanGateEvent,
  deps: Pick<ScanDeps, 'account' | 'findings'>,
): Promise<Observed> {
  if (event.kind === 'other-resource') return { skipped: event.reason };
  const foreign = foreignImageReason(event, deps.account);
  if (foreign) return { skipped: foreign };
  const image = imageOfScan(event);
  const trigger = { detailType: DETAIL_TYPES[event.kind], eventId: event.eventId, time: event.time };
  const scanKind = event.kind === 'finding' ? 'enhanced' : event.kind;
  if (event.kind !== 'finding' && event.status === 'failed') {
    // Nothing to read: the scan did not complete, so the image is not verified.
    const counts = zeroCounts();
    return {
      observation: {
        image,
        imageTags: event.imageTags,
        scanKind,
        status: 'failed',
        scanStatus: event.scanStatus,
        scannedAt: isoMillis(event.time),
        fingerprint: findingsFingerprint({ status: event.scanStatus, counts, findings: [] }),
        counts,
        findings: [],
        trigger,
      },
    };
  }
  let pages: unknown[];
  try {
    pages = await deps.findings.imageScanFindingsPages(image.repositoryName, image.imageDigest);
  } catch (error) {
    const gone = error instanceof NotFoundError && error.resource ? GONE[error.resource] : undefined;
    if (gone) return { skipped: `${gone(image)} (${sourceName(error as Error)})` };
    throw error;
  }
  const reading = readScanFindings(pages);
  const state = scanStateOf(reading);
  if (state === 'pending') {
    return {
      skipped: `the findings API reports scan status ${reading.status} for ${describeImage(image)}: a scan is running, and its completion decides`,
    };
  }
  const scanStatus = reading.status ?? (event.kind === 'finding' ? 'ACTIVE' : event.scanStatus);
  return {
    observation: {
      image,
      imageTags: event.imageTags,
      scanKind,
      status: state,
      scanStatus,
      scannedAt: reading.completedAt ?? isoMillis(event.time),
      fingerprint: findingsFingerprint({
        status: scanStatus,
        counts: reading.counts,
        findings: reading.findings,
      }),
      counts: reading.counts,
      findings: reading.findings,
      trigger,
    },
  };
}

/**
 * What makes two deliveries "the same truth": the image, when its scan completed and what it found. ECR may
 * report one scan twice under different event ids, and every Amazon Inspector finding of an image triggers a
 * look at the same findings, so the key is not the event; a re-scan (a new completion time) or a changed set of
 * findings (a new fingerprint) is a new truth, decided and notified again.
 */
export function scanResultKey(observation: ScanObservation): string {
  const { image, scannedAt, fingerprint } = observation;
  return [
    image.registryId,
    image.region,
    image.repositoryName,
    image.imageDigest,
    scannedAt,
    fingerprint,
  ].join('|');
}

export interface ScanResult {
  /** Why no verdict was decided or stored (foreign, gone, a scan still running, a newer verdict stored). */
  skipped: string | null;
  /** The verdict decided (and stored, unless `skipped`). */
  verdict: StoredVerdict | null;
  /** How it relates to the verdict stored before. */
  change?: VerdictChange;
  notifications: Notification[];
}

const skip = (skipped: string): ScanResult => ({ skipped, verdict: null, notifications: [] });

function scannedImage(o: ScanObservation): ScannedImage {
  return {
    kind: o.scanKind,
    scanStatus: o.scanStatus,
    repositoryName: o.image.repositoryName,
    imageDigest: o.image.imageDigest,
    imageTags: o.imageTags,
    account: o.image.registryId,
    region: o.image.region,
    time: o.trigger.time,
    scannedAt: o.scannedAt,
  };
}

/**
 * Decides the verdict of an observation, notifies it when it is a new truth (saying so when it flipped between
 * pass and fail), then stores it unless a newer verdict is stored. The notification goes out before the write
 * so that a retry after a failed write notifies rather than loses the verdict; a newer verdict stored in
 * between is detected by the conditional write.
 */
export async function recordScanResult(
  observation: ScanObservation,
  deps: Pick<ScanDeps, 'verdicts' | 'notifier'>,
  guardrails: Guardrails,
  now: Date,
  storedRead?: ReturnType<ScanDeps['verdicts']['storedImage']>,
): Promise<ScanResult> {
  const o = observation;
  // The verdict and the producer are one item: one read (begun by the caller when it knew the image first).
  const read = await (storedRead ?? deps.verdicts.storedImage(o.image));
  const stored = read.verdict;
  const evaluatedAt = now.toISOString();
  const stale = staleVerdictReason(stored, { scannedAt: o.scannedAt, evaluatedAt });
  if (stale) return skip(stale);
  // The build that pushed the image is usually recorded before the scan completes.
  const producedBy = stored?.producedBy ?? read.producedBy;
  const decided =
    o.status === 'complete'
      ? decideVerdict({
          scan: scanFactsFromFindings(o.image.repositoryName, o, 'complete'),
          findings: o.findings,
          config: guardrails.scanGate,
          now,
        })
      : undefined;
  const verdict: StoredVerdict = {
    ...o.image,
    verdict: decided?.verdict ?? 'scan-failed',
    scanKind: o.scanKind,
    scanStatus: o.scanStatus,
    imageTags: o.imageTags,
    counts: decided?.counts ?? {},
    topFindings: decided?.topFindings ?? [],
    allowlisted: decided?.allowlisted ?? [],
    expiredAllowlist: decided?.expiredAllowlist ?? [],
    scannedAt: o.scannedAt,
    evaluatedAt,
    fingerprint: o.fingerprint,
    ...(producedBy ? { producedBy } : {}),
  };
  const change = verdictChange(stored, verdict);
  let notifications: Notification[] = [];
  if (change !== 'unchanged') {
    const event = scannedImage(o);
    const by = producedBy ? { producedBy } : {};
    const flip: VerdictFlip | undefined =
      change === 'flipped' && stored && stored.verdict !== 'deleted'
        ? {
            from: stored.verdict,
            ...(decided ? { worstNewFinding: worstNewFinding(stored.topFindings, decided.topFindings) } : {}),
          }
        : undefined;
    const text = decided
      ? scanVerdictNotification({ event, verdict: decided, ...by, ...(flip ? { flip } : {}) })
      : scanFailedNotification({ event, ...by });
    notifications = await publish(deps.notifier, text, guardrails);
  }
  const write = await deps.verdicts.putVerdict(verdict);
  if (!write.written) return { skipped: write.reason, verdict: null, notifications };
  return { skipped: null, verdict, change, notifications };
}

/** Observes and records in one go: the path of replay, the local stage and tests (no idempotency table). */
export async function onScanCompleted(
  event: ScanGateEvent,
  deps: ScanDeps,
  guardrails: Guardrails,
  now: Date,
): Promise<ScanResult> {
  // The image's stored verdict is named by the event: read with the findings, when the event is this account's.
  const image =
    event.kind !== 'other-resource' && !foreignImageReason(event, deps.account)
      ? imageOfScan(event)
      : undefined;
  const stored = image ? deps.verdicts.storedImage(image) : undefined;
  stored?.catch(() => undefined);
  const observed = await observeScan(event, deps);
  if ('skipped' in observed) return skip(observed.skipped);
  return recordScanResult(observed.observation, deps, guardrails, now, stored);
}

// ---- builds -------------------------------------------------------------------------------------------------

/** One build reaching one state is notified once, however often EventBridge delivers it. */
export function buildStateKey(event: BuildStateEvent): string {
  return `${event.buildId}|${event.status}`;
}

/** Records the build (for image correlation) and notifies the configured build states. */
export async function onBuildStateChanged(
  event: BuildStateEvent,
  deps: BuildDeps,
  guardrails: Guardrails,
): Promise<{ build: BuildRecord | null; notifications: Notification[]; skipped?: string }> {
  const foreign = foreignEventReason(event, deps.account);
  if (foreign) return { build: null, notifications: [], skipped: foreign };
  const project = await deps.projects.project(event.projectName);
  const scope = {
    accountId: deps.account.accountId,
    region: deps.account.region,
    partition: partitionOf(deps.account.region),
    repositories: [],
  };
  const target = project
    ? resolveTargetRepository(project, scope, guardrails.targetRepository.environmentVariables)
    : undefined;
  const resolved = target?.status === 'resolved' ? target : undefined;
  const repositoryName = resolved?.repositoryName;
  const arn = resolved ? parseRepositoryArn(resolved.repositoryArn) : undefined;
  let build: BuildRecord | null = null;
  const start = event.startTime ? codeBuildTime(event.startTime) : undefined;
  if (repositoryName && arn && start && !Number.isNaN(start.getTime())) {
    const terminal = event.status !== 'IN_PROGRESS';
    build = {
      id: event.buildId,
      projectName: event.projectName,
      repositoryName,
      registryId: arn.accountId,
      region: arn.region,
      startTime: start.toISOString(),
      ...(terminal
        ? {
            endTime: new Date(
              Math.max(start.getTime() + (event.durationSeconds ?? 0) * 1000, new Date(event.time).getTime()),
            ).toISOString(),
          }
        : {}),
      ...(event.sourceVersion ? { sourceVersion: event.sourceVersion } : {}),
      ...(event.buildNumber !== undefined ? { buildNumber: event.buildNumber } : {}),
    };
    await deps.verdicts.recordBuild(build);
  }
  if (!isBuildNotified(event, guardrails.scanGate)) return { build, notifications: [] };
  const notification = buildStateNotification(event, {
    consoleRegion: deps.account.region,
    ...(repositoryName ? { repositoryName } : {}),
  });
  return { build, notifications: await publish(deps.notifier, notification, guardrails) };
}

// ---- image actions ------------------------------------------------------------------------------------------

/** ECR image action events name no registry: the image is in the event's account and region. */
const imageOf = (event: ImagePushEvent | ImageDeleteEvent): ImageRef => ({
  registryId: event.account,
  region: event.region,
  repositoryName: event.repositoryName,
  imageDigest: event.imageDigest,
});

/** Names the build that pushed an image, from the builds recorded for its repository. */
export async function onImagePushed(
  event: ImagePushEvent,
  deps: Pick<ImageActionDeps, 'account' | 'verdicts'>,
): Promise<{ producedBy: StoredVerdict['producedBy'] | null; skipped?: string }> {
  const foreign = foreignEventReason(event, deps.account);
  if (foreign) return { producedBy: null, skipped: foreign };
  const image = imageOf(event);
  const builds = await deps.verdicts.buildsFor(image);
  const producedBy = correlateImageToBuild(event, builds);
  if (!producedBy) return { producedBy: null };
  await deps.verdicts.recordProducer(image, producedBy);
  return { producedBy };
}

/**
 * Marks the stored verdict of a deleted image `deleted`, so a deploy gate never passes it again (until a newer
 * scan of the same digest, pushed again, decides anew). ECR also reports the removal of one tag of an image
 * that keeps others: the image is looked up first, and one that still exists keeps its verdict.
 */
export async function onImageDeleted(
  event: ImageDeleteEvent,
  deps: ImageActionDeps,
): Promise<{ deleted: boolean; skipped?: string }> {
  const foreign = foreignEventReason(event, deps.account);
  if (foreign) return { deleted: false, skipped: foreign };
  const image = imageOf(event);
  if (await deps.images.imageExists(image.repositoryName, image.imageDigest)) {
    const what = event.imageTag ? `tag ${event.imageTag} was removed` : 'the delete did not remove it';
    return { deleted: false, skipped: `the image still exists (${what}); its verdict stands` };
  }
  const write = await deps.verdicts.markDeleted(image, isoMillis(event.time));
  return write.written ? { deleted: true } : { deleted: false, skipped: write.reason };
}

export type ImageActionResult =
  | { action: 'PUSH'; producedBy: StoredVerdict['producedBy'] | null; skipped?: string }
  | { action: 'DELETE'; deleted: boolean; skipped?: string };

/** An `ECR Image Action`: a push names its build, a delete marks the image's verdict. */
export async function onImageAction(
  event: ImagePushEvent | ImageDeleteEvent,
  deps: ImageActionDeps,
): Promise<ImageActionResult> {
  if (event.action === 'PUSH') return { action: 'PUSH', ...(await onImagePushed(event, deps)) };
  return { action: 'DELETE', ...(await onImageDeleted(event, deps)) };
}

/** The gate's question. */
export async function imageVerdict(
  verdicts: VerdictStore,
  image: ImageRef,
): Promise<StoredVerdict | undefined> {
  return verdicts.getVerdict(image);
}

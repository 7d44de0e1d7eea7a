/**
 * Scan completions, build state changes and image pushes: verdicts people and deploy pipelines act on.
 * A verdict is stored by repository and digest (the gate's question: "may this image ship?") and notified once.
 */
import type {
  AccountInfo,
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
import { collectScanFindings } from '../policy/scan/findings';
import {
  codeBuildTime,
  type BuildStateEvent,
  type ImagePushEvent,
  type ScanEvent,
} from '../policy/scan/events';
import {
  chatbotPayload,
  scanFailedNotification,
  scanVerdictNotification,
} from '../policy/scan/notifications';
import { decideVerdict } from '../policy/scan/verdict';
import { partitionOf } from '../policy/snapshot';
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

async function publish(
  notifier: Notifier,
  notification: Notification,
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

/**
 * What makes two deliveries "the same scan result": ECR may report one scan twice under different event ids,
 * so the key is the image and what the scan found, not the event.
 */
export function scanResultKey(event: ScanEvent): string {
  return [event.repositoryName, event.imageDigest, event.scanStatus, JSON.stringify(event.counts)].join('|');
}

/** One build reaching one state is notified once, however often EventBridge delivers it. */
export function buildStateKey(event: BuildStateEvent): string {
  return `${event.buildId}|${event.status}`;
}

export interface ScanResult {
  verdict: StoredVerdict;
  notifications: Notification[];
}

/** Decides, stores and notifies the verdict of one scan result. */
export async function onScanCompleted(
  event: ScanEvent,
  deps: ScanDeps,
  guardrails: Guardrails,
  now: Date,
): Promise<ScanResult> {
  // The build that pushed the image is usually recorded before the scan completes.
  const producedBy = await deps.verdicts.producerOf(event.repositoryName, event.imageDigest);
  if (event.status === 'failed') {
    const verdict: StoredVerdict = {
      repositoryName: event.repositoryName,
      imageDigest: event.imageDigest,
      verdict: 'scan-failed',
      scanKind: event.kind,
      imageTags: event.imageTags,
      counts: {},
      topFindings: [],
      allowlisted: [],
      expiredAllowlist: [],
      scannedAt: event.time,
      ...(producedBy ? { producedBy } : {}),
    };
    await deps.verdicts.putVerdict(verdict);
    const notifications = await publish(
      deps.notifier,
      scanFailedNotification({ event, ...(producedBy ? { producedBy } : {}) }),
      guardrails,
    );
    return { verdict, notifications };
  }
  const pages = await deps.findings.imageScanFindingsPages(event.repositoryName, event.imageDigest);
  const decided = decideVerdict({
    event,
    findings: collectScanFindings(pages),
    config: guardrails.scanGate,
    now,
  });
  const verdict: StoredVerdict = {
    repositoryName: event.repositoryName,
    imageDigest: event.imageDigest,
    verdict: decided.verdict,
    scanKind: event.kind,
    imageTags: event.imageTags,
    counts: decided.counts,
    topFindings: decided.topFindings,
    allowlisted: decided.allowlisted,
    expiredAllowlist: decided.expiredAllowlist,
    scannedAt: event.time,
    ...(producedBy ? { producedBy } : {}),
  };
  await deps.verdicts.putVerdict(verdict);
  const notifications = await publish(
    deps.notifier,
    scanVerdictNotification({ event, verdict: decided, ...(producedBy ? { producedBy } : {}) }),
    guardrails,
  );
  return { verdict, notifications };
}

/** Records the build (for image correlation) and notifies the configured build states. */
export async function onBuildStateChanged(
  event: BuildStateEvent,
  deps: BuildDeps,
  guardrails: Guardrails,
): Promise<{ build: BuildRecord | null; notifications: Notification[] }> {
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
  const repositoryName = target?.status === 'resolved' ? target.repositoryName : undefined;
  let build: BuildRecord | null = null;
  const start = event.startTime ? codeBuildTime(event.startTime) : undefined;
  if (repositoryName && start && !Number.isNaN(start.getTime())) {
    const terminal = event.status !== 'IN_PROGRESS';
    build = {
      id: event.buildId,
      projectName: event.projectName,
      repositoryName,
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

/** Names the build that pushed an image, from the builds recorded for its repository. */
export async function onImagePushed(
  event: ImagePushEvent,
  deps: Pick<BuildDeps, 'verdicts'>,
): Promise<{ producedBy: StoredVerdict['producedBy'] | null }> {
  const builds = await deps.verdicts.buildsFor(event.repositoryName);
  const producedBy = correlateImageToBuild(event, builds);
  if (!producedBy) return { producedBy: null };
  await deps.verdicts.recordProducer(event.repositoryName, event.imageDigest, producedBy);
  return { producedBy };
}

/** The gate's question. */
export async function imageVerdict(
  verdicts: VerdictStore,
  repositoryName: string,
  imageDigest: string,
): Promise<StoredVerdict | undefined> {
  return verdicts.getVerdict(repositoryName, imageDigest);
}

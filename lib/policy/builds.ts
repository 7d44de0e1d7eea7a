/**
 * CodeBuild build notifications and image-to-build correlation. Pure: events come in parsed
 * (`parseBuildStateEvent` in build-events.ts, `parseImagePushEvent` in image-action-events.ts), builds as
 * plain records.
 */
import type { NotificationText } from './notifications';
import { truncateLines } from './notifications';
import type { ScanGateConfig } from './scan/scan-gate-config';
import type { BuildPhase, BuildStateEvent, BuildStatus } from './build-events';
import type { ImagePushEvent } from './image-action-events';
import type { NotificationSeverity } from './scan/text';
import { consoleHost, fitMessage, fitSubject } from './notifications';
import { clip, formatDuration } from './scan/text';

/** The build that produced an image, when it is known. */
export interface ProducedBy {
  project: string;
  /** Build id (`project:uuid`) or build ARN. */
  buildId: string;
  buildNumber?: number;
  sourceVersion?: string;
}

export interface BuildNotificationOptions {
  /** Region of the console links (the CodeBuild console shows a build only in its own region). */
  consoleRegion: string;
  /** The ECR repository the project pushes to, when known (see target-repository.ts). */
  repositoryName?: string;
}

const SEVERITY_BY_STATUS: Record<BuildStatus, NotificationSeverity> = {
  FAILED: 'high',
  FAULT: 'high',
  TIMED_OUT: 'high',
  STOPPED: 'medium',
  SUCCEEDED: 'info',
  IN_PROGRESS: 'info',
};

const MAX_CONTEXT_LINES = 5;
const MAX_CONTEXT_CHARS = 500;
const MAX_PHASE_LINES = 15;

/** Whether the scan gate's `buildNotifications.statuses` asks for this build state. */
export function isBuildNotified(event: BuildStateEvent, config: ScanGateConfig): boolean {
  return (config.buildNotifications.statuses as readonly string[]).includes(event.status);
}

/** `project:uuid` from `arn:aws:codebuild:<region>:<account>:build/project:uuid` (or the id itself). */
export function buildIdOf(buildArnOrId: string): string {
  const at = buildArnOrId.indexOf(':build/');
  return at >= 0 ? buildArnOrId.slice(at + ':build/'.length) : buildArnOrId;
}

function buildConsoleLink(event: BuildStateEvent, region: string): string {
  const account = /^arn:[^:]+:codebuild:[^:]*:(\d{12}):/.exec(event.buildId)?.[1] ?? event.account;
  const project = encodeURIComponent(event.projectName);
  const build = encodeURIComponent(buildIdOf(event.buildId));
  return `https://${consoleHost(region)}/codesuite/codebuild/${account}/projects/${project}/build/${build}/?region=${region}`;
}

function buildLabel(event: BuildStateEvent): string {
  if (event.buildNumber !== undefined) return `#${event.buildNumber}`;
  const uuid = buildIdOf(event.buildId).split(':').pop() ?? '';
  return uuid.slice(0, 8);
}

function phaseLine(p: BuildPhase): string {
  const duration = p.durationSeconds !== undefined ? formatDuration(p.durationSeconds) : '';
  return `  ${p.type.padEnd(18)} ${(p.status ?? '').padEnd(10)} ${duration}`.trimEnd();
}

/** A plain-text email a person can act on: what failed, where, the error, and where the logs are. */
export function buildStateNotification(
  event: BuildStateEvent,
  options: BuildNotificationOptions,
): NotificationText {
  const failed = event.failedPhase;
  const label = buildLabel(event);
  const subject = fitSubject(
    `buildwarden build ${event.status}: ${event.projectName} ${label}${failed ? ` in ${failed.type}` : ''}`,
  );

  const facts: string[] = [
    `Project:        ${event.projectName}`,
    `Build:          ${event.buildNumber !== undefined ? `#${event.buildNumber} ` : ''}${event.buildId}`,
    `Account/region: ${event.account} / ${event.region}`,
    ...(event.initiator ? [`Initiator:      ${event.initiator}`] : []),
    ...(event.startTime ? [`Started:        ${event.startTime}`] : []),
    ...(event.durationSeconds !== undefined
      ? [`Duration:       ${formatDuration(event.durationSeconds)} (sum of phase durations)`]
      : []),
    ...(event.sourceLocation || event.sourceType
      ? [`Source:         ${[event.sourceType, event.sourceLocation].filter(Boolean).join(' ')}`]
      : []),
    ...(event.sourceVersion ? [`Source version: ${event.sourceVersion}`] : []),
    ...(options.repositoryName ? [`Pushes to:      ${options.repositoryName}`] : []),
  ];

  const failure: string[] = failed
    ? [
        '',
        `Failed phase: ${failed.type} (${failed.status ?? 'unknown'})${
          failed.durationSeconds !== undefined ? ` after ${formatDuration(failed.durationSeconds)}` : ''
        }`,
        ...(failed.context.length > 0
          ? truncateLines(
              failed.context.map((c) => `  ${clip(c, MAX_CONTEXT_CHARS)}`),
              MAX_CONTEXT_LINES,
            )
          : ['  (CodeBuild gave no context message for this phase)']),
      ]
    : [];

  const links = [
    '',
    event.logs.deepLink
      ? `Logs:           ${event.logs.deepLink}`
      : 'Logs:           not available (CloudWatch Logs may be disabled for this project)',
    `Build console:  ${buildConsoleLink(event, options.consoleRegion)}`,
  ];

  const phases =
    event.phases.length > 0
      ? ['', 'Phases:', ...truncateLines(event.phases.map(phaseLine), MAX_PHASE_LINES)]
      : [];

  const message = fitMessage(
    [
      `CodeBuild build ${event.status}: ${event.projectName} ${label}`,
      '',
      ...facts,
      ...failure,
      ...links,
      ...phases,
    ].join('\n'),
  );

  return {
    subject,
    message,
    attributes: {
      kind: 'build-state',
      severity: SEVERITY_BY_STATUS[event.status],
      repository: options.repositoryName ?? '',
      project: event.projectName,
    },
  };
}

/** How many of a repository's builds the verdict store answers with, the most recent first. */
export const BUILDS_WINDOW = 50;

/**
 * The order of a repository's builds in the store, the most recent first: by start time, then by build id
 * (the builds table's sort key `<startTime>#<build id>`, read backwards).
 */
export function newestBuildFirst(a: BuildRecord, b: BuildRecord): number {
  const left = `${a.startTime}#${a.id}`;
  const right = `${b.startTime}#${b.id}`;
  return left < right ? 1 : left > right ? -1 : 0;
}

/** A build as the correlation needs it (BatchGetBuilds joined with the project's target repository). */
export interface BuildRecord {
  id: string;
  projectName: string;
  /** The repository the project pushes to; builds without one never match. */
  repositoryName?: string;
  /** The registry (account) and region of that repository (from its ARN). */
  registryId?: string;
  region?: string;
  /** ISO 8601. */
  startTime: string;
  /** ISO 8601; absent while the build runs. */
  endTime?: string;
  sourceVersion?: string;
  buildNumber?: number;
}

/** EventBridge `time` has whole-second precision; build times have milliseconds. */
const EVENT_TIME_PRECISION_MS = 1000;

/**
 * The build that pushed an image: a build of a project whose target repository is the push's repository and
 * whose run (start to end, or start onwards while it runs) contains the push time. When several builds
 * qualify, the one that started last wins (it is the innermost run around the push); builds that started at
 * the same instant are ordered by build number (higher first), then by id, so the answer is deterministic.
 * A push whose repository no build targets yields undefined rather than a guess.
 */
export function correlateImageToBuild(
  push: ImagePushEvent,
  builds: readonly BuildRecord[],
): ProducedBy | undefined {
  const pushedAt = Date.parse(push.time);
  if (Number.isNaN(pushedAt)) return undefined;
  const candidates = builds.flatMap((b) => {
    if (b.repositoryName !== push.repositoryName) return [];
    const start = Date.parse(b.startTime);
    const end = b.endTime !== undefined ? Date.parse(b.endTime) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(start) || Number.isNaN(end)) return [];
    // The push happened somewhere in [pushedAt, pushedAt + 1 s).
    if (start >= pushedAt + EVENT_TIME_PRECISION_MS || end < pushedAt) return [];
    return [{ build: b, start }];
  });
  candidates.sort(
    (a, b) =>
      b.start - a.start ||
      (b.build.buildNumber ?? -1) - (a.build.buildNumber ?? -1) ||
      a.build.id.localeCompare(b.build.id),
  );
  const chosen = candidates[0]?.build;
  if (!chosen) return undefined;
  return {
    project: chosen.projectName,
    buildId: chosen.id,
    ...(chosen.buildNumber !== undefined ? { buildNumber: chosen.buildNumber } : {}),
    ...(chosen.sourceVersion !== undefined ? { sourceVersion: chosen.sourceVersion } : {}),
  };
}

/**
 * `CodeBuild Build State Change` / `CodeBuild Build Phase Change` → `BuildStateEvent` / `BuildPhaseEvent`
 * (CodeBuild User Guide, "Build notifications input format reference"), parsed once at the trust boundary.
 * Schemas are loose (unknown fields are kept and ignored) but every field read is checked; a failure names the
 * JSON path of the offending field.
 */
import * as z from 'zod';
import { lazy } from './lazy';
import { envelope, originOf, type EventOrigin } from './event-fields';
import { parseWith } from './validation';

/** CodeBuild StatusType (botocore codebuild 2016-10-06). */
export const BUILD_STATUSES = [
  'SUCCEEDED',
  'FAILED',
  'FAULT',
  'TIMED_OUT',
  'IN_PROGRESS',
  'STOPPED',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

/**
 * `phase-context` is a list of `statusCode: message` strings (`": "` when empty) in live events, `[]` in the
 * documented sample; BatchGetBuilds' `{ statusCode, message }` objects are accepted too.
 */
const phaseContextSchema = lazy(() =>
  z
    .array(
      z.union([
        z.string(),
        z.looseObject({ statusCode: z.string().optional(), message: z.string().optional() }),
      ]),
    )
    .default([]),
);

const phaseSchema = lazy(() =>
  z.looseObject({
    'phase-type': z.string().min(1),
    'phase-status': z.string().optional(),
    'start-time': z.string().optional(),
    'end-time': z.string().optional(),
    'duration-in-seconds': z.number().nonnegative().optional(),
    'phase-context': phaseContextSchema(),
  }),
);

/** Only what buildwarden reads is typed. Environment variables are deliberately not read: they may hold secrets. */
const additionalInformationSchema = lazy(() =>
  z
    .looseObject({
      /** Not in the documented sample; present in live events. */
      'build-number': z.number().int().positive().optional(),
      initiator: z.string().optional(),
      'build-start-time': z.string().optional(),
      'build-complete': z.boolean().optional(),
      /** Not in the documented sample; present in live events. */
      'source-version': z.string().optional(),
      source: z.looseObject({ type: z.string().optional(), location: z.string().optional() }).optional(),
      logs: z
        .looseObject({
          'group-name': z.string().optional(),
          'stream-name': z.string().optional(),
          'deep-link': z.string().optional(),
        })
        .optional(),
      phases: z.array(phaseSchema()).default([]),
    })
    .prefault({}),
);

const buildDetail = lazy(() => ({
  'project-name': z.string().min(1),
  'build-id': z.string().min(1),
  'additional-information': additionalInformationSchema(),
}));

const buildStateSchema = lazy(() =>
  z.looseObject({
    ...envelope,
    'detail-type': z.literal('CodeBuild Build State Change'),
    source: z.literal('aws.codebuild'),
    detail: z.looseObject({
      ...buildDetail(),
      'build-status': z.enum(BUILD_STATUSES),
      'current-phase': z.string().optional(),
      'current-phase-context': z.string().optional(),
    }),
  }),
);

const buildPhaseSchema = lazy(() =>
  z.looseObject({
    ...envelope,
    'detail-type': z.literal('CodeBuild Build Phase Change'),
    source: z.literal('aws.codebuild'),
    detail: z.looseObject({
      ...buildDetail(),
      'completed-phase': z.string().min(1),
      'completed-phase-status': z.string().optional(),
      'completed-phase-context': z.string().optional(),
      'completed-phase-duration-seconds': z.number().nonnegative().optional(),
      'completed-phase-start': z.string().optional(),
      'completed-phase-end': z.string().optional(),
    }),
  }),
);

export interface BuildPhase {
  /** SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD … COMPLETED. */
  type: string;
  /** A StatusType; absent on the final COMPLETED marker. */
  status?: string;
  startTime?: string;
  endTime?: string;
  durationSeconds?: number;
  /** Non-empty context messages, e.g. `COMMAND_EXECUTION_ERROR: Error while executing command: … exit status 1`. */
  context: string[];
}

/** What both CodeBuild events say about the build. */
export interface BuildInfo extends EventOrigin {
  projectName: string;
  /** The build ARN (`arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>`). */
  buildId: string;
  buildNumber?: number;
  initiator?: string;
  /** As sent, e.g. `Sep 1, 2017 4:12:29 PM`. */
  startTime?: string;
  /** Sum of the phases' durations: the event carries no end time of the build itself. */
  durationSeconds?: number;
  sourceType?: string;
  /** Source location with any credentials embedded in a URL removed. */
  sourceLocation?: string;
  sourceVersion?: string;
  phases: BuildPhase[];
  logs: { groupName?: string; streamName?: string; deepLink?: string };
}

export interface BuildStateEvent extends BuildInfo {
  status: BuildStatus;
  currentPhase?: string;
  /** The first phase that ended in a status other than SUCCEEDED (FAILED, FAULT, TIMED_OUT, STOPPED …). */
  failedPhase?: BuildPhase;
}

export interface BuildPhaseEvent extends BuildInfo {
  completedPhase: BuildPhase;
}

/** `https://user:token@github.com/org/repo.git` → `https://github.com/org/repo.git`. */
export function withoutUrlCredentials(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1');
}

function contextMessages(context: z.infer<ReturnType<typeof phaseContextSchema>>): string[] {
  return context
    .map((c) => (typeof c === 'string' ? c : `${c.statusCode ?? ''}: ${c.message ?? ''}`).trim())
    .filter((text) => text !== '' && text !== ':');
}

function toPhase(p: z.infer<ReturnType<typeof phaseSchema>>): BuildPhase {
  return {
    type: p['phase-type'],
    ...(p['phase-status'] !== undefined ? { status: p['phase-status'] } : {}),
    ...(p['start-time'] !== undefined ? { startTime: p['start-time'] } : {}),
    ...(p['end-time'] !== undefined ? { endTime: p['end-time'] } : {}),
    ...(p['duration-in-seconds'] !== undefined ? { durationSeconds: p['duration-in-seconds'] } : {}),
    context: contextMessages(p['phase-context']),
  };
}

/** The console's deep link when CloudWatch Logs is disabled reads `group=null;stream=null`: not a link. */
function usableDeepLink(link: string | undefined): string | undefined {
  if (!link || !/^https:\/\//.test(link) || /group=null/.test(link)) return undefined;
  return link;
}

function buildInfo(
  e: z.infer<ReturnType<typeof buildStateSchema>> | z.infer<ReturnType<typeof buildPhaseSchema>>,
): BuildInfo {
  const info = e.detail['additional-information'];
  const phases = info.phases.map(toPhase);
  const durations = phases.flatMap((p) => (p.durationSeconds !== undefined ? [p.durationSeconds] : []));
  const deepLink = usableDeepLink(info.logs?.['deep-link']);
  const groupName = info.logs?.['group-name'];
  const streamName = info.logs?.['stream-name'];
  return {
    projectName: e.detail['project-name'],
    buildId: e.detail['build-id'],
    ...(info['build-number'] !== undefined ? { buildNumber: info['build-number'] } : {}),
    ...(info.initiator ? { initiator: info.initiator } : {}),
    ...(info['build-start-time'] ? { startTime: info['build-start-time'] } : {}),
    ...(durations.length > 0 ? { durationSeconds: durations.reduce((a, b) => a + b, 0) } : {}),
    ...(info.source?.type ? { sourceType: info.source.type } : {}),
    ...(info.source?.location ? { sourceLocation: withoutUrlCredentials(info.source.location) } : {}),
    ...(info['source-version'] ? { sourceVersion: info['source-version'] } : {}),
    phases,
    logs: {
      ...(groupName ? { groupName } : {}),
      ...(streamName ? { streamName } : {}),
      ...(deepLink ? { deepLink } : {}),
    },
    ...originOf(e),
  };
}

const NOT_FAILED = new Set(['SUCCEEDED', 'IN_PROGRESS']);

/** Parses a `CodeBuild Build State Change` event. */
export function parseBuildStateEvent(event: unknown): BuildStateEvent {
  const e = parseWith(buildStateSchema(), event, 'CodeBuild Build State Change event');
  const info = buildInfo(e);
  const failedPhase = info.phases.find((p) => p.status !== undefined && !NOT_FAILED.has(p.status));
  return {
    ...info,
    status: e.detail['build-status'],
    ...(e.detail['current-phase'] ? { currentPhase: e.detail['current-phase'] } : {}),
    ...(failedPhase ? { failedPhase } : {}),
  };
}

/** `completed-phase-context` is the context list rendered as text: `[]`, `[: ]` or `[CLIENT_ERROR: …]`. */
function contextFromText(text: string | undefined): string[] {
  const inner = (text ?? '').trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  return inner === '' || inner === ':' ? [] : [inner];
}

/** Parses a `CodeBuild Build Phase Change` event. */
export function parseBuildPhaseEvent(event: unknown): BuildPhaseEvent {
  const e = parseWith(buildPhaseSchema(), event, 'CodeBuild Build Phase Change event');
  const d = e.detail;
  return {
    ...buildInfo(e),
    completedPhase: {
      type: d['completed-phase'],
      ...(d['completed-phase-status'] !== undefined ? { status: d['completed-phase-status'] } : {}),
      ...(d['completed-phase-start'] !== undefined ? { startTime: d['completed-phase-start'] } : {}),
      ...(d['completed-phase-end'] !== undefined ? { endTime: d['completed-phase-end'] } : {}),
      ...(d['completed-phase-duration-seconds'] !== undefined
        ? { durationSeconds: d['completed-phase-duration-seconds'] }
        : {}),
      context: contextFromText(d['completed-phase-context']),
    },
  };
}

/**
 * CodeBuild event times look like `Oct 2, 2026 9:12:03 AM` with no zone; they are UTC. Parsed as UTC whatever
 * the local time zone (ISO text is accepted too).
 */
export function codeBuildTime(text: string): Date {
  const iso = Date.parse(text);
  if (/[zZ]$|[+-]\d{2}:?\d{2}$|\bUTC$|\bGMT$/.test(text.trim()) && !Number.isNaN(iso)) return new Date(iso);
  return new Date(Date.parse(`${text.trim()} UTC`));
}

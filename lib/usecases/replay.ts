/**
 * One entry for any EventBridge event: routed by the event patterns of the functions (lib/events/routes.ts,
 * the same patterns serverless.yml deploys) to the use case that function runs. An event no function
 * subscribes to is skipped with that reason, as EventBridge would never deliver it; a file that is not an
 * EventBridge event at all is InvalidInputError. Used by `buildwarden replay` and the benchmarks.
 */
import { parseEventEnvelope, type EventEnvelope } from '../events/envelope';
import { functionsFor, type EventFunction } from '../events/routes';
import { parseChangeEvent } from '../policy/change-events';
import type { Guardrails } from '../policy/guardrails';
import { parseBuildStateEvent } from '../policy/build-events';
import { parseImageActionEvent } from '../policy/image-action-events';
import { parseScanGateEvent } from '../policy/scan-events';
import type { ImageLookup, Notification, ScanFindingsReader, VerdictStore } from '../ports';
import { onChangeEvent, type ChangeAction, type ChangeDeps, type ChangeOptions } from './on-change';
import { onBuildStateChanged, onImageAction, onScanCompleted } from './scan-gate';

export type ReplayDeps = ChangeDeps & {
  findings: ScanFindingsReader;
  verdicts: VerdictStore;
  images: ImageLookup;
};

/** The change handler's options (as in Lambda); `dryRun` is required here. */
export interface ReplayOptions extends ChangeOptions {
  /** Change events: plan and notify, write nothing. Other kinds write only buildwarden's own records. */
  dryRun: boolean;
}

export interface ReplayResult {
  /** The function whose rule the event matches; null when no function subscribes to it. */
  function: EventFunction | null;
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
  verdict?: unknown;
  build?: unknown;
  producedBy?: unknown;
  deleted?: boolean;
}

type Replayer = (
  raw: unknown,
  deps: ReplayDeps,
  guardrails: Guardrails,
  options: ReplayOptions,
) => Promise<Omit<ReplayResult, 'function'>>;

/** What each function's handler runs, minus its idempotency wrapper (replay is one delivery). */
const REPLAYERS: Record<EventFunction, Replayer> = {
  onChange: (raw, deps, guardrails, options) =>
    onChangeEvent(parseChangeEvent(raw), deps, guardrails, options),
  onScan: async (raw, deps, guardrails, options) => {
    const { skipped, verdict, notifications } = await onScanCompleted(
      parseScanGateEvent(raw),
      deps,
      guardrails,
      options.now,
    );
    return { skipped, actions: [], notifications, verdict };
  },
  onBuild: async (raw, deps, guardrails) => {
    const { build, notifications, skipped } = await onBuildStateChanged(
      parseBuildStateEvent(raw),
      deps,
      guardrails,
    );
    return { skipped: skipped ?? null, actions: [], notifications, build };
  },
  onImagePush: async (raw, deps) => {
    const result = await onImageAction(parseImageActionEvent(raw), deps);
    const outcome =
      result.action === 'PUSH' ? { producedBy: result.producedBy } : { deleted: result.deleted };
    return { skipped: result.skipped ?? null, actions: [], notifications: [], ...outcome };
  },
};

/** The function the event reaches, or null; throws InvalidInputError when it is not an EventBridge event. */
export function routeEvent(
  raw: unknown,
  source = 'event',
): { envelope: EventEnvelope; function: EventFunction | null } {
  const envelope = parseEventEnvelope(raw, source);
  const targets = functionsFor(raw);
  // The deployed patterns are disjoint (tests/unit/deploy/event-routes.test.ts); two matches is a defect.
  if (targets.length > 1) throw new Error(`the patterns of ${targets.join(' and ')} overlap on this event`);
  return { envelope, function: targets[0] ?? null };
}

/** Why an event reaches no function, naming its detail-type (and, for CloudTrail events, the call). */
export function unsubscribedReason(envelope: EventEnvelope): string {
  const detail = envelope.detail;
  const call =
    typeof detail.eventName === 'string'
      ? ` (${detail.eventName} from ${typeof detail.eventSource === 'string' ? detail.eventSource : envelope.source})`
      : '';
  return `no function subscribes to ${envelope['detail-type']}${call}`;
}

export async function replayEvent(
  raw: unknown,
  deps: ReplayDeps,
  guardrails: Guardrails,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const routed = routeEvent(raw);
  if (routed.function === null) {
    return { function: null, skipped: unsubscribedReason(routed.envelope), actions: [], notifications: [] };
  }
  const result = await REPLAYERS[routed.function](raw, deps, guardrails, options);
  return { function: routed.function, ...result };
}

/**
 * One entry for any EventBridge event buildwarden handles: routed by detail-type to the use case its Lambda
 * function runs, exactly as the EventBridge rules route it. Used by `buildwarden replay` and the benchmarks.
 */
import { parseChangeEvent } from '../policy/change-events';
import type { Guardrails } from '../policy/guardrails';
import { parseBuildStateEvent, parseImageActionEvent, parseScanGateEvent } from '../policy/scan/events';
import { InvalidInputError } from '../policy/validation';
import type { ImageLookup, Notification, ScanFindingsReader, VerdictStore } from '../ports';
import { onChangeEvent, type ChangeAction, type ChangeDeps } from './on-change';
import { onBuildStateChanged, onImageAction, onScanCompleted } from './scan-gate';

export type ReplayDeps = ChangeDeps & {
  findings: ScanFindingsReader;
  verdicts: VerdictStore;
  images: ImageLookup;
};

export type UseCaseName = 'onScanCompleted' | 'onBuildStateChanged' | 'onImagePushed' | 'onChangeEvent';

export interface ReplayResult {
  useCase: UseCaseName;
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
  verdict?: unknown;
  build?: unknown;
  producedBy?: unknown;
  deleted?: boolean;
}

export function useCaseFor(detailType: unknown): UseCaseName {
  if (
    detailType === 'ECR Image Scan' ||
    detailType === 'Inspector2 Scan' ||
    detailType === 'Inspector2 Finding'
  )
    return 'onScanCompleted';
  if (detailType === 'CodeBuild Build State Change') return 'onBuildStateChanged';
  if (detailType === 'ECR Image Action') return 'onImagePushed';
  return 'onChangeEvent';
}

export async function replayEvent(
  raw: unknown,
  deps: ReplayDeps,
  guardrails: Guardrails,
  options: { now: Date; dryRun: boolean; ownRoleArns: readonly string[]; remediableRoles?: string },
): Promise<ReplayResult> {
  const useCase = useCaseFor(
    raw && typeof raw === 'object' ? (raw as Record<string, unknown>)['detail-type'] : undefined,
  );
  if (options.dryRun && useCase !== 'onChangeEvent') {
    throw new InvalidInputError('options', ['dry run applies to change events only']);
  }
  if (useCase === 'onScanCompleted') {
    const { skipped, verdict, notifications } = await onScanCompleted(
      parseScanGateEvent(raw),
      deps,
      guardrails,
      options.now,
    );
    return { useCase, skipped, actions: [], notifications, verdict };
  }
  if (useCase === 'onBuildStateChanged') {
    const { build, notifications, skipped } = await onBuildStateChanged(
      parseBuildStateEvent(raw),
      deps,
      guardrails,
    );
    return { useCase, skipped: skipped ?? null, actions: [], notifications, build };
  }
  if (useCase === 'onImagePushed') {
    const result = await onImageAction(parseImageActionEvent(raw), deps);
    const outcome =
      result.action === 'PUSH' ? { producedBy: result.producedBy } : { deleted: result.deleted };
    return { useCase, skipped: result.skipped ?? null, actions: [], notifications: [], ...outcome };
  }
  const change = await onChangeEvent(parseChangeEvent(raw), deps, guardrails, options);
  return { useCase, ...change };
}

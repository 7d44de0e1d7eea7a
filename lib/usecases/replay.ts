/**
 * One entry for any EventBridge event buildwarden handles: routed by detail-type to the use case its Lambda
 * function runs, exactly as the EventBridge rules route it. Used by `buildwarden replay` and the benchmarks.
 */
import { parseChangeEvent } from '../policy/change-events';
import type { Guardrails } from '../policy/guardrails';
import { parseBuildStateEvent, parseImagePushEvent, parseScanEvent } from '../policy/scan/events';
import { InvalidInputError } from '../policy/validation';
import type { Notification, ScanFindingsReader, VerdictStore } from '../ports';
import { onChangeEvent, type ChangeAction, type ChangeDeps } from './on-change';
import { onBuildStateChanged, onImagePushed, onScanCompleted } from './scan-gate';

export type ReplayDeps = ChangeDeps & { findings: ScanFindingsReader; verdicts: VerdictStore };

export type UseCaseName = 'onScanCompleted' | 'onBuildStateChanged' | 'onImagePushed' | 'onChangeEvent';

export interface ReplayResult {
  useCase: UseCaseName;
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
  verdict?: unknown;
  build?: unknown;
  producedBy?: unknown;
}

export function useCaseFor(detailType: unknown): UseCaseName {
  if (detailType === 'ECR Image Scan' || detailType === 'Inspector2 Scan') return 'onScanCompleted';
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
    const { verdict, notifications } = await onScanCompleted(
      parseScanEvent(raw),
      deps,
      guardrails,
      options.now,
    );
    return { useCase, skipped: null, actions: [], notifications, verdict };
  }
  if (useCase === 'onBuildStateChanged') {
    const { build, notifications } = await onBuildStateChanged(parseBuildStateEvent(raw), deps, guardrails);
    return { useCase, skipped: null, actions: [], notifications, build };
  }
  if (useCase === 'onImagePushed') {
    const { producedBy } = await onImagePushed(parseImagePushEvent(raw), deps);
    return { useCase, skipped: null, actions: [], notifications: [], producedBy };
  }
  const change = await onChangeEvent(parseChangeEvent(raw), deps, guardrails, options);
  return { useCase, ...change };
}

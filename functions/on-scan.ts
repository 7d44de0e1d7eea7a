/**
 * Image scan completions. Trigger: EventBridge `ECR Image Scan` (basic) and `Inspector2 Scan` (enhanced).
 * Decides the verdict, stores it for the deploy gate and notifies once per scan result (idempotent on the
 * result, so a scan ECR reports twice is notified once). Malformed events are dropped; AWS errors rethrown.
 */
import { logger } from '../lib/logger';
import { idempotencyTable, onceByKey, runtimeConfig, scanDeps } from '../lib/runtime';
import { parseScanEvent, type ScanEvent } from '../lib/policy/scan/events';
import { InvalidInputError } from '../lib/policy/validation';
import { onScanCompleted } from '../lib/usecases/scan-gate';

let decide:
  | ((keyed: { key: string; input: ScanEvent }) => Promise<{ verdict: string; notifications: number }>)
  | undefined;

export const handler = async (
  raw: unknown,
): Promise<{ verdict: string; notifications: number } | { dropped: string }> => {
  const config = runtimeConfig();
  let event: ScanEvent;
  try {
    event = parseScanEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('scan event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  decide ??= onceByKey(idempotencyTable(), async (input: ScanEvent) => {
    const result = await onScanCompleted(input, await scanDeps(), config.guardrails, new Date());
    return { verdict: result.verdict.verdict, notifications: result.notifications.length };
  });
  const key = [event.repositoryName, event.imageDigest, event.scanStatus, JSON.stringify(event.counts)].join(
    '|',
  );
  const result = await decide({ key, input: event });
  logger.info('scan evaluated', {
    repository: event.repositoryName,
    digest: event.imageDigest,
    verdict: result.verdict,
  });
  return result;
};

/**
 * Image scan completions. Trigger: EventBridge `ECR Image Scan` (basic) and `Inspector2 Scan` (enhanced).
 * Decides the verdict, stores it for the deploy gate and notifies once per scan result (idempotent on the
 * result, so a scan ECR reports twice is notified once). Malformed events are dropped; AWS errors rethrown.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { idempotencyTable, onceByKey } from '../lib/runtime/idempotency';
import { scanWiring } from '../lib/runtime/scan';
import { parseScanEvent, type ScanEvent } from '../lib/policy/scan/events';
import { InvalidInputError } from '../lib/policy/validation';
import { onScanCompleted, scanResultKey } from '../lib/usecases/scan-gate';

export const handler = async (
  raw: unknown,
  context?: Context,
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
  const key = scanResultKey(event);
  const result = await withAccount(scanWiring, async (deps) => {
    const decide = async (input: ScanEvent) => {
      const outcome = await onScanCompleted(input, deps, config.guardrails, new Date());
      return { verdict: outcome.verdict.verdict, notifications: outcome.notifications.length };
    };
    // Once per scan result. (The local sandbox stage has no idempotency table and handles each delivery.)
    return deps.sandbox
      ? decide(event)
      : onceByKey(idempotencyTable(), decide, context)({ key, input: event });
  });
  logger.info('scan evaluated', {
    repository: event.repositoryName,
    digest: event.imageDigest,
    verdict: result.verdict,
  });
  return result;
};

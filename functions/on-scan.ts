/**
 * Image scans and findings. Trigger: EventBridge `ECR Image Scan` (basic), and `Inspector2 Scan` and
 * `Inspector2 Finding` about ECR images (enhanced). Reads the image's findings from the findings API, decides the
 * verdict, stores it unless a newer one is stored and notifies once per new truth (idempotent on the image, the
 * scan's completion time and a fingerprint of its findings, so repeated or overlapping events notify once).
 * Events about other accounts, regions or resources, and images that are gone, are skipped with the reason;
 * malformed events are dropped; AWS errors rethrown for retry.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { idempotencyTable, onceByKey } from '../lib/runtime/idempotency';
import { scanWiring } from '../lib/runtime/scan';
import { parseScanGateEvent, type ScanGateEvent } from '../lib/policy/scan-events';
import { InvalidInputError } from '../lib/policy/validation';
import {
  observeScan,
  recordScanResult,
  scanResultKey,
  type ScanObservation,
} from '../lib/usecases/scan-gate';

type Outcome = { verdict: string; notifications: number; change?: string } | { skipped: string };

export const handler = async (raw: unknown, context?: Context): Promise<Outcome | { dropped: string }> => {
  const config = runtimeConfig();
  let event: ScanGateEvent;
  try {
    event = parseScanGateEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('scan event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(scanWiring, async (deps): Promise<Outcome> => {
    // The local sandbox stage has no idempotency table; elsewhere a missing one fails before any work.
    const table = deps.sandbox ? undefined : idempotencyTable();
    const observed = await observeScan(event, deps);
    if ('skipped' in observed) return { skipped: observed.skipped };
    const record = async (observation: ScanObservation): Promise<Outcome> => {
      const outcome = await recordScanResult(observation, deps, config.guardrails, new Date());
      if (outcome.skipped) return { skipped: outcome.skipped };
      return {
        verdict: outcome.verdict?.verdict ?? 'unknown',
        notifications: outcome.notifications.length,
        ...(outcome.change ? { change: outcome.change } : {}),
      };
    };
    // Once per truth. (On the sandbox stage the store's "unchanged" answer keeps a repeat from notifying.)
    return table === undefined
      ? record(observed.observation)
      : onceByKey(
          table,
          record,
          context,
        )({
          key: scanResultKey(observed.observation),
          input: observed.observation,
        });
  });
  const image = 'repositoryName' in event ? `${event.repositoryName}@${event.imageDigest}` : undefined;
  if ('skipped' in result) {
    logger.info('scan event skipped', { eventId: event.eventId, image, reason: result.skipped });
  } else {
    logger.info('scan evaluated', { eventId: event.eventId, image, ...result });
  }
  return result;
};

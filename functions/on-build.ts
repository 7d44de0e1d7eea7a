/**
 * CodeBuild build state changes. Trigger: EventBridge `CodeBuild Build State Change`. Records the build (so a
 * later scan verdict names the build that produced the image) and notifies the configured states once per
 * build and state. Events of other accounts or regions are skipped with the reason; malformed events are
 * dropped; AWS errors rethrown for retry.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { buildWiring } from '../lib/runtime/build';
import { idempotencyTable, onceByKey } from '../lib/runtime/idempotency';
import { parseBuildStateEvent, type BuildStateEvent } from '../lib/policy/build-events';
import { InvalidInputError } from '../lib/policy/validation';
import { buildStateKey, onBuildStateChanged } from '../lib/usecases/scan-gate';

export const handler = async (
  raw: unknown,
  context?: Context,
): Promise<{ recorded: boolean; notifications: number } | { skipped: string } | { dropped: string }> => {
  const config = runtimeConfig();
  let event: BuildStateEvent;
  try {
    event = parseBuildStateEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('build event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(buildWiring, async (deps) => {
    const handle = async (input: BuildStateEvent) => {
      const outcome = await onBuildStateChanged(input, deps, config.guardrails);
      if (outcome.skipped) return { skipped: outcome.skipped };
      return { recorded: outcome.build !== null, notifications: outcome.notifications.length };
    };
    // Once per build and state. (The local sandbox stage has no idempotency table and handles each delivery.)
    return deps.sandbox
      ? handle(event)
      : onceByKey(idempotencyTable(), handle, context)({ key: buildStateKey(event), input: event });
  });
  logger.info('build state handled', { project: event.projectName, status: event.status, ...result });
  return result;
};

/**
 * CodeBuild build state changes. Trigger: EventBridge `CodeBuild Build State Change`. Records the build (so a
 * later scan verdict names the build that produced the image) and notifies the configured states once per
 * build and state. Malformed events are dropped; AWS errors rethrown for retry.
 */
import { logger } from '../lib/logger';
import { buildDeps, idempotencyTable, onceByKey, runtimeConfig } from '../lib/runtime';
import { parseBuildStateEvent, type BuildStateEvent } from '../lib/policy/scan/events';
import { InvalidInputError } from '../lib/policy/validation';
import { onBuildStateChanged } from '../lib/usecases/scan-gate';

let handle:
  | ((keyed: {
      key: string;
      input: BuildStateEvent;
    }) => Promise<{ recorded: boolean; notifications: number }>)
  | undefined;

export const handler = async (
  raw: unknown,
): Promise<{ recorded: boolean; notifications: number } | { dropped: string }> => {
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
  handle ??= onceByKey(idempotencyTable(), async (input: BuildStateEvent) => {
    const result = await onBuildStateChanged(input, await buildDeps(), config.guardrails);
    return { recorded: result.build !== null, notifications: result.notifications.length };
  });
  const result = await handle({ key: `${event.buildId}|${event.status}`, input: event });
  logger.info('build state handled', { project: event.projectName, status: event.status, ...result });
  return result;
};

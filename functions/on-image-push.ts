/**
 * Image pushes. Trigger: EventBridge `ECR Image Action` with action-type PUSH and result SUCCESS. Names the
 * build that pushed the digest (from the builds recorded for the repository). Idempotent by nature: the same
 * push always records the same build. Malformed events are dropped; AWS errors rethrown for retry.
 */
import { logger } from '../lib/logger';
import { withAccount } from '../lib/runtime/core';
import { verdictWiring } from '../lib/runtime/verdicts';
import { parseImagePushEvent } from '../lib/policy/scan/events';
import { InvalidInputError } from '../lib/policy/validation';
import { onImagePushed } from '../lib/usecases/scan-gate';

export const handler = async (raw: unknown): Promise<{ producedBy: unknown } | { dropped: string }> => {
  let event;
  try {
    event = parseImagePushEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('image push event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(verdictWiring, (deps) => onImagePushed(event, deps));
  logger.info('image push correlated', {
    repository: event.repositoryName,
    digest: event.imageDigest,
    build: result.producedBy?.buildId ?? null,
  });
  return result;
};

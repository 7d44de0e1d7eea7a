/**
 * Image actions. Trigger: EventBridge `ECR Image Action` with result SUCCESS and action-type PUSH or DELETE. A
 * push names the build that pushed the digest (from the builds recorded for the repository); a delete marks
 * the stored verdict of an image that no longer exists `deleted`. Idempotent by nature: the same push records
 * the same build, a delete marks once. Events of other accounts or regions are skipped with the reason;
 * malformed events are dropped; AWS errors rethrown for retry.
 */
import { logger } from '../lib/logger';
import { withAccount } from '../lib/runtime/core';
import { imageActionWiring } from '../lib/runtime/image-action';
import { parseImageActionEvent } from '../lib/policy/image-action-events';
import { InvalidInputError } from '../lib/policy/validation';
import { onImageAction, type ImageActionResult } from '../lib/usecases/scan-gate';

export const handler = async (raw: unknown): Promise<ImageActionResult | { dropped: string }> => {
  let event;
  try {
    event = parseImageActionEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('image action event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(imageActionWiring, (deps) => onImageAction(event, deps));
  const facts = { action: event.action, repository: event.repositoryName, digest: event.imageDigest };
  if (result.skipped) logger.info('image action skipped', { ...facts, reason: result.skipped });
  else if (result.action === 'PUSH')
    logger.info('image push correlated', { ...facts, build: result.producedBy?.buildId ?? null });
  else logger.info('image deletion recorded', facts);
  return result;
};

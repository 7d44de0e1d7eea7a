/**
 * Change events. Trigger: EventBridge rule for `AWS API Call via CloudTrail` / `AWS Service Event via CloudTrail`
 * on the ECR, CodeBuild and IAM calls in lib/policy/change-events.ts. Re-reads the named resource, remediates
 * what the guardrails allow, notifies once per change. Malformed events are dropped (a retry cannot fix them);
 * AWS errors are rethrown so Lambda retries and the on-failure destination keeps what still fails.
 */
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { changeWiring } from '../lib/runtime/change';
import { parseChangeEvent } from '../lib/policy/change-events';
import { InvalidInputError } from '../lib/policy/validation';
import { onChangeEvent, type ChangeResult } from '../lib/usecases/on-change';

export const handler = async (raw: unknown): Promise<ChangeResult | { dropped: string }> => {
  const config = runtimeConfig();
  let event;
  try {
    event = parseChangeEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('change event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(changeWiring, (deps) =>
    onChangeEvent(event, deps, config.guardrails, {
      now: new Date(),
      ownRoleArns: config.REMEDIATION_ROLE_ARN ? [config.REMEDIATION_ROLE_ARN] : [],
    }),
  );
  if (result.skipped) {
    logger.info('change event skipped', {
      eventId: event.eventId,
      eventName: event.eventName,
      reason: result.skipped,
    });
  } else {
    logger.info('change event handled', {
      eventId: event.eventId,
      eventName: event.eventName,
      target: event.target,
      actions: result.actions.map((a) => ({
        ruleId: a.ruleId,
        action: a.action,
        applied: a.applied,
        reason: a.reason,
      })),
      notifications: result.notifications.length,
    });
  }
  return result;
};

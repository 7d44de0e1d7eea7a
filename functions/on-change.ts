/**
 * Change events. Trigger: EventBridge rule for `AWS API Call via CloudTrail` / `AWS Service Event via CloudTrail`
 * on the ECR, CodeBuild and IAM calls in lib/policy/change-events.ts. Re-reads the named resource, remediates
 * what the guardrails allow, notifies once per change, exactly once per event (idempotent on the EventBridge
 * event id, so a redelivery notifies nothing new). Malformed events are dropped (a retry cannot fix them); AWS
 * errors are rethrown so Lambda retries and the on-failure destination keeps what still fails.
 */
import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { changeWiring } from '../lib/runtime/change';
import { idempotencyTable, onceByKey } from '../lib/runtime/idempotency';
import { parseChangeEvent, type ChangeEvent } from '../lib/policy/change-events';
import { InvalidInputError } from '../lib/policy/validation';
import {
  changeEventKey,
  changeOutcome,
  onChangeEvent,
  type ChangeOutcome,
  type ChangeResult,
} from '../lib/usecases/on-change';

export const handler = async (
  raw: unknown,
  context?: Context,
): Promise<ChangeResult | { dropped: string }> => {
  const config = runtimeConfig();
  let event: ChangeEvent;
  try {
    event = parseChangeEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('change event dropped', { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    throw error;
  }
  const result = await withAccount(changeWiring, async (deps) => {
    const handle = (input: ChangeEvent) =>
      onChangeEvent(input, deps, config.guardrails, {
        now: new Date(),
        ownRoleArns: config.BUILDWARDEN_REMEDIATION_ROLE_ARN ? [config.BUILDWARDEN_REMEDIATION_ROLE_ARN] : [],
        remediableRoles: config.BUILDWARDEN_REMEDIABLE_ROLES,
      });
    // The local sandbox stage has no idempotency table and handles each delivery.
    if (deps.sandbox) return handle(event);
    let handled: ChangeResult | undefined;
    // Only the outcome's counts are stored: a registry event can touch thousands of repositories.
    const once = onceByKey(
      idempotencyTable(),
      async (input: ChangeEvent): Promise<ChangeOutcome> => changeOutcome((handled = await handle(input))),
      context,
    );
    const outcome = await once({ key: changeEventKey(event), input: event });
    // Not handled now: an earlier delivery of the same event was, and notified what it found.
    return (
      handled ?? {
        skipped: `event ${event.eventId} was already handled (${outcome.notifications} notification(s) then)`,
        actions: [],
        notifications: [],
      }
    );
  });
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

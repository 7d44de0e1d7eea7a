/**
 * Change events. Trigger: EventBridge rule for `AWS API Call via CloudTrail` / `AWS Service Event via CloudTrail`
 * on the ECR, CodeBuild and IAM calls in lib/policy/change-events.ts. Re-reads the named resource, remediates
 * what the guardrails allow, notifies once per change, exactly once per event (idempotent on the EventBridge
 * event id, so a redelivery notifies nothing new). Malformed events are dropped (a retry cannot fix them); AWS
 * errors are rethrown so Lambda retries and the on-failure destination keeps what still fails.
 */
import {
  awsOrganization,
  awsRemediator,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
  snsNotifier,
} from '../lib/runtime/adapters';
import { eventHandler } from '../lib/runtime/event-handler';
import { powertoolsIdempotency } from '../lib/runtime/idempotency';
import { parseChangeEvent, type ChangeEvent } from '../lib/policy/change-events';
import {
  changeEventKey,
  changeOutcome,
  onChangeEvent,
  type ChangeOutcome,
  type ChangeResult,
} from '../lib/usecases/on-change';

export const handler = eventHandler({
  event: 'change event',
  parse: parseChangeEvent,
  needs: [ecrRegistry, codebuildProjects, iamIdentity, awsOrganization, awsRemediator, snsNotifier],
  idempotency: powertoolsIdempotency,
  async run(event, deps, { settings, guardrails, now, once }): Promise<ChangeResult> {
    const own = settings.BUILDWARDEN_REMEDIATION_ROLE_ARN;
    const options = {
      now,
      ownRoleArns: own ? [own] : [],
      remediableRoles: settings.BUILDWARDEN_REMEDIABLE_ROLES,
      detachablePolicyArns: settings.BUILDWARDEN_DETACHABLE_POLICY_ARNS ?? [],
    };
    let handled: ChangeResult | undefined;
    // Only the outcome's counts are stored: a registry event can touch thousands of repositories.
    const outcome = await once(
      changeEventKey(event),
      event,
      async (input: ChangeEvent): Promise<ChangeOutcome> =>
        changeOutcome((handled = await onChangeEvent(input, deps, guardrails, options))),
    );
    // Not handled now: an earlier delivery of the same event was, and notified what it found.
    return (
      handled ?? {
        skipped: `event ${event.eventId} was already handled (${outcome.notifications} notification(s) then)`,
        actions: [],
        notifications: [],
      }
    );
  },
  log(event, result) {
    if (result.skipped) {
      return [
        'change event skipped',
        { eventId: event.eventId, eventName: event.eventName, reason: result.skipped },
      ];
    }
    return [
      'change event handled',
      {
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
      },
    ];
  },
});

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
  securityHubFindings,
  snsNotifier,
} from '../lib/runtime/adapters';
import { omitPort } from '../lib/runtime/compose';
import { eventHandler } from '../lib/runtime/event-handler';
import { changeOptionsOf, depsAt } from '../lib/runtime/members';
import { powertoolsIdempotency } from '../lib/runtime/idempotency';
import { dynamoFindings } from '../lib/runtime/tables';
import { parseChangeEvent, type ChangeEvent } from '../lib/policy/change-events';
import {
  changeEventKey,
  changeOutcome,
  onChangeEvent,
  type ChangeOutcome,
  type ChangeResult,
} from '../lib/usecases/on-change';

/** The ports the change handler works with (a test of the organization mode composes the same). */
export const needs = [
  ecrRegistry,
  codebuildProjects,
  iamIdentity,
  awsOrganization,
  awsRemediator,
  snsNotifier,
  dynamoFindings,
  securityHubFindings,
] as const;

export const handler = eventHandler({
  event: 'change event',
  parse: parseChangeEvent,
  needs,
  idempotency: powertoolsIdempotency,
  async run(event, hub, { settings, guardrails, now, once, sandbox }): Promise<ChangeResult> {
    // Organization mode: act in the event's account and Region (IAM, global, from the hub's Region).
    const region = event.eventSource === 'iam.amazonaws.com' ? hub.account.region : event.region;
    const placed = await depsAt({ accountId: event.account, region }, hub, needs, settings, { sandbox });
    if ('foreign' in placed) return { skipped: placed.foreign, actions: [], notifications: [] };
    const { deps } = placed;
    const options = changeOptionsOf(settings, now);
    // Security Hub is built (and called) only when findings go there.
    const changeDeps = settings.BUILDWARDEN_SECURITY_HUB ? deps : omitPort(deps, 'securityHub');
    let handled: ChangeResult | undefined;
    // Only the outcome's counts are stored: a registry event can touch thousands of repositories.
    const outcome = await once(
      changeEventKey(event),
      event,
      async (input: ChangeEvent): Promise<ChangeOutcome> =>
        changeOutcome((handled = await onChangeEvent(input, changeDeps, guardrails, options))),
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
  metrics: {
    function: 'onChange',
    of: (result) => [
      ...countByRule(result.actions.filter((a) => a.applied)).map(([rule, value]) => ({
        name: 'RemediationsApplied',
        value,
        dimensions: { rule },
      })),
      // Refused: not written because a guardrail or a check said no (a dry run is neither).
      ...countByRule(result.actions.filter((a) => !a.applied && a.reason !== 'dry run')).map(
        ([rule, value]) => ({ name: 'RemediationsRefused', value, dimensions: { rule } }),
      ),
      { name: 'NotificationsPublished', value: result.notifications.length },
    ],
    // A change the handler could not finish (a fix or a read that failed after the SDK's retries).
    failed: [{ name: 'RemediationsFailed', value: 1 }],
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

function countByRule(actions: readonly { ruleId: string }[]): [rule: string, count: number][] {
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.ruleId, (counts.get(a.ruleId) ?? 0) + 1);
  return [...counts];
}

/**
 * CodeBuild build state changes. Trigger: EventBridge `CodeBuild Build State Change`. Records the build (so a
 * later scan verdict names the build that produced the image) and notifies the configured states once per
 * build and state. Events of other accounts or regions are skipped with the reason; malformed events are
 * dropped; AWS errors rethrown for retry.
 */
import { codebuildProjects, snsNotifier } from '../lib/runtime/adapters';
import { dynamoVerdictsAndBuilds } from '../lib/runtime/tables';
import { eventHandler } from '../lib/runtime/event-handler';
import { depsAt } from '../lib/runtime/members';
import { powertoolsIdempotency } from '../lib/runtime/idempotency';
import { parseBuildStateEvent } from '../lib/policy/build-events';
import { buildStateKey, onBuildStateChanged } from '../lib/usecases/scan-gate';

type Outcome = { recorded: boolean; notifications: number } | { skipped: string };

const needs = [codebuildProjects, dynamoVerdictsAndBuilds, snsNotifier] as const;

export const handler = eventHandler({
  event: 'build event',
  parse: parseBuildStateEvent,
  needs,
  // Once per build and state.
  idempotency: powertoolsIdempotency,
  async run(event, hub, { settings, guardrails, once, sandbox }): Promise<Outcome> {
    // Organization mode: read the project in the event's account and Region.
    const placed = await depsAt({ accountId: event.account, region: event.region }, hub, needs, settings, {
      sandbox,
    });
    if ('foreign' in placed) return { skipped: placed.foreign };
    const { deps } = placed;
    return once(buildStateKey(event), event, async (input): Promise<Outcome> => {
      const outcome = await onBuildStateChanged(input, deps, guardrails);
      if (outcome.skipped) return { skipped: outcome.skipped };
      return { recorded: outcome.build !== null, notifications: outcome.notifications.length };
    });
  },
  metrics: {
    function: 'onBuild',
    of: (result) =>
      'skipped' in result ? [] : [{ name: 'NotificationsPublished', value: result.notifications }],
  },
  log: (event, result) => [
    'build state handled',
    { project: event.projectName, status: event.status, ...result },
  ],
});

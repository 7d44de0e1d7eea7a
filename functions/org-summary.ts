/**
 * The organization audit's last step. Trigger: the state machine's Summarize task. Streams every findings
 * object of the run and publishes one organization-wide notification: totals, counts per account, the worst
 * accounts, and the account-regions that could not be audited and why.
 */
import { organizationTargets, s3Runs, snsNotifier } from '../lib/runtime/adapters';
import { eventHandler } from '../lib/runtime/event-handler';
import { parseRunInput } from '../lib/policy/organization-run-input';
import { summarizeAndNotify } from '../lib/usecases/organization-run';

export const handler = eventHandler({
  event: 'organization run',
  parse: parseRunInput,
  needs: [s3Runs, organizationTargets, snsNotifier],
  async run(input, deps, { settings }) {
    const summary = await summarizeAndNotify(deps.runs, deps.targets, deps.notifier, input.runId, {
      top: settings.BUILDWARDEN_AUDIT_TOP_OFFENDERS,
    });
    // The execution's output: the totals only (the notification has the rest; Step Functions caps outputs).
    return {
      runId: summary.runId,
      targets: summary.targets,
      byStatus: summary.byStatus,
      accounts: Object.keys(summary.byAccount).length,
      notAudited: summary.notAudited.length,
    };
  },
  log: (input, summary) => ['organization summary published', { runId: input.runId, ...summary.byStatus }],
});

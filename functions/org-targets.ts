/**
 * The organization audit's first step. Trigger: the state machine's ListTargets task (organization mode).
 * Lists the guarded accounts × Regions and keeps them as the run's targets.json; they are the Map's items.
 */
import { organizationTargets, s3Runs } from '../lib/runtime/adapters';
import { eventHandler } from '../lib/runtime/event-handler';
import { parseRunInput } from '../lib/policy/organization-run-input';
import { listRunTargets } from '../lib/usecases/organization-run';

export const handler = eventHandler({
  event: 'organization run',
  parse: parseRunInput,
  needs: [organizationTargets, s3Runs],
  run: (input, deps) => listRunTargets(deps.targets, deps.runs, input.runId),
  log: (input, result) => [
    'organization targets listed',
    { runId: input.runId, targets: result.targets.length },
  ],
});

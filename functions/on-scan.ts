/**
 * Image scans and findings. Trigger: EventBridge `ECR Image Scan` (basic), and `Inspector2 Scan` and
 * `Inspector2 Finding` about ECR images (enhanced). Reads the image's findings from the findings API, decides the
 * verdict, stores it unless a newer one is stored and notifies once per new truth (idempotent on the image, the
 * scan's completion time and a fingerprint of its findings, so repeated or overlapping events notify once).
 * Events about other accounts, regions or resources, and images that are gone, are skipped with the reason;
 * malformed events are dropped; AWS errors rethrown for retry.
 */
import { ecrScanFindings, snsNotifier } from '../lib/runtime/adapters';
import { dynamoVerdicts } from '../lib/runtime/tables';
import { eventHandler } from '../lib/runtime/event-handler';
import { depsAt } from '../lib/runtime/members';
import { powertoolsIdempotency } from '../lib/runtime/idempotency';
import { parseScanGateEvent } from '../lib/policy/scan-events';
import {
  observeScan,
  recordScanResult,
  scanResultKey,
  type ScanObservation,
} from '../lib/usecases/scan-gate';

type Outcome = { verdict: string; notifications: number; change?: string } | { skipped: string };

const needs = [ecrScanFindings, dynamoVerdicts, snsNotifier] as const;

export const handler = eventHandler({
  event: 'scan event',
  parse: parseScanGateEvent,
  needs,
  // Once per truth. (On the sandbox stage the store's "unchanged" answer keeps a repeat from notifying.)
  idempotency: powertoolsIdempotency,
  async run(event, hub, { settings, guardrails, once, sandbox }): Promise<Outcome> {
    // Organization mode: read the findings in the event's account and Region.
    const placed = await depsAt({ accountId: event.account, region: event.region }, hub, needs, settings, {
      sandbox,
    });
    if ('foreign' in placed) return { skipped: placed.foreign };
    const { deps } = placed;
    const observed = await observeScan(event, deps);
    if ('skipped' in observed) return { skipped: observed.skipped };
    return once(
      scanResultKey(observed.observation),
      observed.observation,
      async (observation: ScanObservation) => {
        const outcome = await recordScanResult(observation, deps, guardrails, new Date());
        if (outcome.skipped) return { skipped: outcome.skipped };
        return {
          verdict: outcome.verdict?.verdict ?? 'unknown',
          notifications: outcome.notifications.length,
          ...(outcome.change ? { change: outcome.change } : {}),
        };
      },
    );
  },
  metrics: {
    function: 'onScan',
    of: (result) =>
      'skipped' in result
        ? []
        : [
            // pass, fail or scan-failed
            { name: 'Verdicts', value: 1, dimensions: { verdict: result.verdict } },
            { name: 'NotificationsPublished', value: result.notifications },
          ],
  },
  log(event, result) {
    const image = 'repositoryName' in event ? `${event.repositoryName}@${event.imageDigest}` : undefined;
    if ('skipped' in result)
      return ['scan event skipped', { eventId: event.eventId, image, reason: result.skipped }];
    return ['scan evaluated', { eventId: event.eventId, image, ...result }];
  },
});

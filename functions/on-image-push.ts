/**
 * Image actions. Trigger: EventBridge `ECR Image Action` with result SUCCESS and action-type PUSH or DELETE. A
 * push names the build that pushed the digest (from the builds recorded for the repository); a delete marks
 * the stored verdict of an image that no longer exists `deleted`. Idempotent by nature: the same push records
 * the same build, a delete marks once. Events of other accounts or regions are skipped with the reason;
 * malformed events are dropped; AWS errors rethrown for retry.
 */
import { ecrImages } from '../lib/runtime/adapters';
import { dynamoVerdictsAndBuilds } from '../lib/runtime/tables';
import { eventHandler } from '../lib/runtime/event-handler';
import { depsAt } from '../lib/runtime/members';
import { parseImageActionEvent } from '../lib/policy/image-action-events';
import { onImageAction, type ImageActionResult } from '../lib/usecases/scan-gate';

const needs = [dynamoVerdictsAndBuilds, ecrImages] as const;

export const handler = eventHandler({
  event: 'image action event',
  parse: parseImageActionEvent,
  needs,
  async run(event, hub, { settings, sandbox }): Promise<ImageActionResult> {
    // Organization mode: look the image up in the event's account and Region.
    const placed = await depsAt({ accountId: event.account, region: event.region }, hub, needs, settings, {
      sandbox,
    });
    if ('foreign' in placed) {
      return event.action === 'PUSH'
        ? { action: event.action, producedBy: null, skipped: placed.foreign }
        : { action: event.action, deleted: false, skipped: placed.foreign };
    }
    return onImageAction(event, placed.deps);
  },
  metrics: { function: 'onImagePush' },
  log(event, result) {
    const facts = { action: event.action, repository: event.repositoryName, digest: event.imageDigest };
    if (result.skipped) return ['image action skipped', { ...facts, reason: result.skipped }];
    if (result.action === 'PUSH')
      return ['image push correlated', { ...facts, build: result.producedBy?.buildId ?? null }];
    return ['image deletion recorded', facts];
  },
});

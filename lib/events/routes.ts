/**
 * Which function each EventBridge event reaches: the event patterns of every pattern-triggered function in
 * serverless.yml, as data. `buildwarden replay` routes with these exactly as the deployed rules do, so an event
 * no function subscribes to is reported as such instead of being forced into a handler.
 * tests/unit/deploy/event-routes.test.ts checks them against the packaged template pattern by pattern: a
 * pattern added to (or changed in) serverless.yml must be added here too, and the test says which one.
 * (The `audit` function runs on a schedule rule, not an event pattern, so it has no entry.)
 */
import { PARTITIONS } from '../policy/aws-facts';
import { CHANGE_EVENT_NAMES } from '../policy/change-events';
import { matchesPattern, type EventPattern } from './pattern';

/** The functions an EventBridge rule with an event pattern invokes. */
export const EVENT_FUNCTIONS = ['onChange', 'onScan', 'onBuild', 'onImagePush'] as const;
export type EventFunction = (typeof EVENT_FUNCTIONS)[number];

/** ECR resources in every partition (the event's `resources` name the repository or image). */
const ECR_RESOURCES = PARTITIONS.map((p) => ({ prefix: `arn:${p.id}:ecr:` }));

export const EVENT_ROUTES: Record<EventFunction, EventPattern[]> = {
  onChange: [
    {
      source: ['aws.ecr', 'aws.codebuild', 'aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['ecr.amazonaws.com', 'codebuild.amazonaws.com', 'iam.amazonaws.com'],
        // The calls the change handler parses (lib/policy/change-events.ts), one list for both.
        eventName: Object.values(CHANGE_EVENT_NAMES).flat(),
      },
    },
  ],
  onScan: [
    { source: ['aws.ecr'], 'detail-type': ['ECR Image Scan'] },
    // Inspector scans and findings of ECR images only (EC2 instances and Lambda functions are scanned too).
    { source: ['aws.inspector2'], 'detail-type': ['Inspector2 Scan'], resources: ECR_RESOURCES },
    { source: ['aws.inspector2'], 'detail-type': ['Inspector2 Finding'], resources: ECR_RESOURCES },
  ],
  onBuild: [{ source: ['aws.codebuild'], 'detail-type': ['CodeBuild Build State Change'] }],
  onImagePush: [
    {
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH', 'DELETE'], result: ['SUCCESS'] },
    },
  ],
};

/** The functions whose patterns match the event (none when no function subscribes to it). */
export function functionsFor(event: unknown): EventFunction[] {
  return EVENT_FUNCTIONS.filter((name) =>
    EVENT_ROUTES[name].some((pattern) => matchesPattern(pattern, event)),
  );
}

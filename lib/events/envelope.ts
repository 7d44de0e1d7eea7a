/**
 * The EventBridge envelope every event carries (EventBridge User Guide, "Amazon EventBridge events": version,
 * id, detail-type, source, account, time, region, resources, detail). A file without it is not an EventBridge
 * event at all; one with it is routed by the function patterns (lib/events/routes.ts), whatever its detail.
 */
import * as z from 'zod';
import { parseWith } from '../policy/validation';

export const eventEnvelopeSchema = z.looseObject({
  version: z.string({ error: 'expected a string (every EventBridge event has one)' }),
  id: z.string({ error: 'expected a string (every EventBridge event has one)' }).min(1),
  'detail-type': z.string({ error: 'expected a string such as "ECR Image Scan"' }).min(1),
  source: z.string({ error: 'expected a string such as "aws.ecr"' }).min(1),
  account: z.string({ error: 'expected the 12-digit account id as a string' }),
  time: z.string({ error: 'expected an ISO 8601 time' }),
  region: z.string({ error: 'expected a region such as us-east-1' }),
  resources: z.array(z.string(), { error: 'expected an array of ARNs (possibly empty)' }),
  detail: z.looseObject({}, { error: 'expected an object' }),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** The envelope of an EventBridge event; anything else is InvalidInputError naming each missing field. */
export function parseEventEnvelope(raw: unknown, source = 'event'): EventEnvelope {
  return parseWith(eventEnvelopeSchema, raw, source);
}

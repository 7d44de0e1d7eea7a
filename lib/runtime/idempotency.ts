/**
 * Exactly-once handling for the functions that declare it (the scan, build and change handlers): Powertools
 * idempotency on DynamoDB, keyed by the caller. A function declares `idempotency: powertoolsIdempotency`, so
 * only its bundle carries the idempotency layer and its DynamoDB client.
 */
import { onceByKey } from '../aws/idempotency';
import type { Idempotency } from './lambda';

export const powertoolsIdempotency: Idempotency = {
  settings: ['BUILDWARDEN_IDEMPOTENCY_TABLE'],
  once: (settings, context) => (key, input, handle) =>
    onceByKey(settings.BUILDWARDEN_IDEMPOTENCY_TABLE!, handle, context)({ key, input }),
};

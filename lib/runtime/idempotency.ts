/** Exactly-once handling for the scan, build and change handlers (Powertools idempotency on DynamoDB). */
import { requireSettings } from '../settings';
import { runtimeConfig } from './core';

export { onceByKey } from '../aws/idempotency';

export const idempotencyTable = (): string => {
  const config = runtimeConfig();
  requireSettings(config, ['BUILDWARDEN_IDEMPOTENCY_TABLE']);
  return config.BUILDWARDEN_IDEMPOTENCY_TABLE!;
};

/** Exactly-once handling for the scan, build and change handlers (Powertools idempotency on DynamoDB). */
import { required } from '../config';
import { runtimeConfig } from './core';

export { onceByKey } from '../aws/idempotency';

export const idempotencyTable = (): string => required(runtimeConfig(), 'IDEMPOTENCY_TABLE');

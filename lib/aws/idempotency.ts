/**
 * Exactly-once effects under at-least-once delivery: Powertools idempotency with its DynamoDB persistence
 * layer. The key is chosen by the caller: a scan result or a build state change (ECR may report the same scan
 * twice under different event ids), or the EventBridge event id of a change event (two identical calls are
 * two changes, while a redelivery keeps its id).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { clientConfig } from './common';
import { instrumented } from './instrument';

export const idempotencyActions = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** How long a completed key is remembered (EventBridge retries within 24 hours at most). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface Keyed<T> {
  key: string;
  input: T;
}

/** Wraps `fn` so that for one key it runs once; repeats return the stored result. */
let shared: DynamoDBClient | undefined;

export function onceByKey<T, R extends object>(
  tableName: string,
  fn: (input: T) => Promise<R>,
  /** The invocation's context: an in-progress record then expires with the invocation's timeout. */
  context?: Context,
  client: DynamoDBClient = (shared ??= instrumented(new DynamoDBClient(clientConfig))),
): (keyed: Keyed<T>) => Promise<R> {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  });
  // Without it, an invocation that timed out would block every retry until the record expires.
  if (context) config.registerLambdaContext(context);
  return makeIdempotent(async (keyed: Keyed<T>) => fn(keyed.input), { persistenceStore, config }) as (
    keyed: Keyed<T>,
  ) => Promise<R>;
}

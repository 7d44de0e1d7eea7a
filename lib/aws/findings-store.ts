/**
 * The findings state in DynamoDB (FindingsTable). Partition key `scope` (`<account>:<region>`), sort key
 * `finding` (`<resource ARN> <rule id>`: no ARN and no rule id contains a space, so the records of one resource
 * are those whose sort key begins with `<resource ARN> `). The record's fields are the item's other attributes,
 * with `expiresAt` (epoch seconds, resolved records only) the table's TTL attribute and `observedAt` (epoch
 * milliseconds of `resolvedAt`, else `lastSeen`) what a conditional write compares.
 *
 * An audit writes with BatchWriteItem (at most 25 items and 16 MB a request, a few requests at once), retrying
 * each request's `UnprocessedItems` with capped exponential backoff and full jitter; a change event's records are written one by one, each
 * conditional on the stored record not having been observed later. Items read back are parsed with the
 * record schema: an item that does not fit is an error naming its key, never a silently missing record.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { findingRecordSchema, type FindingRecord, type Scope } from '../policy/finding-state';
import { formatIssues } from '../policy/validation';
import type { FindingsStore, RecordWrite } from '../ports';
import { clientConfig } from './common';
import { Backoff, type BackoffOptions } from './backoff';
import { instrumented } from './instrument';
import { mapWithConcurrency } from '../concurrency';

export const findingsStoreActions = [
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
] as const;
/** What an audit calls: `records` and `writeRecords`. */
export const findingsAuditActions = ['dynamodb:Query', 'dynamodb:BatchWriteItem'] as const;
/** What the change handler calls: `recordsOf` and `putRecord`. */
export const findingsChangeActions = ['dynamodb:Query', 'dynamodb:PutItem'] as const;

/**
 * BatchWriteItem requests of one audit's records in flight at once: an on-demand table takes far more, and a
 * provisioned one that throttles answers with UnprocessedItems, which each batch retries with backoff.
 */
const WRITE_CONCURRENCY = 4;

/** BatchWriteItem limits (DynamoDB API reference): 25 items and 16 MB a request. */
export const BATCH_WRITE_MAX_ITEMS = 25;
export const BATCH_WRITE_MAX_BYTES = 16 * 1024 * 1024;
/** DynamoDB's item size limit: 25 items within it stay within a request's 16 MB. */
export const ITEM_MAX_BYTES = 400 * 1024;

/** Defaults: 8 requests a batch, 50 ms backoff base. */
export type BatchRetryOptions = BackoffOptions;

/** Records an audit could not write (the store kept leaving them unprocessed, or one is too large). */
export class FindingsWriteError extends Error {
  constructor(
    readonly notWritten: number,
    readonly total: number,
    reason: string,
  ) {
    super(`${notWritten} of ${total} findings records were not written: ${reason}`);
    this.name = 'FindingsWriteError';
  }
}

/** A stored item that is not a findings record (written by something else, or by an incompatible version). */
export class InvalidFindingsRecordError extends Error {
  constructor(key: string, problems: string[]) {
    super(`findings record ${key} is invalid: ${problems.join('; ')}`);
    this.name = 'InvalidFindingsRecordError';
  }
}

type Item = FindingRecord & { scope: string; finding: string; observedAt: number };

export const scopeKey = (scope: Scope) => `${scope.accountId}:${scope.region}`;
export const findingSortKey = (record: Pick<FindingRecord, 'resourceArn' | 'ruleId'>) =>
  `${record.resourceArn} ${record.ruleId}`;

/** Epoch milliseconds of the latest observation a record holds. */
export const observedAt = (record: FindingRecord) => Date.parse(record.resolvedAt ?? record.lastSeen);

function toItem(record: FindingRecord): Item {
  return {
    ...record,
    scope: scopeKey(record),
    finding: findingSortKey(record),
    observedAt: observedAt(record),
  };
}

function fromItem(item: Record<string, unknown>): FindingRecord {
  const { scope, finding, observedAt: _observed, ...fields } = item;
  const parsed = findingRecordSchema().safeParse(fields);
  if (!parsed.success) {
    throw new InvalidFindingsRecordError(`${String(scope)} / ${String(finding)}`, formatIssues(parsed.error));
  }
  return parsed.data;
}

/** An item's size as DynamoDB counts it, bounded from above by its JSON text (names and values, UTF-8). */
const itemBytes = (item: Item) => Buffer.byteLength(JSON.stringify(item), 'utf8');

let shared: DynamoDBDocumentClient | undefined;

export class DynamoFindingsStore implements FindingsStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly retry: Backoff;

  constructor(
    private readonly tableName: string,
    db?: DynamoDBDocumentClient,
    retry: BatchRetryOptions = {},
  ) {
    this.db =
      db ??
      (shared ??= instrumented(
        DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
          marshallOptions: { removeUndefinedValues: true },
        }),
      ));
    this.retry = new Backoff(retry, { maxAttempts: 8, baseDelayMs: 50 });
  }

  records(scope: Scope): Promise<FindingRecord[]> {
    return this.query(scope);
  }

  recordsOf(scope: Scope, resourceArn: string): Promise<FindingRecord[]> {
    return this.query(scope, `${resourceArn} `);
  }

  private async query(scope: Scope, prefix?: string): Promise<FindingRecord[]> {
    const records: FindingRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: prefix ? '#s = :s AND begins_with(#f, :p)' : '#s = :s',
          ExpressionAttributeNames: { '#s': 'scope', ...(prefix ? { '#f': 'finding' } : {}) },
          ExpressionAttributeValues: { ':s': scopeKey(scope), ...(prefix ? { ':p': prefix } : {}) },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) records.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async writeRecords(records: readonly FindingRecord[]): Promise<void> {
    const items = records.map(toItem);
    const tooLarge = items.filter((i) => itemBytes(i) > ITEM_MAX_BYTES);
    if (tooLarge.length > 0) {
      throw new FindingsWriteError(
        tooLarge.length,
        items.length,
        `larger than DynamoDB's ${ITEM_MAX_BYTES} bytes item limit: ${tooLarge[0]!.finding}`,
      );
    }
    // The batches do not depend on each other: a few at once, each retrying its own unprocessed items.
    await mapWithConcurrency(batches(items), WRITE_CONCURRENCY, (batch) =>
      this.writeBatch(batch, items.length),
    );
  }

  /** One BatchWriteItem request, then its unprocessed items again, with backoff, a bounded number of times. */
  private async writeBatch(batch: Item[], total: number): Promise<void> {
    let pending: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] = batch.map((Item) => ({
      PutRequest: { Item },
    }));
    for (let attempt = 1; ; attempt++) {
      const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = out.UnprocessedItems?.[this.tableName] ?? [];
      if (pending.length === 0) return;
      if (attempt >= this.retry.maxAttempts) {
        throw new FindingsWriteError(
          pending.length,
          total,
          `DynamoDB left them unprocessed ${attempt} times (throughput exceeded)`,
        );
      }
      await this.retry.wait(attempt);
    }
  }

  async putRecord(record: FindingRecord): Promise<RecordWrite> {
    const item = toItem(record);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#o) OR #o <= :o',
          ExpressionAttributeNames: { '#o': 'observedAt' },
          ExpressionAttributeValues: { ':o': item.observedAt },
        }),
      );
      return { written: true };
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error instanceof Error && error.name === 'ConditionalCheckFailedException')
      ) {
        return { written: false, reason: 'a newer observation of this finding is stored' };
      }
      throw error;
    }
  }
}

/**
 * Items in requests of at most 25. A request of 25 items, each within the 400 KB item limit, stays within
 * BatchWriteItem's 16 MB request limit, so the item count is the only bound to apply.
 */
function batches(items: readonly Item[]): Item[][] {
  const out: Item[][] = [];
  for (let start = 0; start < items.length; start += BATCH_WRITE_MAX_ITEMS) {
    out.push(items.slice(start, start + BATCH_WRITE_MAX_ITEMS));
  }
  return out;
}

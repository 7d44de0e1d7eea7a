/**
 * The verdict store and build ledger in DynamoDB. Verdicts: partition key `repositoryName`, sort key
 * `imageDigest`. Builds: partition key `repositoryName`, sort key `startedBuild` (`<startTime>#<build id>`, so
 * a query returns the most recent first), expiring after 30 days.
 * Writes are updates of named attributes, so a verdict and the build that produced its image can arrive in
 * either order without one erasing the other.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredVerdict, VerdictStore } from '../ports';
import type { BuildRecord } from '../policy/builds';
import { clientConfig } from './common';

export const verdictStoreActions = [
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
] as const;
/** What the gate API and `buildwarden verdict` need: reads only. */
export const verdictReadActions = ['dynamodb:GetItem'] as const;

const BUILD_RETENTION_SECONDS = 30 * 24 * 3600;
const BUILDS_WINDOW = 50;

export function documentClient(client = new DynamoDBClient(clientConfig)): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

let shared: DynamoDBDocumentClient | undefined;

export class DynamoVerdictStore implements VerdictStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tables: { verdicts: string; builds?: string },
    db?: DynamoDBDocumentClient,
  ) {
    this.db = db ?? (shared ??= documentClient());
  }

  async putVerdict(verdict: StoredVerdict): Promise<void> {
    const { repositoryName, imageDigest, producedBy, ...fields } = verdict;
    const values: Record<string, unknown> = {};
    const names: Record<string, string> = {};
    const sets = Object.entries({ ...fields, ...(producedBy ? { producedBy } : {}) }).map(
      ([key, value], i) => {
        names[`#f${i}`] = key;
        values[`:v${i}`] = value;
        return `#f${i} = :v${i}`;
      },
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.verdicts,
        Key: { repositoryName, imageDigest },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async getVerdict(repositoryName: string, imageDigest: string): Promise<StoredVerdict | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.verdicts,
        Key: { repositoryName, imageDigest },
        ConsistentRead: true,
      }),
    );
    const item = out.Item as StoredVerdict | undefined;
    // An item with only `producedBy` is a pushed image not scanned yet: no verdict.
    return item && typeof item.verdict === 'string' ? item : undefined;
  }

  async producerOf(repositoryName: string, imageDigest: string): Promise<StoredVerdict['producedBy']> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.verdicts,
        Key: { repositoryName, imageDigest },
        ConsistentRead: true,
        ProjectionExpression: 'producedBy',
      }),
    );
    return (out.Item as Pick<StoredVerdict, 'producedBy'> | undefined)?.producedBy;
  }

  async recordProducer(
    repositoryName: string,
    imageDigest: string,
    producedBy: NonNullable<StoredVerdict['producedBy']>,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.verdicts,
        Key: { repositoryName, imageDigest },
        UpdateExpression: 'SET producedBy = :p',
        ExpressionAttributeValues: { ':p': producedBy },
      }),
    );
  }

  async recordBuild(build: BuildRecord): Promise<void> {
    if (!this.tables.builds) throw new Error('no builds table configured');
    await this.db.send(
      new PutCommand({
        TableName: this.tables.builds,
        Item: {
          ...build,
          // Sort key: start time first, so a query returns the most recent builds of a repository first.
          startedBuild: `${build.startTime}#${build.id}`,
          expiresAt: Math.floor(new Date(build.startTime).getTime() / 1000) + BUILD_RETENTION_SECONDS,
        },
      }),
    );
  }

  async buildsFor(repositoryName: string): Promise<BuildRecord[]> {
    if (!this.tables.builds) throw new Error('no builds table configured');
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.builds,
        KeyConditionExpression: 'repositoryName = :r',
        ExpressionAttributeValues: { ':r': repositoryName },
        ScanIndexForward: false,
        Limit: BUILDS_WINDOW,
      }),
    );
    return ((out.Items ?? []) as (BuildRecord & { startedBuild?: string; expiresAt?: number })[]).map(
      ({ startedBuild: _s, expiresAt: _e, ...build }) => build as BuildRecord,
    );
  }
}

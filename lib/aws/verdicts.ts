/**
 * The verdict store and build ledger in DynamoDB. Verdicts: partition key `repositoryName`, sort key
 * `imageDigest`. Builds: partition key `repositoryName`, sort key `startedBuild` (`<startTime>#<build id>`, so
 * a query returns the most recent first), expiring after 30 days.
 *
 * The partition key value names the registry, the region and the repository: `<account>:<region>:<repository>`
 * (`repositoryKey`). `:` never occurs in a repository name, so an item written before the key named the
 * registry (the bare repository name) can never be read as any registry's verdict; the attribute names, hence
 * the tables, are unchanged.
 *
 * Writes are updates of named attributes, so a verdict and the build that produced its image can arrive in
 * either order without one erasing the other. A verdict is written only when it is not older than the stored
 * one (the condition expression below applies `staleVerdictReason`); a ConditionalCheckFailedException means
 * "a newer verdict is stored" and is an answer, not an error.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type GetCommandOutput,
  type PutCommandOutput,
  type QueryCommandOutput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { ImageRef, RepositoryRef, StoredVerdict, VerdictStore, VerdictWrite } from '../ports';
import { BUILDS_WINDOW, type BuildRecord } from '../policy/builds';
import { deletionRefusal } from '../policy/scan/verdict';
import { ConfigError } from '../errors';
import { clientConfig } from './common';
import { instrumented } from './instrument';

export const verdictStoreActions = [
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
] as const;
/** What the gate API and `buildwarden verdict` need: reads only. */
export const verdictReadActions = ['dynamodb:GetItem'] as const;

const BUILD_RETENTION_SECONDS = 30 * 24 * 3600;

/** A document client over `client`; without one, over a client of its own, instrumented (lib/aws/instrument.ts). */
export function documentClient(client?: DynamoDBClient): DynamoDBDocumentClient {
  const document = DynamoDBDocumentClient.from(client ?? new DynamoDBClient(clientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client ? document : instrumented(document);
}

/** The partition key value of a repository: `<registry id>:<region>:<repository name>`. */
export function repositoryKey(ref: RepositoryRef): string {
  return `${ref.registryId}:${ref.region}:${ref.repositoryName}`;
}

/** The registry, region and repository of a partition key value; undefined for a key of the old form. */
export function parseRepositoryKey(key: string): RepositoryRef | undefined {
  const match = /^(\d{12}):([a-z0-9-]+):([^:]+)$/.exec(key);
  if (!match) return undefined;
  return { registryId: match[1]!, region: match[2]!, repositoryName: match[3]! };
}

const imageKey = (image: ImageRef) => ({
  repositoryName: repositoryKey(image),
  imageDigest: image.imageDigest,
});

/** Attributes of a verdict item that are not verdict fields. */
type VerdictItem = Omit<StoredVerdict, 'repositoryName' | 'registryId' | 'region'> & {
  repositoryName: string;
  registryId?: string;
  region?: string;
};

function verdictOf(item: VerdictItem): StoredVerdict | undefined {
  const ref = parseRepositoryKey(item.repositoryName);
  if (!ref) return undefined;
  const { repositoryName: _key, registryId: _registry, region: _region, ...fields } = item;
  return { ...ref, ...fields };
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

  /**
   * Sends a command to one of the tables. DynamoDB answers a table that does not exist with only "Requested
   * resource not found": that is a configuration error, and it names the table and the region asked.
   */
  private send(command: GetCommand): Promise<GetCommandOutput>;
  private send(command: PutCommand): Promise<PutCommandOutput>;
  private send(command: UpdateCommand): Promise<UpdateCommandOutput>;
  private send(command: QueryCommand): Promise<QueryCommandOutput>;
  private async send(command: GetCommand | PutCommand | UpdateCommand | QueryCommand): Promise<unknown> {
    try {
      return await this.db.send(command as GetCommand);
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      const table = command.input.TableName;
      const region = await this.db.config.region().catch(() => undefined);
      const which = table === this.tables.builds ? 'builds' : 'verdicts';
      throw new ConfigError(`the ${which} table ${table} does not exist${region ? ` in ${region}` : ''}`, {
        cause: error,
      });
    }
  }

  async putVerdict(verdict: StoredVerdict): Promise<VerdictWrite> {
    const {
      repositoryName,
      imageDigest,
      registryId,
      region,
      producedBy,
      deletedAt: _deletedAt,
      verdictBeforeDeletion: _before,
      ...fields
    } = verdict;
    const names: Record<string, string> = {
      '#scannedAt': 'scannedAt',
      '#deletedAt': 'deletedAt',
      '#verdictBeforeDeletion': 'verdictBeforeDeletion',
    };
    const values: Record<string, unknown> = { ':t': verdict.scannedAt };
    const sets = Object.entries({ ...fields, registryId, region, ...(producedBy ? { producedBy } : {}) })
      .filter(([, value]) => value !== undefined)
      .map(([key, value], i) => {
        names[`#f${i}`] = key;
        values[`:v${i}`] = value;
        return `#f${i} = :v${i}`;
      });
    // staleVerdictReason as a condition: never replace a newer scan, a newer reading of the same scan, or the
    // deletion of an image with a scan that completed before it.
    let newer = '#scannedAt <= :t';
    if (verdict.evaluatedAt !== undefined) {
      names['#evaluatedAt'] = 'evaluatedAt';
      values[':e'] = verdict.evaluatedAt;
      newer =
        '#scannedAt < :t OR (#scannedAt = :t AND (attribute_not_exists(#evaluatedAt) OR #evaluatedAt <= :e))';
    }
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tables.verdicts,
          Key: imageKey({ registryId, region, repositoryName, imageDigest }),
          // A newer scan of a deleted image (pushed again) is its verdict again.
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #deletedAt, #verdictBeforeDeletion`,
          ConditionExpression: `(attribute_not_exists(#scannedAt) OR ${newer}) AND (attribute_not_exists(#deletedAt) OR #deletedAt < :t)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { written: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || isConditionFailure(error)) {
        return {
          written: false,
          reason: 'a newer verdict of this image is stored (written while this one was being decided)',
        };
      }
      throw error;
    }
  }

  async getVerdict(image: ImageRef): Promise<StoredVerdict | undefined> {
    const out = await this.send(
      new GetCommand({ TableName: this.tables.verdicts, Key: imageKey(image), ConsistentRead: true }),
    );
    const item = out.Item as VerdictItem | undefined;
    // An item with only `producedBy` is a pushed image not scanned yet: no verdict.
    return item && typeof item.verdict === 'string' ? verdictOf(item) : undefined;
  }

  async storedImage(
    image: ImageRef,
  ): Promise<{ verdict: StoredVerdict | undefined; producedBy: StoredVerdict['producedBy'] }> {
    const out = await this.send(
      new GetCommand({ TableName: this.tables.verdicts, Key: imageKey(image), ConsistentRead: true }),
    );
    const item = out.Item as VerdictItem | undefined;
    return {
      verdict: item && typeof item.verdict === 'string' ? verdictOf(item) : undefined,
      producedBy: (item as Pick<StoredVerdict, 'producedBy'> | undefined)?.producedBy,
    };
  }

  async markDeleted(image: ImageRef, deletedAt: string): Promise<VerdictWrite> {
    const found = await this.getVerdict(image);
    const refused = deletionRefusal(found, deletedAt);
    if (refused !== undefined) return { written: false, reason: refused };
    const stored = found!; // deletionRefusal refuses when no verdict is stored
    try {
      // Conditional on the item as it was read: a verdict written in between is never overwritten.
      await this.send(
        new UpdateCommand({
          TableName: this.tables.verdicts,
          Key: imageKey(image),
          UpdateExpression: 'SET #verdict = :deleted, #deletedAt = :d, #before = :before',
          ConditionExpression: '#verdict = :before AND #scannedAt = :scannedAt',
          ExpressionAttributeNames: {
            '#verdict': 'verdict',
            '#deletedAt': 'deletedAt',
            '#before': 'verdictBeforeDeletion',
            '#scannedAt': 'scannedAt',
          },
          ExpressionAttributeValues: {
            ':deleted': 'deleted',
            ':d': deletedAt,
            ':before': stored.verdict,
            ':scannedAt': stored.scannedAt,
          },
        }),
      );
      return { written: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || isConditionFailure(error)) {
        return { written: false, reason: 'the verdict changed while the deletion was being recorded' };
      }
      throw error;
    }
  }

  async producerOf(image: ImageRef): Promise<StoredVerdict['producedBy']> {
    const out = await this.send(
      new GetCommand({
        TableName: this.tables.verdicts,
        Key: imageKey(image),
        ConsistentRead: true,
        ProjectionExpression: 'producedBy',
      }),
    );
    return (out.Item as Pick<StoredVerdict, 'producedBy'> | undefined)?.producedBy;
  }

  async recordProducer(image: ImageRef, producedBy: NonNullable<StoredVerdict['producedBy']>): Promise<void> {
    await this.send(
      new UpdateCommand({
        TableName: this.tables.verdicts,
        Key: imageKey(image),
        UpdateExpression: 'SET producedBy = :p',
        ExpressionAttributeValues: { ':p': producedBy },
      }),
    );
  }

  async recordBuild(build: BuildRecord): Promise<void> {
    if (!this.tables.builds) throw new Error('no builds table configured');
    const { registryId, region, repositoryName } = build;
    if (!registryId || !region || !repositoryName)
      throw new Error('a build is recorded under its target repository: registryId, region, repositoryName');
    await this.send(
      new PutCommand({
        TableName: this.tables.builds,
        Item: {
          ...build,
          repositoryName: repositoryKey({ registryId, region, repositoryName }),
          // Sort key: start time first, so a query returns the most recent builds of a repository first.
          startedBuild: `${build.startTime}#${build.id}`,
          expiresAt: Math.floor(new Date(build.startTime).getTime() / 1000) + BUILD_RETENTION_SECONDS,
        },
      }),
    );
  }

  async buildsFor(repository: RepositoryRef): Promise<BuildRecord[]> {
    if (!this.tables.builds) throw new Error('no builds table configured');
    const out = await this.send(
      new QueryCommand({
        TableName: this.tables.builds,
        KeyConditionExpression: 'repositoryName = :r',
        ExpressionAttributeValues: { ':r': repositoryKey(repository) },
        ScanIndexForward: false,
        Limit: BUILDS_WINDOW,
      }),
    );
    return ((out.Items ?? []) as (BuildRecord & { startedBuild?: string; expiresAt?: number })[]).map(
      ({ startedBuild: _s, expiresAt: _e, ...build }) =>
        ({ ...build, repositoryName: repository.repositoryName }) as BuildRecord,
    );
  }
}

/** The error a rejected condition raises, also when it crossed a module boundary (another copy of the SDK). */
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

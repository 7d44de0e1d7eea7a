/**
 * Claims on project names in DynamoDB: one item per name in the idempotency table, beside the Powertools
 * records (whose ids are `<function>#<hash>`; a claim's id starts with `buildwarden-provisioning#`, which no
 * function name does). The table already has what a claim needs — a string key `id`, TTL on `expiration`,
 * point-in-time recovery and encryption — so no second table is deployed for it. Taking a name is a conditional
 * PutItem that fails while another request's unexpired in-progress claim is there; expiry is checked in the
 * condition (DynamoDB's TTL deletes late), and `expiration` only lets DynamoDB clean the item up afterwards.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NameClaim, ProvisioningClaims } from '../ports';
import { isAwsError } from './common';
import { documentClient } from './verdicts';

export const provisioningClaimActions = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

const CONDITION_FAILED = 'ConditionalCheckFailedException';
const ID_PREFIX = 'buildwarden-provisioning#';
/** DynamoDB deletes expired items within days; an hour past expiry is soon enough to allow it. */
const CLEANUP_AFTER_SECONDS = 3600;

interface ClaimItem {
  id: string;
  name: string;
  token: string;
  specHash: string;
  state: NameClaim['state'];
  expiresAt: number;
  expiration: number;
}

const idOf = (name: string) => `${ID_PREFIX}${name}`;
const expirationOf = (expiresAt: number) => Math.ceil(expiresAt / 1000) + CLEANUP_AFTER_SECONDS;

function claimOf(item: Record<string, unknown> | undefined): NameClaim | undefined {
  if (!item) return undefined;
  const { name, token, specHash, state, expiresAt } = item as Partial<ClaimItem>;
  if (
    typeof name !== 'string' ||
    typeof token !== 'string' ||
    typeof specHash !== 'string' ||
    (state !== 'in-progress' && state !== 'succeeded' && state !== 'failed') ||
    typeof expiresAt !== 'number'
  ) {
    return undefined;
  }
  return { name, token, specHash, state, expiresAt };
}

let shared: DynamoDBDocumentClient | undefined;

export class DynamoProvisioningClaims implements ProvisioningClaims {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    db?: DynamoDBDocumentClient,
  ) {
    this.db = db ?? (shared ??= documentClient());
  }

  async claimName(
    claim: Omit<NameClaim, 'state'>,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: NameClaim }> {
    // The holder may end its claim between a failed put and the read: then try again (bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const item: ClaimItem = {
          id: idOf(claim.name),
          ...claim,
          state: 'in-progress',
          expiration: expirationOf(claim.expiresAt),
        };
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(id) OR #state <> :inProgress OR expiresAt < :now',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':inProgress': 'in-progress', ':now': now },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isAwsError(error, CONDITION_FAILED)) throw error;
      }
      const holder = await this.readClaim(claim.name);
      if (holder?.state === 'in-progress' && holder.expiresAt >= now) return { claimed: false, holder };
    }
    const holder = await this.readClaim(claim.name);
    if (holder) return { claimed: false, holder };
    // Vanished three times over: report the name as held by an unknown request rather than guess.
    return { claimed: false, holder: { ...claim, token: 'unknown', specHash: '', state: 'in-progress' } };
  }

  async readClaim(name: string): Promise<NameClaim | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: idOf(name) }, ConsistentRead: true }),
    );
    return claimOf(out.Item);
  }

  async endClaim(
    name: string,
    token: string,
    state: 'succeeded' | 'failed',
    keepUntil: number,
  ): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: idOf(name) },
          UpdateExpression: 'SET #state = :state, expiresAt = :keep, expiration = :expiration',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#state': 'state', '#token': 'token' },
          ExpressionAttributeValues: {
            ':state': state,
            ':keep': keepUntil,
            ':expiration': expirationOf(keepUntil),
            ':token': token,
          },
        }),
      );
    } catch (error) {
      // Another request took the name after this claim expired: its claim is not this one's to end.
      if (isAwsError(error, CONDITION_FAILED)) return;
      throw error;
    }
  }
}

/**
 * DynamoProvisioningClaims: the exact DynamoDB requests behind a claim on a project name (a conditional put, a
 * consistent read of the holder, a conditional update that ends only this request's claim) and which answers
 * count as "held by another request". Its behaviour on a real server is the contract suite on dynalite.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoProvisioningClaims, provisioningClaimActions } from '../../../lib/aws/provisioning-claims';

const documentMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'buildwarden-test-idempotency';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const CLAIM = { name: 'team-app', token: 'token-a', specHash: 'hash-1', expiresAt: NOW + 60_000 };

function claims(): DynamoProvisioningClaims {
  return new DynamoProvisioningClaims(
    TABLE,
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  );
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(() => {
  documentMock.reset();
});

describe('DynamoProvisioningClaims.claimName', () => {
  it('puts the claim on condition that no unexpired in-progress claim holds the name', async () => {
    // Prepare
    documentMock.on(PutCommand).resolves({});

    // Act
    const result = await claims().claimName(CLAIM, NOW);

    // Assess
    expect(result).toEqual({ claimed: true });
    expect(documentMock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: {
          id: 'buildwarden-provisioning#team-app',
          ...CLAIM,
          state: 'in-progress',
          expiration: Math.ceil((NOW + 60_000) / 1000) + 3600,
        },
        ConditionExpression: 'attribute_not_exists(id) OR #state <> :inProgress OR expiresAt < :now',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'in-progress', ':now': NOW },
      },
    ]);
  });

  it('reads the holder with a consistent read when the condition fails, and answers with it', async () => {
    // Prepare
    const holder = { ...CLAIM, token: 'token-b', state: 'in-progress' };
    documentMock.on(PutCommand).rejects(conditionFailed());
    documentMock.on(GetCommand).resolves({ Item: { id: 'buildwarden-provisioning#team-app', ...holder } });

    // Act
    const result = await claims().claimName(CLAIM, NOW);

    // Assess
    expect(result).toEqual({ claimed: false, holder });
    expect(documentMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: 'buildwarden-provisioning#team-app' },
      ConsistentRead: true,
    });
  });

  it('tries again when the holder ended its claim between the put and the read', async () => {
    // Prepare
    documentMock.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    documentMock.on(GetCommand).resolves({
      Item: { id: 'buildwarden-provisioning#team-app', ...CLAIM, token: 'token-b', state: 'succeeded' },
    });

    // Act
    const result = await claims().claimName(CLAIM, NOW);

    // Assess
    expect(result).toEqual({ claimed: true });
    expect(documentMock).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('lets any other error through', async () => {
    // Prepare
    documentMock
      .on(PutCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    const error = await rejectionOf(claims().claimName(CLAIM, NOW));

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('DynamoProvisioningClaims.endClaim', () => {
  it('records the outcome on condition that the claim is still this request token', async () => {
    // Prepare
    documentMock.on(UpdateCommand).resolves({});

    // Act
    await claims().endClaim('team-app', 'token-a', 'succeeded', NOW + 60_000);

    // Assess
    expect(documentMock.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { id: 'buildwarden-provisioning#team-app' },
      UpdateExpression: 'SET #state = :state, expiresAt = :keep, expiration = :expiration',
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#state': 'state', '#token': 'token' },
      ExpressionAttributeValues: {
        ':state': 'succeeded',
        ':keep': NOW + 60_000,
        ':expiration': Math.ceil((NOW + 60_000) / 1000) + 3600,
        ':token': 'token-a',
      },
    });
  });

  it('changes nothing, without an error, when another request holds the name by now', async () => {
    // Prepare
    documentMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const result = claims().endClaim('team-app', 'token-a', 'failed', NOW + 60_000);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });
});

describe('DynamoProvisioningClaims.readClaim', () => {
  it('reads nothing for an item that is not a claim', async () => {
    // Prepare
    documentMock.on(GetCommand).resolves({ Item: { id: 'buildwarden-provisioning#team-app', status: 'x' } });

    // Act
    const read = await claims().readClaim('team-app');

    // Assess
    expect(read).toBeUndefined();
  });
});

describe('provisioningClaimActions', () => {
  it('names the three DynamoDB actions the adapter sends', () => {
    expect([...provisioningClaimActions].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });
});

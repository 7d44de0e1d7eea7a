/** The verdict store over a mocked DynamoDB document client: a table that does not exist is named. */
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { documentClient, DynamoVerdictStore } from '../../../lib/aws/verdicts';
import { ConfigError } from '../../../lib/errors';

const documentMock = mockClient(DynamoDBDocumentClient);

const IMAGE = {
  registryId: '123456789012',
  region: 'us-east-1',
  repositoryName: 'web/frontend',
  imageDigest: `sha256:${'a'.repeat(64)}`,
};
const notFound = () =>
  new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
const store = () =>
  new DynamoVerdictStore(
    { verdicts: 'bw-verdicts', builds: 'bw-builds' },
    documentClient(new DynamoDBClient({ region: 'eu-west-1' })),
  );

beforeEach(() => documentMock.reset());

describe('DynamoVerdictStore: a table that does not exist', () => {
  it('is a ConfigError naming the verdicts table and the region', async () => {
    // Prepare
    documentMock.on(GetCommand).rejects(notFound());

    // Act
    const error = await store()
      .getVerdict(IMAGE)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      kind: 'internal',
      message: 'the verdicts table bw-verdicts does not exist in eu-west-1',
    });
  });

  it('names the builds table when that is the one missing', async () => {
    // Prepare
    documentMock.on(QueryCommand).rejects(notFound());

    // Act
    const error = await store()
      .buildsFor(IMAGE)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ message: 'the builds table bw-builds does not exist in eu-west-1' });
  });

  it('lets any other DynamoDB error through unchanged', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    documentMock.on(GetCommand).rejects(throttled);

    // Act
    const error = await store()
      .getVerdict(IMAGE)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBe(throttled);
  });
});

/**
 * `buildwarden verdict --table NAME`: the DynamoDB verdict store with its clients mocked at the class (no
 * network). The image is looked up under the account and region of the credentials, or the registry and region
 * the flags name.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { cli } from '../fixtures/cli';

const documents = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);

const ACCOUNT = '012345678910';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

beforeEach(() => {
  documents.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  documents.on(GetCommand).resolves({});
});

afterAll(() => {
  documents.restore();
  sts.restore();
});

describe('buildwarden verdict --table', () => {
  test('reads the image of the account and region of the credentials (tests/setup-env.ts: us-east-1)', async () => {
    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--table', 'verdicts'], {});

    // Assess
    expect(result.code).toBe(3);
    expect(documents).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'verdicts',
      Key: { repositoryName: `${ACCOUNT}:us-east-1:${REPOSITORY}`, imageDigest: DIGEST },
    });
  });

  test('--registry and --registry-region name another registry, and the credentials are not asked', async () => {
    // Act
    await cli(
      [
        'verdict',
        REPOSITORY,
        DIGEST,
        '--table',
        'verdicts',
        '--registry',
        '210987654321',
        '--registry-region',
        'eu-west-1',
      ],
      {},
    );

    // Assess
    expect(documents).toHaveReceivedCommandWith(GetCommand, {
      Key: { repositoryName: `210987654321:eu-west-1:${REPOSITORY}`, imageDigest: DIGEST },
    });
    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
  });

  test('prints a stored fail verdict and exits 1', async () => {
    // Prepare
    documents.on(GetCommand).resolves({
      Item: {
        repositoryName: `${ACCOUNT}:us-east-1:${REPOSITORY}`,
        imageDigest: DIGEST,
        verdict: 'fail',
        scanKind: 'basic',
        imageTags: ['1.4.2'],
        counts: { critical: 1 },
        topFindings: [],
        allowlisted: [],
        expiredAllowlist: [],
        scannedAt: '2026-10-02T09:15:20.000Z',
      },
    });

    // Act
    const result = await cli(['verdict', REPOSITORY, DIGEST, '--table', 'verdicts'], {});

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`fail: ${REPOSITORY}@${DIGEST} (1 critical)\n`);
  });
});

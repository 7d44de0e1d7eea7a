/**
 * The deploy gate's HTTP API end to end: the real handler, runtime, error mapping and verdict store, with the
 * SDK clients it uses mocked at the class (DynamoDB document client for GetItem; STS, which the runtime asks
 * for the account). Requests are the official API Gateway HTTP API (payload 2.0, IAM authorizer) sample,
 * moved to `GET /images/{proxy+}`. Every test is a fresh cold start.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import type { StoredVerdict } from '../../../lib/ports';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';

const { document: documentMock, sts: stsMock } = lambda.sdk;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const VERDICTS_TABLE = 'buildwarden-test-verdicts';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
/** The partition key of the image's repository: registry, region and name. */
const REPOSITORY_KEY = `${ACCOUNT}:${REGION}:${REPOSITORY}`;
/** The official sample's request id. */
const REQUEST_ID = 'ZhLNpgotDoEEJUQ=';

async function coldStart() {
  const { handler } = await lambda.coldStart(() => import('../../../functions/verdict-api'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    BUILDWARDEN_VERDICTS_TABLE: VERDICTS_TABLE,
  });
  return handler;
}

/** The official HTTP API IAM-auth sample as `GET /images/{proxy+}` with `proxy` = `pathAfterImages`. */
function request(pathAfterImages: string): APIGatewayProxyEventV2 {
  const event = awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');
  const rawPath = `/images/${pathAfterImages}`;
  event.routeKey = 'GET /images/{proxy+}';
  event.rawPath = rawPath;
  event.pathParameters = { proxy: pathAfterImages };
  event.requestContext.routeKey = 'GET /images/{proxy+}';
  event.requestContext.http = { ...event.requestContext.http, method: 'GET', path: rawPath };
  return event;
}

const storedVerdict = (): StoredVerdict => ({
  registryId: ACCOUNT,
  region: REGION,
  repositoryName: REPOSITORY,
  imageDigest: DIGEST,
  verdict: 'fail',
  scanKind: 'basic',
  imageTags: ['1.4.2'],
  counts: { critical: 1, high: 3, medium: 9, low: 14, informational: 2, undefined: 0 },
  topFindings: [{ id: 'CVE-2024-3094', severity: 'critical', score: 10, packageName: 'xz-utils' }],
  allowlisted: [],
  expiredAllowlist: [],
  scannedAt: '2026-10-02T09:15:20.000Z',
  producedBy: { project: 'web-frontend-build', buildId: 'web-frontend-build:6c1f2b3a', buildNumber: 42 },
});

/** The verdict as the DynamoDB item holds it: the partition key names registry, region and repository. */
const storedItem = (verdict: StoredVerdict = storedVerdict()) => ({
  ...verdict,
  repositoryName: REPOSITORY_KEY,
});

function givenAccount(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-test-verdictApi',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-verdictApi/buildwarden-test-verdictApi`,
  });
}

function givenStoredVerdict(): void {
  givenAccount();
  documentMock.on(GetCommand).resolves({ Item: storedItem() });
}

function givenNoVerdict(): void {
  givenAccount();
  documentMock.on(GetCommand).resolves({});
}

function bodyOf(response: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(response.body ?? 'null') as Record<string, unknown>;
}

beforeEach(() => {
  lambda.sdk.resetAll();
});

describe('verdict API: GET /images/{repository}/{digest}/verdict', () => {
  it('answers 200 with the stored verdict as JSON', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyOf(response)).toEqual(storedVerdict());
  });

  it('reads the verdict with a consistent GetItem keyed by the own account, region, repository and digest', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(documentMock).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: VERDICTS_TABLE,
      Key: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST },
      ConsistentRead: true,
    });
  });

  it('takes a repository name percent-encoded as one segment', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`web%2Ffrontend/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      Key: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST },
    });
  });

  it('takes a percent-encoded digest (sha256%3A…)', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${encodeURIComponent(DIGEST)}/verdict`));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      Key: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST },
    });
  });

  it('answers 404 saying the image has not been scanned when no verdict is stored', async () => {
    // Prepare
    givenNoVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toEqual({
      message: `no verdict for ${REPOSITORY}@${DIGEST}: the image has not been scanned yet`,
      requestId: REQUEST_ID,
    });
  });

  it('answers 404 for an image that was pushed but not scanned (only its producer is stored)', async () => {
    // Prepare
    givenAccount();
    documentMock.on(GetCommand).resolves({
      Item: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST, producedBy: storedVerdict().producedBy },
    });
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('answers 200 with verdict deleted for an image deleted after its last scan', async () => {
    // Prepare
    givenAccount();
    const deleted: StoredVerdict = {
      ...storedVerdict(),
      verdict: 'deleted',
      verdictBeforeDeletion: 'fail',
      deletedAt: '2026-10-03T08:00:00.000Z',
    };
    documentMock.on(GetCommand).resolves({ Item: storedItem(deleted) });
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ verdict: 'deleted', verdictBeforeDeletion: 'fail' });
  });

  it('answers 404 for an item of the key form without registry (the bare repository name is never read)', async () => {
    // Prepare
    givenAccount();
    documentMock
      .on(GetCommand, { Key: { repositoryName: REPOSITORY, imageDigest: DIGEST } })
      .resolves({ Item: { ...storedVerdict(), repositoryName: REPOSITORY } })
      .on(GetCommand)
      .resolves({});
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('answers 400 naming the digest when it is not an image digest, and reads nothing', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/latest/verdict`));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      message: 'invalid request',
      problems: ['digest: "latest" is not an image digest (sha256:<hex>)'],
      requestId: REQUEST_ID,
    });
    expect(documentMock).not.toHaveReceivedAnyCommand();
  });

  it('answers 400 naming the repository when it is not an ECR repository name', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`Web/Frontend/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).problems).toEqual(['repository: "Web/Frontend" is not an ECR repository name']);
  });

  it('answers 400 listing both problems when repository and digest are both bad', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request('-bad-/sha256:xyz/verdict'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).problems).toEqual([
      expect.stringMatching(/^repository: /),
      expect.stringMatching(/^digest: /),
    ]);
  });

  it('answers 400 naming the expected path when /verdict is missing', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}`));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).problems).toEqual(['path: expected /images/{repository}/{digest}/verdict']);
  });

  it('answers 500 with only a generic message and the request id when DynamoDB fails', async () => {
    // Prepare
    givenAccount();
    documentMock
      .on(GetCommand)
      .rejects(new InternalServerError({ message: 'table buildwarden-test-verdicts: boom', $metadata: {} }));
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ message: 'internal error', requestId: REQUEST_ID });
    expect(response.body).not.toMatch(/boom|InternalServerError|buildwarden-test-verdicts|at /);
  });
});

describe('verdict API: its cold path (the deploy gate waits on it)', () => {
  /** The context Lambda passes (the fields @types/aws-lambda declares), for this account's function. */
  const lambdaContext = (): Context => ({
    awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
    functionName: 'buildwarden-test-verdictApi',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:buildwarden-test-verdictApi`,
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/buildwarden-test-verdictApi',
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  });

  it('answers a cold request with one GetItem: the account comes from the function ARN, not from STS', async () => {
    // Prepare
    documentMock.on(GetCommand).resolves({ Item: storedItem() });
    const handler = await coldStart();

    // Act
    const response = await handler(request(`${REPOSITORY}/${DIGEST}/verdict`), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(stsMock).not.toHaveReceivedCommand(GetCallerIdentityCommand);
    expect(documentMock.calls()).toHaveLength(1);
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: VERDICTS_TABLE,
      Key: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST },
    });
  });

  it('constructs only the DynamoDB client (SDK clients are created on first use)', async () => {
    // Prepare
    documentMock.on(GetCommand).resolves({ Item: storedItem() });
    const { handler } = await lambda.coldStart(
      () => import('../../../functions/verdict-api'),
      {
        AWS_REGION: REGION,
        BUILDWARDEN_STAGE: 'test',
        BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`,
        BUILDWARDEN_VERDICTS_TABLE: VERDICTS_TABLE,
      },
      { countClients: true },
    );

    // Act
    await handler(request(`${REPOSITORY}/${DIGEST}/verdict`), lambdaContext());

    // Assess
    expect(lambda.constructedClients).toEqual(['DynamoDBClient']);
  });
});

describe('verdict API: ?account=&region= (organization mode)', () => {
  const MEMBER = '444455556666';

  /** The request with a query string, as API Gateway gives it. */
  function requestWithQuery(query: Record<string, string>): APIGatewayProxyEventV2 {
    const event = request(`${REPOSITORY}/${DIGEST}/verdict`);
    event.queryStringParameters = query;
    event.rawQueryString = new URLSearchParams(query).toString();
    return event;
  }

  it('reads the verdict of the account and Region asked for', async () => {
    // Prepare
    givenNoVerdict();
    documentMock
      .on(GetCommand, { Key: { repositoryName: `${MEMBER}:eu-west-1:${REPOSITORY}`, imageDigest: DIGEST } })
      .resolves({
        Item: {
          ...storedVerdict(),
          registryId: MEMBER,
          region: 'eu-west-1',
          repositoryName: `${MEMBER}:eu-west-1:${REPOSITORY}`,
        },
      });
    const handler = await coldStart();

    // Act
    const response = await handler(requestWithQuery({ account: MEMBER, region: 'eu-west-1' }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ registryId: MEMBER, region: 'eu-west-1' });
  });

  it('defaults the Region to the deployment’s own when only the account is given', async () => {
    // Prepare
    givenNoVerdict();
    const handler = await coldStart();

    // Act
    await handler(requestWithQuery({ account: MEMBER }));

    // Assess
    expect(documentMock).toHaveReceivedCommandWith(GetCommand, {
      Key: { repositoryName: `${MEMBER}:${REGION}:${REPOSITORY}`, imageDigest: DIGEST },
    });
  });

  it('answers 400 naming account for a malformed account id, reading nothing', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(requestWithQuery({ account: '12345' }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain(
      'account: \\"12345\\" is not a 12-digit AWS account id',
    );
    expect(documentMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 400 naming region for a malformed Region', async () => {
    // Prepare
    givenStoredVerdict();
    const handler = await coldStart();

    // Act
    const response = await handler(requestWithQuery({ region: 'Mars-1' }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain('region: \\"Mars-1\\" is not an AWS Region name');
  });
});

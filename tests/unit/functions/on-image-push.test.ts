/**
 * The image action Lambda end to end: the real handler, runtime, use case and adapters, with the SDK clients it
 * uses mocked at the class (ECR DescribeImages, STS, the DynamoDB document client). Pushes name their build;
 * deletes mark the stored verdict of an image that is gone. Every test is a fresh cold start.
 */
import path from 'node:path';
import { DescribeImagesCommand, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import 'aws-sdk-client-mock-jest';
import * as lambda from '../../fixtures/lambda';
import { awsSample, loadJson } from '../../fixtures/load';

const { ecr: ecrMock, sts: stsMock, document: documentMock } = lambda.sdk;
const mocks = lambda.sdk.all;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const VERDICTS_TABLE = 'buildwarden-test-verdicts';
const BUILDS_TABLE = 'buildwarden-test-builds';
const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const REPOSITORY_KEY = `${ACCOUNT}:${REGION}:${REPOSITORY}`;

const coldStart = (env: lambda.LambdaEnv = {}) =>
  lambda.coldStart(() => import('../../../functions/on-image-push'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    BUILDWARDEN_VERDICTS_TABLE: VERDICTS_TABLE,
    BUILDWARDEN_BUILDS_TABLE: BUILDS_TABLE,
    ...env,
  });

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;
const eventFile = (name: string) => loadJson<RawEvent>(path.join('..', '..', 'events', name));

/** The ECR User Guide's image deletion sample, moved to web/frontend in the test account and region. */
function deleteEvent(): RawEvent {
  const event = awsSample<RawEvent>('ecr-image-action-delete.json');
  event.region = REGION;
  event.detail['repository-name'] = REPOSITORY;
  event.detail['image-digest'] = DIGEST;
  return event;
}

const STORED_ITEM = {
  repositoryName: REPOSITORY_KEY,
  imageDigest: DIGEST,
  registryId: ACCOUNT,
  region: REGION,
  verdict: 'fail',
  scanKind: 'basic',
  imageTags: ['1.4.2'],
  counts: { critical: 1 },
  topFindings: [],
  allowlisted: [],
  expiredAllowlist: [],
  scannedAt: '2019-11-15T00:00:00.000Z',
};

function givenAccount(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  documentMock.on(GetCommand).resolves({ Item: STORED_ITEM });
  documentMock.on(UpdateCommand).resolves({});
  documentMock.on(QueryCommand).resolves({ Items: [] });
}

function givenImageGone(): void {
  ecrMock
    .on(DescribeImagesCommand)
    .rejects(new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: {} }));
}

const verdictUpdates = () =>
  documentMock
    .commandCalls(UpdateCommand)
    .filter((c) => c.args[0].input.TableName === VERDICTS_TABLE)
    .map((c) => c.args[0].input);

beforeEach(() => {
  lambda.sdk.resetAll();
});

describe('image action handler: deletes', () => {
  it('marks the stored verdict of a deleted image deleted', async () => {
    // Prepare
    givenAccount();
    givenImageGone();
    const { handler } = await coldStart();

    // Act
    const result = await handler(deleteEvent());

    // Assess
    expect(result).toEqual({ action: 'DELETE', deleted: true });
    expect(verdictUpdates()).toEqual([
      expect.objectContaining({
        Key: { repositoryName: REPOSITORY_KEY, imageDigest: DIGEST },
        ExpressionAttributeValues: {
          ':deleted': 'deleted',
          ':d': '2019-11-16T02:01:05.000Z',
          ':before': 'fail',
          ':scannedAt': STORED_ITEM.scannedAt,
        },
      }),
    ]);
  });

  it('asks ECR whether the image still exists, by digest', async () => {
    // Prepare
    givenAccount();
    givenImageGone();
    const { handler } = await coldStart();

    // Act
    await handler(deleteEvent());

    // Assess
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: REPOSITORY,
      imageIds: [{ imageDigest: DIGEST }],
    });
  });

  it('keeps the verdict of an image that still exists (only a tag was removed), saying so', async () => {
    // Prepare
    givenAccount();
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGEST, imageTags: ['1.4.2-rc1'] }],
    });
    const { handler } = await coldStart();

    // Act
    const result = await handler(deleteEvent());

    // Assess
    expect(result).toEqual({
      action: 'DELETE',
      deleted: false,
      skipped: 'the image still exists (tag latest was removed); its verdict stands',
    });
    expect(verdictUpdates()).toEqual([]);
  });

  it('a deletion older than the stored scan (pushed and scanned again since) marks nothing', async () => {
    // Prepare
    givenAccount();
    givenImageGone();
    documentMock.on(GetCommand).resolves({ Item: { ...STORED_ITEM, scannedAt: '2019-11-17T00:00:00.000Z' } });
    const { handler } = await coldStart();

    // Act
    const result = await handler(deleteEvent());

    // Assess
    expect(result).toMatchObject({ deleted: false, skipped: expect.stringMatching(/scanned again/) });
    expect(verdictUpdates()).toEqual([]);
  });

  it('in organization mode, skips a delete in an account that is not ACTIVE in the organization', async () => {
    // Prepare
    givenAccount();
    lambda.sdk.organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: ACCOUNT, Name: 'Security Tooling', State: 'ACTIVE' },
        { Id: '444455556666', Name: 'Builds', State: 'SUSPENDED' },
      ],
    });
    const event = { ...deleteEvent(), account: '444455556666' };
    const { handler } = await coldStart({ BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id' });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      action: 'DELETE',
      deleted: false,
      skipped: 'the event is from account 444455556666, which is not an ACTIVE account of the organization',
    });
    expect(ecrMock).not.toHaveReceivedAnyCommand();
  });

  it('skips a delete of another account with the reason, and calls neither ECR nor DynamoDB', async () => {
    // Prepare
    givenAccount();
    const event = { ...deleteEvent(), account: '210987654321' };
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      action: 'DELETE',
      deleted: false,
      skipped: `the event is from account 210987654321, not ${ACCOUNT}`,
    });
    expect(ecrMock).not.toHaveReceivedAnyCommand();
    expect(documentMock).not.toHaveReceivedAnyCommand();
  });
});

describe('image action handler: pushes', () => {
  it('looks up the builds of the repository under its registry and region', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(eventFile('ecr-image-action-push.json'));

    // Assess
    expect(result).toEqual({ action: 'PUSH', producedBy: null });
    expect(documentMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: BUILDS_TABLE,
      ExpressionAttributeValues: { ':r': REPOSITORY_KEY },
    });
  });

  it('skips a push from another region with the reason', async () => {
    // Prepare
    givenAccount();
    const event = { ...eventFile('ecr-image-action-push.json'), region: 'eu-west-1' };
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      action: 'PUSH',
      producedBy: null,
      skipped: `the event is from region eu-west-1, not ${REGION}`,
    });
    expect(documentMock).not.toHaveReceivedAnyCommand();
  });

  it('drops a failed image action with the reason, and makes no AWS call', async () => {
    // Prepare
    givenAccount();
    const event = eventFile('ecr-image-action-push.json');
    event.detail.result = 'FAILURE';
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('detail.result') });
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });
});

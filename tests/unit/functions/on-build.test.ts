/**
 * The build-state Lambda end to end: the real handler, runtime, use case and adapters, with every SDK client it
 * uses mocked at the class — CodeBuild (BatchGetProjects), STS, SNS, and DynamoDB twice: the Powertools
 * idempotency layer sends through DynamoDBClient, the build ledger through DynamoDBDocumentClient. Every test
 * is a fresh cold start (config and account are cached at module scope).
 */
import path from 'node:path';
import { BatchGetProjectsCommand, type Project } from '@aws-sdk/client-codebuild';
import {
  DeleteItemCommand,
  InternalServerError,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import 'aws-sdk-client-mock-jest';
import * as lambda from '../../fixtures/lambda';
import { awsSample, loadJson } from '../../fixtures/load';

const { codebuild: codebuildMock, sts: stsMock, sns: snsMock } = lambda.sdk;
const { dynamo: dynamoMock, document: documentMock } = lambda.sdk;
const mocks = lambda.sdk.all;

/** The account and region of the event files in events/. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;
const VERDICTS_TABLE = 'buildwarden-test-verdicts';
const BUILDS_TABLE = 'buildwarden-test-builds';
const IDEMPOTENCY_TABLE = 'buildwarden-test-idempotency';
const PROJECT = 'web-frontend-build';
const FAILED_BUILD_ARN =
  'arn:aws:codebuild:us-east-1:123456789012:build/web-frontend-build:0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';

type Env = lambda.LambdaEnv;

const validEnv = (): Env => ({
  BUILDWARDEN_STAGE: 'test',
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  BUILDWARDEN_VERDICTS_TABLE: VERDICTS_TABLE,
  BUILDWARDEN_BUILDS_TABLE: BUILDS_TABLE,
  BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
});

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
const coldStart = (env: Env = validEnv()) =>
  lambda.coldStart(() => import('../../../functions/on-build'), { AWS_REGION: REGION, ...env });

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;
const eventFile = (name: string) => loadJson<RawEvent>(path.join('..', '..', 'events', name));
const failedBuild = () => eventFile('codebuild-build-failed.json');
const succeededBuild = () => eventFile('codebuild-build-succeeded.json');

/** The official BatchGetProjects project, renamed to the events' project, pushing to web/frontend. */
function sdkProject(): Project {
  type CliProject = Omit<Project, 'created' | 'lastModified'> & { created: number; lastModified: number };
  const cli = awsSample<{ projects: CliProject[] }>('api-codebuild-batch-get-projects.aws-cli.json')
    .projects[0]!;
  return {
    ...cli,
    name: PROJECT,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${PROJECT}`,
    created: new Date(cli.created * 1000),
    lastModified: new Date(cli.lastModified * 1000),
    environment: {
      ...cli.environment!,
      environmentVariables: [{ name: 'IMAGE_REPO_NAME', value: 'web/frontend', type: 'PLAINTEXT' }],
    },
  };
}

function givenAccount(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-test-onBuild',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onBuild/buildwarden-test-onBuild`,
  });
  codebuildMock.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject()], projectsNotFound: [] });
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  documentMock.on(PutCommand).resolves({});
  documentMock.on(GetCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
}

function buildPuts() {
  return documentMock
    .commandCalls(PutCommand)
    .filter((c) => c.args[0].input.TableName === BUILDS_TABLE)
    .map((c) => c.args[0].input);
}

beforeEach(() => {
  lambda.sdk.resetAll();
  // Powertools warns that no Lambda context was registered (see tests/integration/dynamodb.test.ts).
  jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('build-state handler', () => {
  it('returns that the build was recorded and notified once', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(failedBuild());

    // Assess
    expect(result).toEqual({ recorded: true, notifications: 1 });
  });

  it('reads the project with BatchGetProjects to find the repository it pushes to', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(failedBuild());

    // Assess
    expect(codebuildMock).toHaveReceivedCommandTimes(BatchGetProjectsCommand, 1);
    expect(codebuildMock).toHaveReceivedCommandWith(BatchGetProjectsCommand, { names: [PROJECT] });
  });

  it('records the build with one PutItem to the builds table, keyed by registry, region, repository and build id', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(failedBuild());

    // Assess
    const puts = buildPuts();
    expect(puts).toHaveLength(1);
    expect(puts[0]!.Item).toMatchObject({
      repositoryName: '123456789012:us-east-1:web/frontend',
      registryId: '123456789012',
      region: 'us-east-1',
      id: FAILED_BUILD_ARN,
      startedBuild: `2026-10-02T10:40:11.000Z#${FAILED_BUILD_ARN}`,
      projectName: PROJECT,
      buildNumber: 43,
      sourceVersion: '8d2e4f6a1b3c5d7e9f0a1b2c3d4e5f60718293a4',
      startTime: '2026-10-02T10:40:11.000Z',
      expiresAt: expect.any(Number),
    });
  });

  it('publishes one notification for a FAILED build with MessageAttributes kind build-state and the project', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(failedBuild());

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: expect.stringContaining(`${PROJECT} #43 in BUILD`),
      MessageAttributes: expect.objectContaining({
        kind: { DataType: 'String', StringValue: 'build-state' },
        project: { DataType: 'String', StringValue: PROJECT },
      }),
    });
  });

  it('records a SUCCEEDED build and, by default, publishes nothing', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    const result = await handler(succeededBuild());

    // Assess
    expect(result).toEqual({ recorded: true, notifications: 0 });
    expect(buildPuts()).toHaveLength(1);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('claims the build state change in the idempotency table before working', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();

    // Act
    await handler(failedBuild());

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, { TableName: IDEMPOTENCY_TABLE });
  });

  it('skips a build event from another account with the reason: no project read, nothing recorded or sent', async () => {
    // Prepare
    givenAccount();
    const event = { ...failedBuild(), account: '210987654321' };
    const { handler } = await coldStart();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ skipped: `the event is from account 210987654321, not ${ACCOUNT}` });
    expect(codebuildMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(buildPuts()).toEqual([]);
  });

  it('in organization mode, skips a build event from an account outside the organization, naming it', async () => {
    // Prepare
    givenAccount();
    lambda.sdk.organizations
      .on(ListAccountsCommand)
      .resolves({ Accounts: [{ Id: ACCOUNT, Name: 'Security Tooling', State: 'ACTIVE' }] });
    const event = { ...failedBuild(), account: '210987654321' };
    const { handler } = await coldStart({ ...validEnv(), BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id' });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      skipped: 'the event is from account 210987654321, which is not an ACTIVE account of the organization',
    });
    expect(codebuildMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(buildPuts()).toEqual([]);
  });

  it('drops a malformed event with the reason, and makes no AWS call', async () => {
    // Prepare
    givenAccount();
    const { handler } = await coldStart();
    const event = failedBuild();
    event.detail['build-status'] = 'EXPLODED';

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ dropped: expect.stringContaining('detail.build-status') });
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });

  // The settings are checked at the first invocation, before any AWS call (lib/runtime/lambda.ts).
  it('throws a ConfigError naming BUILDWARDEN_IDEMPOTENCY_TABLE when it is missing, before any build work', async () => {
    // Prepare
    givenAccount();
    const { BUILDWARDEN_IDEMPOTENCY_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(failedBuild());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_IDEMPOTENCY_TABLE/);
    for (const mock of mocks) expect(mock).not.toHaveReceivedAnyCommand();
  });

  it('throws a ConfigError naming BUILDWARDEN_BUILDS_TABLE when it is missing', async () => {
    // Prepare
    givenAccount();
    const { BUILDWARDEN_BUILDS_TABLE: _omitted, ...env } = validEnv();
    const { handler, ConfigError } = await coldStart(env);

    // Act
    const running = handler(failedBuild());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_BUILDS_TABLE/);
  });

  it('rethrows an SDK error from BatchGetProjects so Lambda retries, and publishes nothing', async () => {
    // Prepare
    givenAccount();
    codebuildMock.on(BatchGetProjectsCommand).rejects(new Error('Rate exceeded'));
    const { handler } = await coldStart();

    // Act
    const running = handler(failedBuild());

    // Assess
    await expect(running).rejects.toThrow('Rate exceeded');
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(buildPuts()).toEqual([]);
  });

  it('rethrows a DynamoDB error from recording the build and releases its idempotency claim', async () => {
    // Prepare
    givenAccount();
    documentMock
      .on(PutCommand)
      .rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));
    const { handler } = await coldStart();

    // Act
    const running = handler(failedBuild());

    // Assess
    await expect(running).rejects.toThrow(InternalServerError);
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: IDEMPOTENCY_TABLE });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});

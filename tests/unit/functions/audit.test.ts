/**
 * The scheduled-audit Lambda end to end: the real handler, runtime, use case and adapters, with every SDK
 * client it uses (ECR, STS, SNS, and CodeBuild and IAM, which the audit also reads) mocked at the class. Every test is a fresh cold start (config and account are cached at
 * module scope in lib/runtime.ts), with the environment set before the handler module is loaded.
 */
import * as ecrSdk from '@aws-sdk/client-ecr';
import {
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryPolicyNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import * as codebuildSdk from '@aws-sdk/client-codebuild';
import { CodeBuildClient, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import * as iamSdk from '@aws-sdk/client-iam';
import { IAMClient } from '@aws-sdk/client-iam';
import * as snsSdk from '@aws-sdk/client-sns';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as stsSdk from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { handler as auditHandler } from '../../../functions/audit';
import type { ConfigError as ConfigErrorClass } from '../../../lib/config';
import { describeRepositoriesSample } from '../../fixtures/ecr/sdk-responses';
import { awsSample } from '../../fixtures/load';

const ecrMock = mockClient(ECRClient);
const stsMock = mockClient(STSClient);
const snsMock = mockClient(SNSClient);
// Not under test here, but mocked so that no call can reach the network: the account has no CodeBuild
// projects, so the audit never asks IAM for roles.
const codebuildMock = mockClient(CodeBuildClient);
const iamMock = mockClient(IAMClient);

/** The account and region of the official describe-repositories sample's ARNs. */
const ACCOUNT = '012345678910';
const REGION = 'us-west-2';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;

const ENV_KEYS = [
  'STAGE',
  'NOTIFICATION_TOPIC_ARN',
  'GUARDRAILS_FILE',
  'AUDIT_TOP_OFFENDERS',
  'AUDIT_CONCURRENCY',
  'AWS_REGION',
  'POWERTOOLS_LOG_LEVEL',
] as const;
let savedEnv: Record<string, string | undefined>;

interface ColdStart {
  handler: typeof auditHandler;
  ConfigError: typeof ConfigErrorClass;
}

/**
 * Loads the handler in a fresh module registry, as Lambda does on a cold start. The SDK client packages are
 * shared with this file, so the class-level mocks above intercept the adapters' module-scope clients.
 */
async function coldStart(env: Partial<Record<(typeof ENV_KEYS)[number], string>>): Promise<ColdStart> {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, { AWS_REGION: REGION, POWERTOOLS_LOG_LEVEL: 'SILENT' }, env);
  let loaded: ColdStart | undefined;
  await jest.isolateModulesAsync(async () => {
    jest.doMock('@aws-sdk/client-ecr', () => ecrSdk);
    jest.doMock('@aws-sdk/client-sns', () => snsSdk);
    jest.doMock('@aws-sdk/client-sts', () => stsSdk);
    jest.doMock('@aws-sdk/client-codebuild', () => codebuildSdk);
    jest.doMock('@aws-sdk/client-iam', () => iamSdk);
    const { handler } = await import('../../../functions/audit');
    const { ConfigError } = await import('../../../lib/config');
    loaded = { handler, ConfigError };
  });
  return loaded!;
}

const validEnv = () => ({ STAGE: 'test', NOTIFICATION_TOPIC_ARN: TOPIC_ARN });

/** The official EventBridge scheduled event (the handler's trigger). */
const scheduledEvent = () => awsSample('eventbridge-scheduled-event.json');

/**
 * One repository (`ubuntu` from the official sample) with no lifecycle policy, no repository policy and no
 * tags, in an account with no CodeBuild projects.
 */
function givenOneRepositoryWithoutLifecyclePolicy(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-audit',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-audit/buildwarden-audit`,
  });
  ecrMock
    .on(GetRegistryScanningConfigurationCommand)
    .resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'BASIC', rules: [] } });
  ecrMock
    .on(DescribeRepositoriesCommand)
    .resolves({ repositories: describeRepositoriesSample().repositories!.slice(0, 1) });
  ecrMock
    .on(GetLifecyclePolicyCommand)
    .rejects(
      new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist', $metadata: {} }),
    );
  ecrMock
    .on(GetRepositoryPolicyCommand)
    .rejects(
      new RepositoryPolicyNotFoundException({ message: 'Repository policy does not exist', $metadata: {} }),
    );
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
  codebuildMock.on(ListProjectsCommand).resolves({ projects: [] });
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
}

function publishedInput(): NonNullable<PublishCommand['input']> {
  const [call] = snsMock.commandCalls(PublishCommand);
  if (!call) throw new Error('no PublishCommand was sent');
  return call.args[0].input;
}

beforeEach(() => {
  ecrMock.reset();
  stsMock.reset();
  snsMock.reset();
  codebuildMock.reset();
  iamMock.reset();
  savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    const value = savedEnv[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('scheduled audit handler', () => {
  it('reports violations for a repository without a lifecycle policy', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    const result = await handler(scheduledEvent());

    // Assess
    expect(result.violations).toBeGreaterThan(0);
    expect(result.findings).toBeGreaterThanOrEqual(result.violations);
  });

  it('publishes exactly one audit summary to the configured topic, naming the account', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: expect.stringContaining(`${ACCOUNT}/${REGION}`),
      MessageAttributes: expect.objectContaining({
        kind: { DataType: 'String', StringValue: 'audit-summary' },
      }),
    });
  });

  it('names the repository and its missing lifecycle policy in the summary message', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(publishedInput().Message).toMatch(/^\s+ubuntu — .*ecr\.lifecycle-policy \(medium\)/m);
  });

  it('reads the account from STS and the repositories from ECR with maxResults 1000', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, { maxResults: 1000 });
    expect(ecrMock).toHaveReceivedCommandWith(GetLifecyclePolicyCommand, {
      repositoryName: 'ubuntu',
      registryId: ACCOUNT,
    });
  });

  it('throws a ConfigError naming NOTIFICATION_TOPIC_ARN when it is missing, before any AWS call', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler, ConfigError } = await coldStart({ STAGE: 'test' });

    // Act
    const running = handler(scheduledEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/NOTIFICATION_TOPIC_ARN/);
    expect(ecrMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('throws a ConfigError naming NOTIFICATION_TOPIC_ARN when it is not an SNS topic ARN', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler, ConfigError } = await coldStart({
      STAGE: 'test',
      NOTIFICATION_TOPIC_ARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    });

    // Act
    const running = handler(scheduledEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/NOTIFICATION_TOPIC_ARN/);
  });

  it('rethrows an SDK error from DescribeRepositories so Lambda retries, and publishes nothing', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new ServerException({ message: 'internal failure', $metadata: {} }));
    const { handler } = await coldStart(validEnv());

    // Act
    const running = handler(scheduledEvent());

    // Assess
    await expect(running).rejects.toThrow(ServerException);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });
});

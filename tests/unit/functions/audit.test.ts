/**
 * The scheduled-audit Lambda end to end: the real handler, runtime, use case and adapters, with every SDK
 * client it uses (ECR, STS, SNS, and CodeBuild and IAM, which the audit also reads) mocked at the class. Every test is a fresh cold start (config and account are cached at
 * module scope in lib/runtime/lambda.ts and compose.ts), with the environment set before the handler module is loaded.
 */
import {
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryPolicyNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import { ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import { describeRepositoriesSample } from '../../fixtures/ecr/sdk-responses';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';

// CodeBuild is not under test here: the account has no projects, so the audit never asks IAM for roles.
const { ecr: ecrMock, sts: stsMock, sns: snsMock, codebuild: codebuildMock } = lambda.sdk;

/** The account and region of the official describe-repositories sample's ARNs. */
const ACCOUNT = '012345678910';
const REGION = 'us-west-2';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
const coldStart = (env: lambda.LambdaEnv) =>
  lambda.coldStart(() => import('../../../functions/audit'), { AWS_REGION: REGION, ...env });

const validEnv = () => ({ BUILDWARDEN_STAGE: 'test', BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN });

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
  lambda.sdk.resetAll();
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

  it('throws a ConfigError naming BUILDWARDEN_NOTIFICATION_TOPIC_ARN when it is missing, before any AWS call', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler, ConfigError } = await coldStart({ BUILDWARDEN_STAGE: 'test' });

    // Act
    const running = handler(scheduledEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_NOTIFICATION_TOPIC_ARN/);
    expect(ecrMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('throws a ConfigError naming BUILDWARDEN_NOTIFICATION_TOPIC_ARN when it is not an SNS topic ARN', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler, ConfigError } = await coldStart({
      BUILDWARDEN_STAGE: 'test',
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    });

    // Act
    const running = handler(scheduledEvent());

    // Assess
    await expect(running).rejects.toThrow(ConfigError);
    await expect(running).rejects.toThrow(/BUILDWARDEN_NOTIFICATION_TOPIC_ARN/);
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

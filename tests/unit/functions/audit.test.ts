/**
 * The scheduled-audit Lambda end to end: the real handler, runtime, use case and adapters, with every SDK
 * client it uses (ECR, STS, SNS, and CodeBuild and IAM, which the audit also reads) mocked at the class. Every test is a fresh cold start (config and account are cached at
 * module scope in lib/runtime/lambda.ts and compose.ts), with the environment set before the handler module is loaded.
 */
import {
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRegistryCommand,
  DescribeRepositoryCreationTemplatesCommand,
  GetRegistryPolicyCommand,
  GetRegistryScanningConfigurationCommand,
  RegistryPolicyNotFoundException,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryPolicyNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import { ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { NoSuchBucket, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import { PublishCommand } from '@aws-sdk/client-sns';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import { describeRepositoriesSample } from '../../fixtures/ecr/sdk-responses';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';

// CodeBuild is not under test here: the account has no projects, so the audit never asks IAM for roles.
const {
  ecr: ecrMock,
  sts: stsMock,
  sns: snsMock,
  codebuild: codebuildMock,
  s3: s3Mock,
  securityHub: securityHubMock,
  document: documentMock,
} = lambda.sdk;

/** The account and region of the official describe-repositories sample's ARNs. */
const ACCOUNT = '012345678910';
const REGION = 'us-west-2';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
const coldStart = (env: lambda.LambdaEnv) =>
  lambda.coldStart(() => import('../../../functions/audit'), { AWS_REGION: REGION, ...env });

const FINDINGS_TABLE = 'buildwarden-test-findings';
const REPORTS_BUCKET = 'buildwarden-test-reportsbucket-1a2b3c';
const validEnv = () => ({
  BUILDWARDEN_STAGE: 'test',
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  BUILDWARDEN_FINDINGS_TABLE: FINDINGS_TABLE,
  BUILDWARDEN_REPORTS_BUCKET: REPORTS_BUCKET,
});

/** The documented answer of PutObject to a versioned bucket. */
const putObjectAnswer = () =>
  awsSample<{ output: { ETag: string; VersionId: string } }>('api-s3-put-object.botocore-example.json')
    .output;

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
  // A registry with no replication, no registry policy, no pull-through cache rule and no creation template.
  ecrMock
    .on(DescribeRegistryCommand)
    .resolves({ registryId: ACCOUNT, replicationConfiguration: { rules: [] } });
  ecrMock
    .on(GetRegistryPolicyCommand)
    .rejects(
      new RegistryPolicyNotFoundException({ message: 'Registry policy does not exist', $metadata: {} }),
    );
  ecrMock.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [] });
  ecrMock.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
  codebuildMock.on(ListProjectsCommand).resolves({ projects: [] });
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
  s3Mock.on(PutObjectCommand).resolves(putObjectAnswer());
}

function publishedInput(): NonNullable<PublishCommand['input']> {
  const [call] = snsMock.commandCalls(PublishCommand);
  if (!call) throw new Error('no PublishCommand was sent');
  return call.args[0].input;
}

let findingsTable: Map<string, Record<string, unknown>>;

beforeEach(() => {
  lambda.sdk.resetAll();
  findingsTable = lambda.givenFindingsTable();
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

describe('scheduled audit handler: history, reports and Security Hub', () => {
  it('records the open findings of the audit in the findings table, in one batch', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(documentMock).toHaveReceivedCommandTimes(BatchWriteCommand, 1);
    expect([...findingsTable.values()]).toContainEqual(
      expect.objectContaining({
        scope: `${ACCOUNT}:${REGION}`,
        ruleId: 'ecr.lifecycle-policy',
        resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/ubuntu`,
        state: 'open',
      }),
    );
  });

  it('leads the first summary with every open finding as new, by rule and resource', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    const input = publishedInput();
    expect(input.Subject).toMatch(/: \d+ new; /);
    expect(input.Message).toMatch(/^Since the last audit: \d+ new; 0 still open\./);
    expect(input.Message).toMatch(/^New \(\d+\):\n(.*\n)*\s+medium\s+ecr\.lifecycle-policy on ubuntu$/m);
  });

  it('says "nothing new" in the subject of an audit that finds what the previous one found', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());
    await handler(scheduledEvent());
    snsMock.resetHistory();

    // Act
    await handler(scheduledEvent());

    // Assess
    const input = publishedInput();
    expect(input.Subject).toMatch(/: nothing new; /);
    expect(input.Message).toMatch(/^Since the last audit \(.+\): nothing new; \d+ still open\./);
    expect(input.Message).toMatch(/^Still open \(\d+\):$/m);
  });

  it('keeps the HTML report and the JSON findings in the reports bucket, under the audit time', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    const result = await handler(scheduledEvent());

    // Assess
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      [
        REPORTS_BUCKET,
        expect.stringMatching(new RegExp(`^audits/${ACCOUNT}/${REGION}/\\d{8}T\\d{6}Z/report\\.html$`)),
        'text/html; charset=utf-8',
      ],
      [REPORTS_BUCKET, expect.stringMatching(/\/findings\.json$/), 'application/json'],
    ]);
    expect(String(puts[0]!.Body)).toMatch(/^<!doctype html>/i);
    expect(JSON.parse(String(puts[1]!.Body))).toMatchObject({ accountId: ACCOUNT, region: REGION });
    expect(result).toMatchObject({ reports: puts.map((p) => p.Key), problems: [] });
  });

  it('links the HTML report in the S3 console from the summary', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    const key = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Key!;
    expect(publishedInput().Message).toContain(
      `HTML report: https://${REGION}.console.aws.amazon.com/s3/object/${REPORTS_BUCKET}?region=${REGION}&bucketType=general&prefix=${encodeURIComponent(key)}`,
    );
  });

  it('still publishes the summary when the bucket does not exist, saying the report was not kept', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    s3Mock
      .on(PutObjectCommand)
      .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(publishedInput().Message).toMatch(/^The HTML report was not kept: .*bucket/m);
  });

  it('sends nothing to Security Hub unless BUILDWARDEN_SECURITY_HUB is true', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    await handler(scheduledEvent());

    // Assess
    expect(securityHubMock).not.toHaveReceivedAnyCommand();
  });

  it('imports the open findings into Security Hub when BUILDWARDEN_SECURITY_HUB is true', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    securityHubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({
      FailedCount: 0,
      SuccessCount: input.Findings.length,
      FailedFindings: [],
    }));
    const { handler } = await coldStart({ ...validEnv(), BUILDWARDEN_SECURITY_HUB: 'true' });

    // Act
    await handler(scheduledEvent());

    // Assess
    const [call] = securityHubMock.commandCalls(BatchImportFindingsCommand);
    expect(call!.args[0].input.Findings).toContainEqual(
      expect.objectContaining({
        GeneratorId: 'ecr.lifecycle-policy',
        Compliance: { Status: 'FAILED' },
        RecordState: 'ACTIVE',
      }),
    );
  });
});

describe('scheduled audit handler: metrics (CloudWatch embedded metric format on stdout)', () => {
  type Emf = {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  } & Record<string, unknown>;

  /** The EMF documents written to stdout while `run` runs. */
  async function emitted(run: () => Promise<unknown>): Promise<Emf[]> {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await run();
    } finally {
      write.mockRestore();
    }
    return lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Emf);
  }

  it('emits nothing when BUILDWARDEN_METRICS is not true', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart(validEnv());

    // Act
    const documents = await emitted(() => handler(scheduledEvent()));

    // Assess
    expect(documents).toEqual([]);
  });

  it('emits open findings by rule and severity in namespace buildwarden, with no resource in any dimension', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart({ ...validEnv(), BUILDWARDEN_METRICS: 'true' });

    // Act
    const documents = await emitted(() => handler(scheduledEvent()));

    // Assess
    const lifecycle = documents.find((d) => d.rule === 'ecr.lifecycle-policy');
    expect(lifecycle).toMatchObject({
      service: 'buildwarden',
      function: 'audit',
      rule: 'ecr.lifecycle-policy',
      severity: 'medium',
      OpenFindings: 1,
    });
    expect(lifecycle!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'buildwarden',
      Dimensions: [expect.arrayContaining(['service', 'function', 'rule', 'severity'])],
    });
    const dimensionNames = documents.flatMap((d) =>
      d._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.flat()),
    );
    expect(new Set(dimensionNames)).toEqual(new Set(['service', 'function', 'rule', 'severity']));
    expect(JSON.stringify(documents)).not.toContain('arn:aws:ecr');
  });

  it('emits the audit duration, the API calls, the new findings and the published notification', async () => {
    // Prepare
    givenOneRepositoryWithoutLifecyclePolicy();
    const { handler } = await coldStart({ ...validEnv(), BUILDWARDEN_METRICS: 'true' });

    // Act
    const documents = await emitted(() => handler(scheduledEvent()));

    // Assess
    const totals = documents.find((d) => 'AuditDuration' in d);
    expect(totals).toMatchObject({
      service: 'buildwarden',
      function: 'audit',
      NewFindings: 4,
      ResolvedFindings: 0,
      NotificationsPublished: 1,
      AuditDuration: expect.any(Number),
    });
    expect(totals!.ApiCalls).toBeGreaterThanOrEqual(5);
    expect(totals).not.toHaveProperty('rule');
  });
});

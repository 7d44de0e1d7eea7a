/**
 * `buildwarden lifecycle preview --compare-aws` end to end on a "live" account: the SDK adapters with every
 * client mocked at the class (no network), ECR's preview answers built from the AWS CLI's start/get examples.
 * The images' push times are relative to the real clock, days away from the policy's 14-day threshold, so the
 * instant ECR's preview starts at never decides a row.
 */
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { LifecycleComparison } from '../../lib/policy/lifecycle/compare';
import { cli, tempFile } from '../fixtures/cli';
import {
  cliRepositories,
  describeImagesPage,
  getLifecyclePolicyPreviewSample,
  getLifecyclePolicySample,
  sdkRepository,
  startLifecyclePolicyPreviewSample,
  type CliPreviewResult,
} from '../fixtures/ecr/sdk-responses';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** The `ubuntu` repository of the describe-repositories sample, whose policy (get-lifecycle-policy sample) expires untagged images 14 days after push. */
const UBUNTU = cliRepositories()[0]!;
const CURRENT_POLICY = getLifecyclePolicySample().lifecyclePolicyText!;
/** OLD: untagged, 30 days (expired by rule 1); NEW: untagged, 2 days; REL: tagged, 100 days (both kept). */
const OLD = { imageDigest: digest('a'), imagePushedAt: daysAgo(30) };
const NEW = { imageDigest: digest('b'), imagePushedAt: daysAgo(2) };
const REL = { imageDigest: digest('c'), imageTags: ['v1'], imagePushedAt: daysAgo(100) };

const expiredByRule1 = (image: { imageDigest: string; imagePushedAt: string }): CliPreviewResult => ({
  imageDigest: image.imageDigest,
  imagePushedAt: image.imagePushedAt,
  action: { type: 'EXPIRE' },
  appliedRulePriority: 1,
  storageClass: 'STANDARD',
});

/** ECR's completed preview of `policyText` with these results. */
function ecrPreview(results: CliPreviewResult[], policyText = CURRENT_POLICY) {
  ecr.on(GetLifecyclePolicyPreviewCommand).resolves(
    getLifecyclePolicyPreviewSample({
      repositoryName: UBUNTU.repositoryName,
      lifecyclePolicyText: policyText,
      previewResults: results,
      summary: { expiringImageTotalCount: results.length },
    }),
  );
}

beforeEach(() => {
  ecr.reset();
  sts.reset();
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '012345678910', Arn: 'arn:aws:iam::012345678910:user/ci' });
  ecr
    .on(DescribeRepositoriesCommand, { repositoryNames: ['ubuntu'] })
    .resolves({ repositories: [sdkRepository(UBUNTU)] });
  ecr.on(GetLifecyclePolicyCommand).resolves(getLifecyclePolicySample());
  ecr
    .on(GetRepositoryPolicyCommand)
    .rejects(new RepositoryPolicyNotFoundException({ message: 'none', $metadata: {} }));
  ecr.on(ListTagsForResourceCommand).resolves({ tags: [] });
  ecr.on(DescribeImagesCommand).resolves(describeImagesPage(UBUNTU, [OLD, NEW, REL]));
  ecr.on(StartLifecyclePolicyPreviewCommand).resolves(startLifecyclePolicyPreviewSample());
  ecrPreview([expiredByRule1(OLD)]);
});

const compareAws = (...extra: string[]) =>
  cli(['lifecycle', 'preview', '--repository', 'ubuntu', '--compare-aws', ...extra]);

describe('buildwarden lifecycle preview --compare-aws', () => {
  test('exits 0 when ECR expires exactly the images our simulator expires', async () => {
    const result = await compareAws();

    expect(result.code).toBe(0);
    const comparison = JSON.parse(result.stdout) as LifecycleComparison;
    expect(comparison.equal).toBe(true);
    expect(comparison.images.map((row) => [row.imageDigest, row.ours.action, row.aws.action])).toEqual([
      [OLD.imageDigest, 'expire', 'expire'],
    ]);
    expect(comparison.summary).toMatchObject({ imagesRead: 3, same: 1, different: 0, keptByBoth: 2 });
  });

  test("previews the repository's current lifecycle policy, as ECR returned it, when no --policy is given", async () => {
    await compareAws();

    expect(ecr.commandCalls(StartLifecyclePolicyPreviewCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'ubuntu', lifecyclePolicyText: CURRENT_POLICY },
    ]);
  });

  test("previews the --policy file's text when one is given", async () => {
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    });
    const policy = tempFile('policy.json', text);
    ecrPreview([expiredByRule1(OLD), expiredByRule1(REL)], text);

    const result = await compareAws('--policy', policy);

    expect(ecr.commandCalls(StartLifecyclePolicyPreviewCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'ubuntu',
      lifecyclePolicyText: text,
    });
    expect(result.code).toBe(0);
  });

  test('prints progress on stderr while waiting for ECR', async () => {
    const result = await compareAws();

    expect(result.stderr).toMatch(/^started ECR's lifecycle policy preview of ubuntu$/m);
    expect(result.stderr).toMatch(/^ECR's preview of ubuntu: complete after \d+ s, 1 image acted on$/m);
  });

  test('exits 1 and marks the image when ECR keeps an image our simulator expires', async () => {
    ecrPreview([]);

    const result = await compareAws('--format', 'table');

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^\*\s+sha256:aaaaaaaaaaaa…\s+<untagged>\s+expire \(rule 1\)\s+keep$/m);
    expect(result.stdout).toMatch(/^different: 1 image \(marked \*\)$/m);
  });

  test('JSON names each side of a difference, including an image ECR acts on that we did not read', async () => {
    const pushedMeanwhile = { imageDigest: digest('d'), imagePushedAt: daysAgo(30) };
    ecrPreview([expiredByRule1(OLD), expiredByRule1(pushedMeanwhile)]);

    const result = await compareAws();

    expect(result.code).toBe(1);
    const comparison = JSON.parse(result.stdout) as LifecycleComparison;
    expect(comparison.images.filter((row) => row.different)).toEqual([
      expect.objectContaining({
        imageDigest: pushedMeanwhile.imageDigest,
        ours: { action: 'not-read', rulePriority: null },
        aws: { action: 'expire', rulePriority: 1 },
      }),
    ]);
  });

  test('a preview ECR ends FAILED exits 4 naming the status', async () => {
    ecr
      .on(GetLifecyclePolicyPreviewCommand)
      .resolves(getLifecyclePolicyPreviewSample({ status: 'FAILED', lifecyclePolicyText: CURRENT_POLICY }));

    const result = await compareAws();

    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/preview of repository ubuntu ended FAILED/);
  });

  test('with --snapshot exits 2 saying the comparison is live only, before any AWS call', async () => {
    const result = await compareAws('--snapshot', 'demo/account.json');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/live account only: it cannot be used with --snapshot/);
    expect(ecr.calls()).toHaveLength(0);
  });

  test('without --repository exits 2', async () => {
    const result = await cli(['lifecycle', 'preview', '--compare-aws']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--compare-aws needs --repository NAME/);
  });

  test('a repository without a lifecycle policy, and no --policy, exits 2 asking for --policy', async () => {
    ecr
      .on(GetLifecyclePolicyCommand)
      .rejects(new LifecyclePolicyNotFoundException({ message: 'none', $metadata: {} }));

    const result = await compareAws();

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/repository ubuntu has no lifecycle policy: .*--policy FILE/);
    expect(ecr.commandCalls(StartLifecyclePolicyPreviewCommand)).toHaveLength(0);
  });

  test('a repository that does not exist exits 2 naming it', async () => {
    ecr
      .on(DescribeRepositoriesCommand, { repositoryNames: ['ubuntu'] })
      .rejects(new RepositoryNotFoundException({ message: 'no such repository', $metadata: {} }));

    const result = await compareAws();

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/repository ubuntu does not exist/);
  });

  test.each(['0', 'soon', '3601'])('--timeout %s exits 2 naming the flag', async (timeout) => {
    const result = await compareAws('--timeout', timeout);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--timeout must be a whole number of seconds from 1 to 3600/);
  });

  test('--timeout without --compare-aws exits 2', async () => {
    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      'tests/fixtures/aws-samples/ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json',
      '--repository',
      'web/frontend',
      '--snapshot',
      'demo/account.json',
      '--timeout',
      '60',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--timeout goes with --compare-aws/);
  });
});

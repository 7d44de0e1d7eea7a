/**
 * ECR's own lifecycle policy preview over aws-sdk-client-mock, from the AWS CLI's start/get examples and the
 * botocore shapes of GetLifecyclePolicyPreview: start, poll with a bounded wait (fake clock, no real sleeps),
 * every page, the preview another caller is running, and each way ECR can fail to give a result.
 */
import {
  ECRClient,
  GetLifecyclePolicyPreviewCommand,
  InvalidParameterException,
  LifecyclePolicyPreviewInProgressException,
  RepositoryNotFoundException,
  StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { EcrLifecyclePreviewer, lifecyclePreviewActions } from '../../../lib/aws/lifecycle-preview';
import { NotFoundError } from '../../../lib/errors';
import { LifecyclePreviewFailedError, type LifecyclePreviewProgress } from '../../../lib/ports';
import { functionActions } from '../../../lib/runtime/actions';
import {
  getLifecyclePolicyPreviewSample,
  getLifecyclePolicySample,
  previewSamplePolicyText,
  startLifecyclePolicyPreviewSample,
} from '../../fixtures/ecr/sdk-responses';

const ecr = mockClient(ECRClient);
const REPOSITORY = 'project-a/amazon-ecs-sample';
const POLICY = previewSamplePolicyText();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

/** A fake clock: sleeping advances it, and every sleep is recorded. */
function fakeClock() {
  let now = T0;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    slept,
  };
}

function previewer(clock = fakeClock()) {
  return new EcrLifecyclePreviewer(new ECRClient({ region: 'us-east-1' }), {
    now: clock.now,
    sleep: clock.sleep,
  });
}

const inProgress = () => getLifecyclePolicyPreviewSample({ status: 'IN_PROGRESS', summary: undefined });

beforeEach(() => {
  ecr.reset();
  ecr.on(StartLifecyclePolicyPreviewCommand).resolves(startLifecyclePolicyPreviewSample());
  ecr.on(GetLifecyclePolicyPreviewCommand).resolves(getLifecyclePolicyPreviewSample());
});

describe('EcrLifecyclePreviewer', () => {
  test('declares the two preview actions it calls', () => {
    expect([...lifecyclePreviewActions]).toEqual([
      'ecr:StartLifecyclePolicyPreview',
      'ecr:GetLifecyclePolicyPreview',
    ]);
  });

  test('no function is granted the preview actions: only the CLI calls them', () => {
    const granted = Object.values(functionActions).flat() as string[];

    expect(lifecyclePreviewActions.filter((action) => granted.includes(action))).toEqual([]);
  });

  test('starts the preview with the policy text as given, then reads its result in pages of 100', async () => {
    await previewer().preview(REPOSITORY, POLICY, { timeoutMs: 60_000 });

    expect(ecr.commandCalls(StartLifecyclePolicyPreviewCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, lifecyclePolicyText: POLICY },
    ]);
    expect(ecr.commandCalls(GetLifecyclePolicyPreviewCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, maxResults: 100 },
    ]);
  });

  test('a preview complete at the first look is returned without waiting, with its start time', async () => {
    const clock = fakeClock();

    const preview = await previewer(clock).preview(REPOSITORY, POLICY, { timeoutMs: 60_000 });

    expect(clock.slept).toEqual([]);
    expect(preview).toEqual({
      repositoryName: REPOSITORY,
      results: [],
      summary: { expiringImageTotalCount: 0 },
      startedAt: '2026-03-02T10:00:00.000Z',
      completedAt: '2026-03-02T10:00:00.000Z',
    });
  });

  test('maps each result: action in our words, rule priority, tags, push time and storage classes', async () => {
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(
      getLifecyclePolicyPreviewSample({
        previewResults: [
          {
            imageTags: ['v1'],
            imageDigest: DIGEST_A,
            imagePushedAt: '2023-09-04T05:35:37+00:00',
            action: { type: 'EXPIRE' },
            appliedRulePriority: 1,
            storageClass: 'STANDARD',
          },
          {
            imageDigest: DIGEST_B,
            imagePushedAt: 1565128275.0,
            action: { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' },
            appliedRulePriority: 2,
            storageClass: 'STANDARD',
          },
        ],
        summary: {
          expiringImageTotalCount: 1,
          transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 1 }],
        },
      }),
    );

    const preview = await previewer().preview(REPOSITORY, POLICY, { timeoutMs: 60_000 });

    expect(preview.results).toEqual([
      {
        imageDigest: DIGEST_A,
        imageTags: ['v1'],
        imagePushedAt: '2023-09-04T05:35:37.000Z',
        action: 'expire',
        rulePriority: 1,
        storageClass: 'STANDARD',
      },
      {
        imageDigest: DIGEST_B,
        imageTags: [],
        imagePushedAt: '2019-08-06T21:51:15.000Z',
        action: 'transition',
        rulePriority: 2,
        storageClass: 'STANDARD',
        targetStorageClass: 'ARCHIVE',
      },
    ]);
    expect(preview.summary).toEqual({
      expiringImageTotalCount: 1,
      transitioningImageTotalCounts: { ARCHIVE: 1 },
    });
  });

  test('a result without an action keeps a word that matches no decision of ours', async () => {
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(
      getLifecyclePolicyPreviewSample({
        previewResults: [{ imageDigest: DIGEST_A, appliedRulePriority: 1 }],
      }),
    );

    const preview = await previewer().preview(REPOSITORY, POLICY, { timeoutMs: 60_000 });

    expect(preview.results[0]!.action).toBe('none');
  });

  test('polls while IN_PROGRESS, backing off between polls, and reports progress', async () => {
    ecr
      .on(GetLifecyclePolicyPreviewCommand)
      .resolvesOnce(inProgress())
      .resolvesOnce(inProgress())
      .resolves(getLifecyclePolicyPreviewSample());
    const clock = fakeClock();
    const progress: LifecyclePreviewProgress[] = [];

    const preview = await previewer(clock).preview(REPOSITORY, POLICY, {
      timeoutMs: 60_000,
      onProgress: (p) => progress.push(p),
    });

    expect(clock.slept).toEqual([1_000, 2_000]);
    expect(progress.map((p) => [p.phase, p.elapsedMs])).toEqual([
      ['started', 0],
      ['in-progress', 0],
      ['in-progress', 1_000],
      ['complete', 3_000],
    ]);
    expect(preview.startedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(preview.completedAt).toBe('2026-03-02T10:00:03.000Z');
  });

  test('the wait between polls grows to ten seconds at most', async () => {
    const get = ecr.on(GetLifecyclePolicyPreviewCommand);
    for (let i = 0; i < 6; i++) get.resolvesOnce(inProgress());
    get.resolves(getLifecyclePolicyPreviewSample());
    const clock = fakeClock();

    await previewer(clock).preview(REPOSITORY, POLICY, { timeoutMs: 600_000 });

    expect(clock.slept).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  test('reads every page of a completed preview, following nextToken', async () => {
    const result = (digest: string) => ({ imageDigest: digest, action: { type: 'EXPIRE' as const } });
    ecr
      .on(GetLifecyclePolicyPreviewCommand, { nextToken: undefined })
      .resolves(getLifecyclePolicyPreviewSample({ previewResults: [result(DIGEST_A)], nextToken: 'page-2' }))
      .on(GetLifecyclePolicyPreviewCommand, { nextToken: 'page-2' })
      .resolves(getLifecyclePolicyPreviewSample({ previewResults: [result(DIGEST_B)] }));

    const preview = await previewer().preview(REPOSITORY, POLICY, { timeoutMs: 60_000 });

    expect(preview.results.map((r) => r.imageDigest)).toEqual([DIGEST_A, DIGEST_B]);
    expect(ecr.commandCalls(GetLifecyclePolicyPreviewCommand)[1]!.args[0].input).toEqual({
      repositoryName: REPOSITORY,
      maxResults: 100,
      nextToken: 'page-2',
    });
  });

  test('a preview still IN_PROGRESS at the deadline fails naming the repository and --timeout', async () => {
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(inProgress());
    const clock = fakeClock();

    const error = await previewer(clock)
      .preview(REPOSITORY, POLICY, { timeoutMs: 5_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecyclePreviewFailedError);
    expect((error as LifecyclePreviewFailedError).kind).toBe('upstream');
    expect((error as Error).message).toMatch(/project-a\/amazon-ecs-sample did not complete within 5 s/);
    expect((error as Error).message).toMatch(/--timeout/);
    expect(clock.slept).toEqual([1_000, 2_000, 2_000]);
  });

  test.each(['FAILED', 'EXPIRED'] as const)('a preview that ends %s gives no result', async (status) => {
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(getLifecyclePolicyPreviewSample({ status }));

    const error = await previewer()
      .preview(REPOSITORY, POLICY, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecyclePreviewFailedError);
    expect((error as Error).message).toBe(
      `ECR's lifecycle policy preview of repository ${REPOSITORY} ended ${status}`,
    );
  });

  test('a preview already running is waited for, then ours is started', async () => {
    ecr
      .on(StartLifecyclePolicyPreviewCommand)
      .rejectsOnce(
        new LifecyclePolicyPreviewInProgressException({
          message: 'The previous lifecycle policy preview request has not completed. Wait and try again.',
          $metadata: {},
        }),
      )
      .resolves(startLifecyclePolicyPreviewSample());
    ecr
      .on(GetLifecyclePolicyPreviewCommand)
      .resolvesOnce(inProgress())
      .resolves(getLifecyclePolicyPreviewSample());
    const clock = fakeClock();
    const progress: LifecyclePreviewProgress[] = [];

    const preview = await previewer(clock).preview(REPOSITORY, POLICY, {
      timeoutMs: 60_000,
      onProgress: (p) => progress.push(p),
    });

    expect(ecr.commandCalls(StartLifecyclePolicyPreviewCommand)).toHaveLength(2);
    expect(progress.map((p) => p.phase)).toEqual(['queued', 'queued', 'started', 'complete']);
    // Our simulation must evaluate when our preview started, not when we first asked.
    expect(preview.startedAt).toBe('2026-03-02T10:00:01.000Z');
  });

  test('a preview still running elsewhere at the deadline is reported as such', async () => {
    ecr.on(StartLifecyclePolicyPreviewCommand).rejects(
      new LifecyclePolicyPreviewInProgressException({
        message: 'The previous lifecycle policy preview request has not completed. Wait and try again.',
        $metadata: {},
      }),
    );
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(inProgress());

    const error = await previewer()
      .preview(REPOSITORY, POLICY, { timeoutMs: 3_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecyclePreviewFailedError);
    expect((error as Error).message).toMatch(
      /another lifecycle policy preview is still running on repository project-a\/amazon-ecs-sample after 3 s/,
    );
  });

  test('a repository that does not exist is a NotFoundError about a repository', async () => {
    ecr
      .on(StartLifecyclePolicyPreviewCommand)
      .rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));

    const error = await previewer()
      .preview(REPOSITORY, POLICY, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).resource).toBe('repository');
  });

  test('a policy ECR refuses is a failed preview that keeps what ECR said as the reason', async () => {
    ecr
      .on(StartLifecyclePolicyPreviewCommand)
      .rejects(
        new InvalidParameterException({ message: 'Invalid parameter at LifecyclePolicyText', $metadata: {} }),
      );

    const error = await previewer()
      .preview(REPOSITORY, POLICY, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecyclePreviewFailedError);
    expect((error as LifecyclePreviewFailedError).reason).toBe(
      'StartLifecyclePolicyPreview: InvalidParameterException: Invalid parameter at LifecyclePolicyText',
    );
  });

  test("a result of another policy (someone else's preview) is refused", async () => {
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves(
      getLifecyclePolicyPreviewSample({
        lifecyclePolicyText: POLICY.replace('"countNumber": 14', '"countNumber": 30'),
      }),
    );

    const error = await previewer()
      .preview(REPOSITORY, POLICY, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecyclePreviewFailedError);
    expect((error as Error).message).toMatch(/not of the policy sent/);
  });

  test('the same policy returned in another layout is accepted as ours', async () => {
    const compact = getLifecyclePolicySample().lifecyclePolicyText!;

    const preview = await previewer().preview(REPOSITORY, compact, { timeoutMs: 60_000 });

    expect(compact).not.toBe(POLICY);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 0 });
  });
});

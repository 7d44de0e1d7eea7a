/**
 * The comparison use case on the sandbox's registry with a stand-in for ECR's preview: which policy is sent,
 * the instant our simulator evaluates at, and the sandbox's own previewer, which refuses (ECR's preview is live
 * only).
 */
import { InvalidInputError } from '../../lib/errors';
import type { LifecyclePreviewer } from '../../lib/ports';
import type { EcrLifecyclePreview, EcrPreviewResult } from '../../lib/policy/lifecycle/compare';
import { parseLifecyclePolicy } from '../../lib/policy/lifecycle/grammar';
import type { ImageDetail } from '../../lib/policy/model';
import { SandboxAccount } from '../../lib/sandbox/account';
import { compareWithEcrPreview, NoLifecyclePolicyError } from '../../lib/usecases/lifecycle';
import { goodLifecyclePolicy } from '../fixtures/builders';
import { repository, world } from '../contract/world';

/** Untagged images expire 7 days after push. */
const POLICY_7_DAYS = goodLifecyclePolicy(7);
const STARTED = '2020-01-10T12:00:00.000Z';
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** Untagged, pushed 5 days before ECR's preview starts (years before the real clock). */
const FIVE_DAYS_OLD: ImageDetail = {
  imageDigest: DIGEST,
  imageTags: [],
  imagePushedAt: '2020-01-05T12:00:00.000Z',
};

/** ECR's preview as a stand-in: records the policy text it was sent, answers with `results`. */
function stubPreviewer(results: EcrPreviewResult[] = []) {
  const sent: string[] = [];
  const previewer: LifecyclePreviewer = {
    preview: async (repositoryName, text): Promise<EcrLifecyclePreview> => {
      sent.push(text);
      return { repositoryName, results, summary: {}, startedAt: STARTED, completedAt: STARTED };
    },
  };
  return { previewer, sent };
}

function registryWith(overrides: Parameters<typeof repository>[1]) {
  return new SandboxAccount(world({ repositories: [repository('web/frontend', overrides)] })).registry;
}

describe('compareWithEcrPreview', () => {
  test("evaluates our simulation at the instant ECR's preview started, not at the real clock", async () => {
    const { previewer } = stubPreviewer();
    const registry = registryWith({ lifecyclePolicyText: POLICY_7_DAYS, images: [FIVE_DAYS_OLD] });

    const comparison = await compareWithEcrPreview(
      { registry, lifecyclePreviewer: previewer },
      'web/frontend',
      { timeoutMs: 60_000 },
    );

    expect(comparison.evaluatedAt).toBe(STARTED);
    expect(comparison.equal).toBe(true);
    expect(comparison.summary.keptByBoth).toBe(1);
  });

  test("sends ECR the repository's current policy text when none is given", async () => {
    const { previewer, sent } = stubPreviewer();
    const registry = registryWith({ lifecyclePolicyText: POLICY_7_DAYS, images: [] });

    await compareWithEcrPreview({ registry, lifecyclePreviewer: previewer }, 'web/frontend', {
      timeoutMs: 60_000,
    });

    expect(sent).toEqual([POLICY_7_DAYS]);
  });

  test('sends ECR the given policy text, and simulates that policy', async () => {
    const text = goodLifecyclePolicy(3);
    const parsed = parseLifecyclePolicy(text);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const { previewer, sent } = stubPreviewer();
    const registry = registryWith({ lifecyclePolicyText: POLICY_7_DAYS, images: [FIVE_DAYS_OLD] });

    const comparison = await compareWithEcrPreview(
      { registry, lifecyclePreviewer: previewer },
      'web/frontend',
      { policy: { text, policy: parsed.policy }, timeoutMs: 60_000 },
    );

    expect(sent).toEqual([text]);
    expect(comparison.images.map((row) => [row.ours.action, row.aws.action])).toEqual([['expire', 'keep']]);
    expect(comparison.equal).toBe(false);
  });

  test('a repository without a lifecycle policy, and none given, is refused before ECR is asked', async () => {
    const { previewer, sent } = stubPreviewer();
    const registry = registryWith({ lifecyclePolicyText: undefined, images: [FIVE_DAYS_OLD] });

    const error = await compareWithEcrPreview({ registry, lifecyclePreviewer: previewer }, 'web/frontend', {
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NoLifecyclePolicyError);
    expect((error as NoLifecyclePolicyError).kind).toBe('invalid-input');
    expect(sent).toEqual([]);
  });

  test("a repository's current policy that is not valid grammar is bad input naming the repository", async () => {
    const { previewer } = stubPreviewer();
    const registry = registryWith({ lifecyclePolicyText: '{"rules":[]}', images: [] });

    const error = await compareWithEcrPreview({ registry, lifecyclePreviewer: previewer }, 'web/frontend', {
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/the lifecycle policy of repository web\/frontend/);
  });

  test("the sandbox's previewer refuses as bad input: the sandbox has no AWS preview", async () => {
    const sandbox = new SandboxAccount(world({ repositories: [repository('web/frontend')] }));

    const previewer: LifecyclePreviewer = sandbox.ports().lifecyclePreviewer;

    const error = await previewer
      .preview('web/frontend', POLICY_7_DAYS, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);

    expect((error as InvalidInputError).kind).toBe('invalid-input');
    expect((error as Error).message).toMatch(/live account only/);
  });
});

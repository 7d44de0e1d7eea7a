/** Our simulation against ECR's preview, joined by digest: every kind of difference, the counts, timing notes. */
import type { ImageDetail } from '../../../../lib/policy/model';
import { validateLifecyclePolicy, type LifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import {
  compareLifecyclePreviews,
  describeDecision,
  type EcrLifecyclePreview,
  type EcrPreviewResult,
} from '../../../../lib/policy/lifecycle/compare';
import { simulateLifecyclePolicy } from '../../../../lib/policy/lifecycle/simulate';
import { awsSample } from '../../../fixtures/load';

const STARTED = '2026-03-02T10:00:00.000Z';
const COMPLETED = '2026-03-02T10:00:20.000Z';
const DAY_MS = 86_400_000;
const at = (ms: number) => new Date(Date.parse(STARTED) + ms).toISOString();
const daysBefore = (days: number) => at(-days * DAY_MS);

/** The AWS CLI's put-lifecycle-policy example: expire untagged images 14 days after push. */
const UNTAGGED_14_DAYS = validated(
  awsSample('ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json'),
);

function validated(value: unknown): LifecyclePolicy {
  const result = validateLifecyclePolicy(value);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.policy;
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const image = (c: string, pushed: string, tags: string[] = []): ImageDetail => ({
  imageDigest: digest(c),
  imageTags: tags,
  imagePushedAt: pushed,
});

/** OLD: untagged, 30 days old (expired by rule 1); NEW: untagged, 2 days; REL: tagged, 100 days (kept). */
const OLD = image('a', daysBefore(30));
const NEW = image('b', daysBefore(2));
const REL = image('c', daysBefore(100), ['v1']);
const IMAGES = [OLD, NEW, REL];

const expire = (i: ImageDetail, rulePriority = 1): EcrPreviewResult => ({
  imageDigest: i.imageDigest,
  imageTags: i.imageTags ?? [],
  action: 'expire',
  rulePriority,
});

function ecr(results: EcrPreviewResult[], summary: EcrLifecyclePreview['summary'] = {}): EcrLifecyclePreview {
  return { repositoryName: 'web/frontend', results, summary, startedAt: STARTED, completedAt: COMPLETED };
}

function compare(aws: EcrLifecyclePreview, images = IMAGES, policy = UNTAGGED_14_DAYS) {
  const ours = simulateLifecyclePolicy(policy, images, new Date(aws.startedAt));
  return compareLifecyclePreviews({ policy, images, ours, aws });
}

describe('compareLifecyclePreviews', () => {
  test('the same decisions on every image are equal; rows list only the images acted on', () => {
    const comparison = compare(ecr([expire(OLD)], { expiringImageTotalCount: 1 }));

    expect(comparison.equal).toBe(true);
    expect(comparison.images).toEqual([
      {
        imageDigest: OLD.imageDigest,
        imageTags: [],
        ours: { action: 'expire', rulePriority: 1 },
        aws: { action: 'expire', rulePriority: 1 },
        different: false,
        notes: [],
      },
    ]);
    expect(comparison.summary).toMatchObject({
      imagesRead: 3,
      compared: 1,
      same: 1,
      different: 0,
      keptByBoth: 2,
    });
  });

  test('an image we expire and ECR keeps is a difference', () => {
    const comparison = compare(ecr([]));

    expect(comparison.equal).toBe(false);
    expect(comparison.images).toMatchObject([
      { imageDigest: OLD.imageDigest, ours: { action: 'expire' }, aws: { action: 'keep' }, different: true },
    ]);
  });

  test('an image ECR expires and we keep is a difference', () => {
    const comparison = compare(ecr([expire(OLD), expire(NEW)]));

    expect(comparison.summary.different).toBe(1);
    expect(comparison.images.find((row) => row.different)).toMatchObject({
      imageDigest: NEW.imageDigest,
      ours: { action: 'keep', rulePriority: null },
      aws: { action: 'expire', rulePriority: 1 },
    });
  });

  test('the same action by another rule priority is a difference', () => {
    const comparison = compare(ecr([expire(OLD, 2)]));

    expect(comparison.equal).toBe(false);
    expect(comparison.images[0]).toMatchObject({ ours: { rulePriority: 1 }, aws: { rulePriority: 2 } });
  });

  test('transition where we expire is a difference', () => {
    const comparison = compare(
      ecr([{ ...expire(OLD), action: 'transition', targetStorageClass: 'ARCHIVE' }]),
    );

    expect(comparison.images[0]!.different).toBe(true);
    expect(comparison.summary.aws).toMatchObject({ expire: 0, transition: 1 });
  });

  test('an image ECR acts on that we did not read is a difference, with a note', () => {
    const pushedMeanwhile = image('d', at(5_000));

    const comparison = compare(ecr([expire(OLD), expire(pushedMeanwhile)]));

    expect(comparison.equal).toBe(false);
    expect(comparison.images[1]).toMatchObject({
      imageDigest: pushedMeanwhile.imageDigest,
      ours: { action: 'not-read', rulePriority: null },
      aws: { action: 'expire', rulePriority: 1 },
      different: true,
    });
    expect(comparison.images[1]!.notes[0]).toMatch(/not among the images read/);
    expect(comparison.summary.aws.notRead).toBe(1);
  });

  test('an action word we do not know never agrees with ours', () => {
    const comparison = compare(ecr([{ ...expire(OLD), action: 'none' }]));

    expect(comparison.images[0]).toMatchObject({ aws: { action: 'none' }, different: true });
    expect(comparison.summary.aws.other).toBe(1);
  });

  test('an image ECR lists twice with different decisions counts as neither', () => {
    const comparison = compare(ecr([expire(OLD, 1), expire(OLD, 2)]));

    expect(comparison.images[0]).toMatchObject({ aws: { action: 'listed-twice' }, different: true });
    expect(comparison.images[0]!.notes[0]).toMatch(
      /listed this image twice: expire \(rule 1\) and expire \(rule 2\)/,
    );
  });

  test('an image ECR lists twice with the same decision is one agreeing row', () => {
    const comparison = compare(ecr([expire(OLD), expire(OLD)]));

    expect(comparison.equal).toBe(true);
    expect(comparison.images).toHaveLength(1);
  });

  test("the counts give each side's decisions and ECR's own summary as sent", () => {
    const summary = { expiringImageTotalCount: 1, transitioningImageTotalCounts: { ARCHIVE: 0 } };

    const comparison = compare(ecr([expire(OLD)], summary));

    expect(comparison.summary.ours).toEqual({ expire: 1, transition: 0, keep: 2 });
    expect(comparison.summary.aws).toEqual({ expire: 1, transition: 0, keep: 2, other: 0, notRead: 0 });
    expect(comparison.summary.awsReported).toEqual(summary);
    expect(comparison.evaluatedAt).toBe(STARTED);
    expect(comparison.previewCompletedAt).toBe(COMPLETED);
  });

  test('an image that reaches a threshold within a minute of the evaluation says the difference may be timing', () => {
    // 14 days old 30 s after our evaluation: we keep it, ECR (evaluating later) may expire it.
    const edge = image('e', at(-14 * DAY_MS + 30_000));

    const comparison = compare(ecr([expire(edge)]), [edge]);

    expect(comparison.images[0]!.different).toBe(true);
    expect(comparison.images[0]!.notes).toEqual([
      `within a minute of rule 1's threshold (sinceImagePushed > 14 days, crossed at ${at(30_000)}): a difference may be timing`,
    ]);
  });

  test('an image far from every threshold has no timing note', () => {
    const comparison = compare(ecr([]));

    expect(comparison.images[0]!.notes).toEqual([]);
  });
});

describe('describeDecision', () => {
  test('names the rule of an action, and the action alone otherwise', () => {
    expect(describeDecision({ action: 'expire', rulePriority: 3 })).toBe('expire (rule 3)');
    expect(describeDecision({ action: 'keep', rulePriority: null })).toBe('keep');
  });
});

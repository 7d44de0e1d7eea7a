/** The side-by-side table of `lifecycle preview --compare-aws`: rows, the difference mark, notes and counts. */
import { comparisonTable } from '../../../lib/cli/commands/lifecycle';
import { compareLifecyclePreviews, type EcrPreviewResult } from '../../../lib/policy/lifecycle/compare';
import { parseLifecyclePolicy } from '../../../lib/policy/lifecycle/grammar';
import { simulateLifecyclePolicy } from '../../../lib/policy/lifecycle/simulate';
import type { ImageDetail } from '../../../lib/policy/model';
import { goodLifecyclePolicy } from '../../fixtures/builders';

const STARTED = '2026-03-02T10:00:00.000Z';
const COMPLETED = '2026-03-02T10:00:20.000Z';
const DAY_MS = 86_400_000;
const before = (ms: number) => new Date(Date.parse(STARTED) - ms).toISOString();
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** Untagged images expire 14 days after push. */
function policy14Days() {
  const parsed = parseLifecyclePolicy(goodLifecyclePolicy(14));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

/** OLD: 30 days, expired by both; EDGE: 14 days old 30 s after the start, expired by ECR only; REL: tagged, kept. */
const OLD: ImageDetail = { imageDigest: digest('a'), imageTags: [], imagePushedAt: before(30 * DAY_MS) };
const EDGE: ImageDetail = {
  imageDigest: digest('e'),
  imageTags: [],
  imagePushedAt: before(14 * DAY_MS - 30_000),
};
const REL: ImageDetail = { imageDigest: digest('c'), imageTags: ['v1'], imagePushedAt: before(100 * DAY_MS) };

const expiredByRule1 = (image: ImageDetail): EcrPreviewResult => ({
  imageDigest: image.imageDigest,
  imageTags: image.imageTags ?? [],
  action: 'expire',
  rulePriority: 1,
});

function table(results: EcrPreviewResult[]): string {
  const policy = policy14Days();
  const images = [OLD, EDGE, REL];
  const ours = simulateLifecyclePolicy(policy, images, new Date(STARTED));
  const aws = {
    repositoryName: 'web/frontend',
    results,
    summary: { expiringImageTotalCount: results.length },
    startedAt: STARTED,
    completedAt: COMPLETED,
  };
  return comparisonTable(compareLifecyclePreviews({ policy, images, ours, aws }));
}

describe('comparisonTable', () => {
  test('lists the images either side acts on, marking only the one that differs, with its timing note', () => {
    const lines = table([expiredByRule1(OLD), expiredByRule1(EDGE)]).split('\n');

    expect(lines.slice(0, 4)).toEqual([
      '   DIGEST                TAGS        OURS             ECR',
      '   sha256:aaaaaaaaaaaa…  <untagged>  expire (rule 1)  expire (rule 1)',
      '*  sha256:eeeeeeeeeeee…  <untagged>  keep             expire (rule 1)',
      `   note: within a minute of rule 1's threshold (sinceImagePushed > 14 days, crossed at 2026-03-02T10:00:30.000Z): a difference may be timing`,
    ]);
  });

  test('ends with the counts of both sides and the verdict', () => {
    const text = table([expiredByRule1(OLD), expiredByRule1(EDGE)]);

    expect(text).toMatch(
      /^2 images acted on by either side: 1 same, 1 different; 1 kept by both \(3 images read\)$/m,
    );
    expect(text).toMatch(/^ours: 1 expire, 0 transition, 2 keep$/m);
    expect(text).toMatch(/^ECR: {2}2 expire, 0 transition, 1 keep \(ECR's summary: 2 expiring\)$/m);
    expect(text.endsWith('different: 1 image (marked *)\n')).toBe(true);
  });

  test('says the two agree when no image differs', () => {
    const text = table([expiredByRule1(OLD)]);

    expect(text).not.toMatch(/^\*/m);
    expect(text.endsWith('same: our simulator and ECR agree on every image\n')).toBe(true);
  });
});

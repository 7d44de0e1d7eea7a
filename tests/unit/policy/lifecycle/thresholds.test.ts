/** thresholdCrossings: when an image's age crosses a time-based rule's threshold, for the images that rule selects. */
import type { ImageDetail } from '../../../../lib/policy/model';
import { validateLifecyclePolicy, type LifecycleRule } from '../../../../lib/policy/lifecycle/grammar';
import { thresholdCrossings } from '../../../../lib/policy/lifecycle/simulate';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function policy(...rules: LifecycleRule[]) {
  const result = validateLifecyclePolicy({ rules });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.policy;
}

const untaggedPushed14: LifecycleRule = {
  rulePriority: 1,
  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
  action: { type: 'expire' },
};
const keepTen: LifecycleRule = {
  rulePriority: 2,
  selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
  action: { type: 'expire' },
};

const crossings = (images: ImageDetail[], rules = [untaggedPushed14]) =>
  thresholdCrossings(policy(...rules), images, NOW - MINUTE, NOW + MINUTE);

describe('thresholdCrossings', () => {
  test('an image turning 14 days old inside the window crosses the 14-day rule then', () => {
    const image = { imageDigest: 'sha256:a', imagePushedAt: ago(14 * DAY_MS - 20_000) };

    expect(crossings([image])).toEqual([
      {
        image: 0,
        rulePriority: 1,
        countType: 'sinceImagePushed',
        countNumber: 14,
        crossesAtMs: NOW + 20_000,
      },
    ]);
  });

  test('an image that crossed more than a minute before the window does not', () => {
    expect(crossings([{ imageDigest: 'sha256:a', imagePushedAt: ago(14 * DAY_MS + 2 * MINUTE) }])).toEqual(
      [],
    );
  });

  test("an image the rule's tag selection does not take does not", () => {
    const tagged = { imageDigest: 'sha256:a', imageTags: ['v1'], imagePushedAt: ago(14 * DAY_MS) };

    expect(crossings([tagged])).toEqual([]);
  });

  test('count rules have no age threshold', () => {
    expect(crossings([{ imageDigest: 'sha256:a', imagePushedAt: ago(14 * DAY_MS) }], [keepTen])).toEqual([]);
  });

  test('an image without a push time never crosses', () => {
    expect(crossings([{ imageDigest: 'sha256:a' }])).toEqual([]);
  });
});

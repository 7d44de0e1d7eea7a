import fc from 'fast-check';
import type { ImageDetail } from '../../../../lib/policy/model';
import type { LifecyclePolicy, LifecycleRule } from '../../../../lib/policy/lifecycle/grammar';
import { validateLifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import { simulateLifecyclePolicy } from '../../../../lib/policy/lifecycle/simulate';

const NOW = new Date('2025-06-01T12:00:00Z');
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS).toISOString();

// ---- arbitraries --------------------------------------------------------------------------------------------

const TAGS = ['prod-1', 'prod-2', 'dev', 'beta-1', 'v1', 'v2', 'release-7'];

/** Small integer day offsets make equal push times (ties) common. */
const imagesArb: fc.Arbitrary<ImageDetail[]> = fc
  .array(
    fc.record({
      tags: fc.subarray(TAGS, { maxLength: 3 }),
      pushed: fc.integer({ min: 0, max: 40 }),
      pulled: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      archived: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined, freq: 4 }),
    }),
    { maxLength: 40, size: 'max' },
  )
  .map((specs) =>
    specs.map((s, i) => ({
      imageDigest: `sha256:${String(i).padStart(4, '0')}`,
      imageTags: s.tags,
      imagePushedAt: daysAgo(s.pushed),
      ...(s.pulled !== undefined ? { lastRecordedPullTime: daysAgo(Math.min(s.pulled, s.pushed)) } : {}),
      ...(s.archived !== undefined ? { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(s.archived) } : {}),
    })),
  );

type Selection = LifecycleRule['selection'];
const tagListArb: fc.Arbitrary<Partial<Selection>> = fc.oneof(
  fc.record({
    tagPatternList: fc.subarray(['prod*', '*-1', 'v*', 'dev', '*'], { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ tagPrefixList: fc.subarray(['prod', 'v', 'beta', 'release'], { minLength: 1, maxLength: 2 }) }),
);
const measureArb = fc.oneof(
  fc.record({
    countType: fc.constant('imageCountMoreThan' as const),
    countNumber: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    countType: fc.constantFrom('sinceImagePushed' as const, 'sinceImagePulled' as const),
    countUnit: fc.constant('days' as const),
    countNumber: fc.integer({ min: 1, max: 40 }),
  }),
);
const ruleBodyArb = (tagPart: fc.Arbitrary<Partial<Selection>>) =>
  fc.tuple(tagPart, measureArb, fc.boolean()).map(([tags, measure, transition]) => ({
    selection: { ...tags, ...measure } as Selection,
    action:
      measure.countType === 'sinceImagePulled' || transition
        ? { type: 'transition' as const, targetStorageClass: 'archive' as const }
        : { type: 'expire' as const },
  }));

/** Valid policies: some tagged rules, optionally one untagged rule, optionally a last any rule, optionally an archive rule. */
const policyArb: fc.Arbitrary<LifecyclePolicy> = fc
  .record({
    tagged: fc.array(ruleBodyArb(tagListArb.map((t) => ({ tagStatus: 'tagged' as const, ...t }))), {
      maxLength: 3,
    }),
    untagged: fc.option(ruleBodyArb(fc.constant({ tagStatus: 'untagged' as const })), { nil: undefined }),
    any: fc.option(ruleBodyArb(fc.constant({ tagStatus: 'any' as const })), { nil: undefined }),
    archiveDays: fc.option(fc.integer({ min: 90, max: 400 }), { nil: undefined }),
    gaps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 6, maxLength: 6 }),
    untaggedFirst: fc.boolean(),
  })
  .map(({ tagged, untagged, any, archiveDays, gaps, untaggedFirst }) => {
    const standard = [...(untagged && untaggedFirst ? [untagged] : []), ...tagged];
    if (untagged && !untaggedFirst) standard.push(untagged);
    if (any) standard.push(any);
    let priority = 0;
    const rules: LifecycleRule[] = standard.map((body, i) => ({
      rulePriority: (priority += gaps[i]!),
      ...body,
    }));
    if (archiveDays !== undefined) {
      rules.push({
        rulePriority: priority + 1,
        selection: {
          tagStatus: 'any',
          storageClass: 'archive',
          countType: 'sinceImageTransitioned',
          countUnit: 'days',
          countNumber: archiveDays,
        },
        action: { type: 'expire' },
      });
    }
    return { rules };
  })
  .filter((policy) => policy.rules.length > 0 && validateLifecyclePolicy(policy).ok);

// ---- an independent reading of rule selection, for the oracles --------------------------------------------

function selects(rule: LifecycleRule, image: ImageDetail): boolean {
  const archived = image.imageStatus === 'ARCHIVED';
  if ((rule.selection.storageClass === 'archive') !== archived) return false;
  const tags = image.imageTags ?? [];
  switch (rule.selection.tagStatus) {
    case 'any':
      return true;
    case 'untagged':
      return tags.length === 0;
    case 'tagged': {
      const prefixes = rule.selection.tagPrefixList;
      if (prefixes) return prefixes.every((p) => tags.some((t) => t.startsWith(p)));
      return (rule.selection.tagPatternList ?? []).every((pattern) => {
        const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
        return tags.some((t) => re.test(t));
      });
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

const byPriority = (policy: LifecyclePolicy) =>
  [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);

/** Newest first by push time, ties: larger digest counts as newer. */
const newestFirst = (a: ImageDetail, b: ImageDetail) =>
  Date.parse(b.imagePushedAt!) - Date.parse(a.imagePushedAt!) || (a.imageDigest < b.imageDigest ? 1 : -1);

// ---- properties ---------------------------------------------------------------------------------------------

describe('simulateLifecyclePolicy — properties', () => {
  test('an image is decided by at most one rule: the first rule, in priority order, whose selection it meets', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Act
        const { results } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        results.forEach((result, i) => {
          if (result.action === 'keep') return;
          const first = byPriority(policy).find((rule) => selects(rule, images[i]!));
          expect(result.rulePriority).toBe(first?.rulePriority);
          expect(result.action).toBe(first?.action.type);
        });
      }),
    );
  });

  test('a count rule never acts on any of the countNumber most recently pushed images it matches', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Act
        const { results } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        for (const rule of policy.rules.filter((r) => r.selection.countType === 'imageCountMoreThan')) {
          const newest = images.filter((image) => selects(rule, image)).sort(newestFirst);
          const protectedDigests = new Set(
            newest.slice(0, rule.selection.countNumber).map((i) => i.imageDigest),
          );
          const actedOn = results
            .filter((r) => r.rulePriority === rule.rulePriority)
            .map((r) => r.imageDigest);
          expect(actedOn.filter((d) => protectedDigests.has(d))).toEqual([]);
        }
      }),
    );
  });

  test('a count rule never leaves fewer than countNumber of its matched images among those available to it, when all are available to it (it is the first rule of its storage class)', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Prepare
        const first = byPriority(policy).find((r) => (r.selection.storageClass ?? 'standard') === 'standard');
        fc.pre(first?.selection.countType === 'imageCountMoreThan');
        const rule = first!;

        // Act
        const { results } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        const matched = images.filter((image) => selects(rule, image)).map((i) => i.imageDigest);
        const left = results.filter((r) => matched.includes(r.imageDigest) && r.action === 'keep').length;
        expect(left).toBe(Math.min(rule.selection.countNumber, matched.length));
      }),
    );
  });

  test('a count rule acts on no more images than it matches beyond its countNumber', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Act
        const { results } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        for (const rule of policy.rules.filter((r) => r.selection.countType === 'imageCountMoreThan')) {
          const matched = images.filter((image) => selects(rule, image)).length;
          const actedOn = results.filter((r) => r.rulePriority === rule.rulePriority).length;
          expect(actedOn).toBeLessThanOrEqual(Math.max(0, matched - rule.selection.countNumber));
        }
      }),
    );
  });

  test('evaluation is independent of input order', () => {
    fc.assert(
      fc.property(
        policyArb,
        imagesArb.chain((images) =>
          fc.tuple(
            fc.constant(images),
            fc.array(fc.double({ noNaN: true }), { minLength: images.length, maxLength: images.length }),
          ),
        ),
        (policy, [images, keys]) => {
          // Prepare
          const shuffled = images
            .map((image, i) => ({ image, key: keys[i]! }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.image);

          // Act
          const original = simulateLifecyclePolicy(policy, images, NOW);
          const reordered = simulateLifecyclePolicy(policy, shuffled, NOW);

          // Assess
          const byDigest = (s: typeof original) =>
            Object.fromEntries(s.results.map((r) => [r.imageDigest, r]));
          expect(byDigest(reordered)).toEqual(byDigest(original));
          expect(reordered.summary).toEqual(original.summary);
        },
      ),
    );
  });

  test('results have one entry per input image, in input order, and the summary adds up', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Act
        const { results, summary } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        expect(results.map((r) => r.imageDigest)).toEqual(images.map((i) => i.imageDigest));
        expect(summary.expire + summary.transition + summary.keep).toBe(images.length);
      }),
    );
  });

  test('archived images are only ever expired, and only by archive-class rules', () => {
    fc.assert(
      fc.property(policyArb, imagesArb, (policy, images) => {
        // Act
        const { results } = simulateLifecyclePolicy(policy, images, NOW);

        // Assess
        const archiveRules = new Set(
          policy.rules.filter((r) => r.selection.storageClass === 'archive').map((r) => r.rulePriority),
        );
        results.forEach((result, i) => {
          if (images[i]!.imageStatus !== 'ARCHIVED' || result.action === 'keep') return;
          expect(result.action).toBe('expire');
          expect(archiveRules.has(result.rulePriority!)).toBe(true);
        });
      }),
    );
  });
});

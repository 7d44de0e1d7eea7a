import { awsSample } from '../../../fixtures/load';
import type { LifecyclePolicy, LifecycleRule } from '../../../../lib/policy/lifecycle/grammar';
import { parseLifecyclePolicy, validateLifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import {
  mergeRule,
  taggedCap,
  untaggedExpiryDays,
  untaggedMaxCount,
} from '../../../../lib/policy/lifecycle/analysis';
import { simulateLifecyclePolicy } from '../../../../lib/policy/lifecycle/simulate';

type Selection = LifecycleRule['selection'];
type Body = Omit<LifecycleRule, 'rulePriority'>;

const expire = { type: 'expire' } as const;
const transition = { type: 'transition', targetStorageClass: 'archive' } as const;

const byAge = (
  days: number,
  selection: Partial<Selection>,
  action: LifecycleRule['action'] = expire,
): Body => ({
  selection: {
    tagStatus: 'any',
    ...selection,
    countType: 'sinceImagePushed',
    countUnit: 'days',
    countNumber: days,
  },
  action,
});
const byCount = (
  count: number,
  selection: Partial<Selection>,
  action: LifecycleRule['action'] = expire,
): Body => ({
  selection: { tagStatus: 'any', ...selection, countType: 'imageCountMoreThan', countNumber: count },
  action,
});
const archivedFor = (days: number, selection: Partial<Selection> = {}): Body => ({
  selection: {
    tagStatus: 'any',
    ...selection,
    storageClass: 'archive',
    countType: 'sinceImageTransitioned',
    countUnit: 'days',
    countNumber: days,
  },
  action: expire,
});

/** A valid policy from rule bodies, prioritised 1, 2, 3 … in the order given. */
function policy(...bodies: Body[]): LifecyclePolicy {
  const result = validateLifecyclePolicy({ rules: bodies.map((b, i) => ({ rulePriority: i + 1, ...b })) });
  if (!result.ok) throw new Error(`test policy is invalid: ${result.errors.join('; ')}`);
  return result.policy;
}

function policyWithPriorities(...rules: Array<[number, Body]>): LifecyclePolicy {
  const result = validateLifecyclePolicy({
    rules: rules.map(([rulePriority, b]) => ({ rulePriority, ...b })),
  });
  if (!result.ok) throw new Error(`test policy is invalid: ${result.errors.join('; ')}`);
  return result.policy;
}

describe('untaggedExpiryDays', () => {
  test('the AWS CLI sample policy expires untagged images after 14 days', () => {
    // Prepare
    const parsed = parseLifecyclePolicy(
      JSON.stringify(awsSample('ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json')),
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));

    // Act
    const days = untaggedExpiryDays(parsed.policy);

    // Assess
    expect(days).toBe(14);
  });

  test('an any rule expiring by age covers untagged images when no untagged rule exists', () => {
    // Prepare
    const p = policy(
      byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] }),
      byAge(30, { tagStatus: 'any' }),
    );

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBe(30);
  });

  test("an any rule's age does not apply to untagged images when an untagged rule identifies them first", () => {
    // Prepare
    const p = policy(byCount(1000, { tagStatus: 'untagged' }), byAge(14, { tagStatus: 'any' }));

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBeUndefined();
  });

  test("the simulation agrees: an untagged count rule shields old untagged images from the any rule's age", () => {
    // Prepare
    const p = policy(byCount(1000, { tagStatus: 'untagged' }), byAge(14, { tagStatus: 'any' }));
    const now = new Date('2025-06-01T00:00:00Z');
    const old = { imageDigest: 'sha256:a', imageTags: [], imagePushedAt: '2024-01-01T00:00:00Z' };

    // Act
    const { results } = simulateLifecyclePolicy(p, [old], now);

    // Assess
    expect(results[0]!.action).toBe('keep');
  });

  test('a transition to archive followed by an archive-class expiry adds both ages', () => {
    // Prepare
    const p = policy(byAge(14, { tagStatus: 'untagged' }, transition), archivedFor(90));

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBe(104);
  });

  test('a transition to archive with nothing expiring archived images never expires them', () => {
    // Prepare
    const p = policy(byAge(14, { tagStatus: 'untagged' }, transition));

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBeUndefined();
  });

  test('a policy of tagged rules only never expires untagged images', () => {
    // Prepare
    const p = policy(byAge(7, { tagStatus: 'tagged', tagPatternList: ['*'] }));

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBeUndefined();
  });

  test('an untagged count rule gives no age', () => {
    // Prepare
    const p = policy(byCount(5, { tagStatus: 'untagged' }));

    // Act
    const days = untaggedExpiryDays(p);

    // Assess
    expect(days).toBeUndefined();
  });
});

describe('untaggedMaxCount', () => {
  test('an untagged imageCountMoreThan expire rule caps untagged images at its count', () => {
    // Prepare
    const p = policy(byCount(5, { tagStatus: 'untagged' }));

    // Act
    const count = untaggedMaxCount(p);

    // Assess
    expect(count).toBe(5);
  });

  test('an any count rule caps untagged images when no untagged rule exists', () => {
    // Prepare
    const p = policy(
      byAge(30, { tagStatus: 'tagged', tagPrefixList: ['v'] }),
      byCount(50, { tagStatus: 'any' }),
    );

    // Act
    const count = untaggedMaxCount(p);

    // Assess
    expect(count).toBe(50);
  });

  test('an any count rule does not cap untagged images an untagged age rule identifies first', () => {
    // Prepare
    const p = policy(byAge(14, { tagStatus: 'untagged' }), byCount(50, { tagStatus: 'any' }));

    // Act
    const count = untaggedMaxCount(p);

    // Assess
    expect(count).toBeUndefined();
  });

  test('a count rule that transitions instead of expiring caps nothing', () => {
    // Prepare
    const p = policy(byCount(5, { tagStatus: 'untagged' }, transition));

    // Act
    const count = untaggedMaxCount(p);

    // Assess
    expect(count).toBeUndefined();
  });
});

describe('taggedCap', () => {
  test('an any count rule caps tagged images by count', () => {
    // Prepare
    const p = policy(byAge(14, { tagStatus: 'untagged' }), byCount(100, { tagStatus: 'any' }));

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxCount: 100 });
  });

  test('a tagged rule whose only pattern is * caps every tagged image', () => {
    // Prepare
    const p = policy(byAge(30, { tagStatus: 'tagged', tagPatternList: ['*'] }));

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxAgeDays: 30 });
  });

  test('a rule for some tags only leaves the other tagged images uncapped', () => {
    // Prepare
    const p = policy(byCount(10, { tagStatus: 'tagged', tagPatternList: ['prod*'] }));

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({});
  });

  test('count rules for some tags plus an any count rule cap tagged images at the sum of their counts', () => {
    // Prepare
    const p = policy(
      byCount(10, { tagStatus: 'tagged', tagPatternList: ['prod*'] }),
      byCount(100, { tagStatus: 'any' }),
    );

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxCount: 110 });
  });

  test('age rules for some tags plus an any age rule cap tagged images at the longest age', () => {
    // Prepare
    const p = policy(
      byAge(60, { tagStatus: 'tagged', tagPrefixList: ['prod'] }),
      byAge(30, { tagStatus: 'any' }),
    );

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxAgeDays: 60 });
  });

  test('a count for some tags and an age for the rest caps neither count nor age for all tagged images', () => {
    // Prepare
    const p = policy(
      byCount(10, { tagStatus: 'tagged', tagPrefixList: ['prod'] }),
      byAge(30, { tagStatus: 'any' }),
    );

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({});
  });

  test('rules after a rule matching every tag never govern tagged images', () => {
    // Prepare
    const p = policy(
      byCount(5, { tagStatus: 'tagged', tagPatternList: ['*'] }),
      byAge(30, { tagStatus: 'tagged', tagPrefixList: ['prod'] }),
      byAge(30, { tagStatus: 'any' }),
    );

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxCount: 5 });
  });

  test('an untagged rule has no bearing on tagged images', () => {
    // Prepare
    const p = policy(byAge(1, { tagStatus: 'untagged' }));

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({});
  });

  test('archiving by age then expiring from archive caps tagged images by the combined age', () => {
    // Prepare
    const p = policy(byAge(30, { tagStatus: 'any' }, transition), archivedFor(365));

    // Act
    const cap = taggedCap(p);

    // Assess
    expect(cap).toEqual({ maxAgeDays: 395 });
  });
});

describe('mergeRule', () => {
  test('a rule is appended after the existing rules when there is no any rule', () => {
    // Prepare
    const p = policyWithPriorities([3, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })]);

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result.ok && result.rulePriority).toBe(4);
  });

  test('a rule is placed at the highest free priority below the any rule', () => {
    // Prepare
    const p = policyWithPriorities(
      [1, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })],
      [10, byCount(100, {})],
    );

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result.ok && result.rulePriority).toBe(9);
  });

  test("the user's rules are kept unchanged in the merged policy", () => {
    // Prepare
    const p = policyWithPriorities(
      [1, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })],
      [10, byCount(100, {})],
    );
    const before = structuredClone(p);

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result.ok && result.policy.rules.filter((r) => r.rulePriority !== result.rulePriority)).toEqual(
      before.rules,
    );
    expect(p).toEqual(before);
  });

  test('merging fails when no priority is free below the any rule', () => {
    // Prepare
    const p = policyWithPriorities(
      [1, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })],
      [2, byCount(100, {})],
    );

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [
        'no free rulePriority below the standard rule with tagStatus any (priority 2); renumber the existing rules to make room',
      ],
    });
  });

  test('an archive-class any rule does not constrain where a standard rule goes', () => {
    // Prepare
    const p = policyWithPriorities(
      [1, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })],
      [2, archivedFor(365)],
    );

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result.ok && result.rulePriority).toBe(3);
  });

  test('a new any rule goes after every existing rule', () => {
    // Prepare
    const p = policyWithPriorities([4, byAge(14, { tagStatus: 'untagged' })], [7, archivedFor(365)]);

    // Act
    const result = mergeRule(p, byCount(500, {}));

    // Assess
    expect(result.ok && result.rulePriority).toBe(8);
  });

  test('a merge that would make the policy invalid returns the validation errors', () => {
    // Prepare
    const p = policyWithPriorities([1, byAge(30, { tagStatus: 'untagged' })]);

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [
        'rules[priority=2].selection.tagStatus: only one standard rule may select untagged images, and rules[priority=1] already does',
      ],
    });
  });

  test('the merged policy applies: an added untagged rule expires old untagged images', () => {
    // Prepare
    const p = policyWithPriorities([1, byCount(10, { tagStatus: 'tagged', tagPrefixList: ['v'] })]);

    // Act
    const result = mergeRule(p, byAge(14, { tagStatus: 'untagged' }));

    // Assess
    expect(result.ok && untaggedExpiryDays(result.policy)).toBe(14);
  });
});

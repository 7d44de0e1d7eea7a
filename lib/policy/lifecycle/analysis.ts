/**
 * What a valid lifecycle policy guarantees, read from its rules alone (no images needed), and how to add a rule
 * to it without touching the user's rules.
 *
 * The guarantees follow from the evaluation rules: an image can only be acted on by the first rule, in priority
 * order, whose tag selection it meets within its storage class (later rules may not mark an image an earlier
 * rule identified). That first rule is the image's *governing* rule. Untagged images are governed by the single
 * `untagged` rule when there is one, else by the `any` rule; tagged images by whichever tagged rule they match
 * first, else by the `any` rule.
 */
import type { LifecyclePolicy, LifecycleRule, StorageClass } from './grammar';
import { ruleStorageClass, validateLifecyclePolicy } from './grammar';

type Kind = 'untagged' | 'tagged';

/**
 * Days after push within which the policy expires every untagged image, or undefined when it does not.
 * An untagged image governed by an expire rule with countType sinceImagePushed is expired after countNumber days;
 * one archived by a sinceImagePushed transition rule is expired countNumber days later plus the days the
 * archive-class rule keeps it.
 */
export function untaggedExpiryDays(policy: LifecyclePolicy): number | undefined {
  return maxAgeDays(policy, 'untagged');
}

/** The most untagged images the policy keeps (an imageCountMoreThan expire rule governs them), or undefined. */
export function untaggedMaxCount(policy: LifecyclePolicy): number | undefined {
  return maxCount(policy, 'untagged');
}

export interface TaggedCap {
  /** At most this many tagged images are kept (the sum over the count rules governing tagged images). */
  maxCount?: number;
  /** Every tagged image is expired within this many days of push. */
  maxAgeDays?: number;
}

/**
 * The cap the policy puts on tagged images. Each field is set only when it holds for every tagged image: when some
 * tags fall through to no rule, or some governing rule keeps images by a different measure, it is absent. For
 * example `prod*` kept by count and everything else by age caps neither count nor age for all tagged images.
 */
export function taggedCap(policy: LifecyclePolicy): TaggedCap {
  const count = maxCount(policy, 'tagged');
  const age = maxAgeDays(policy, 'tagged');
  return {
    ...(count !== undefined ? { maxCount: count } : {}),
    ...(age !== undefined ? { maxAgeDays: age } : {}),
  };
}

export type MergeRuleResult =
  { ok: true; policy: LifecyclePolicy; rulePriority: number } | { ok: false; errors: string[] };

/**
 * A new policy with `rule` added at a free priority; the user's rules keep their priorities and content.
 * The new rule goes after the user's rules of the same storage class, but before that class's `any` rule (which
 * must stay last): the highest free priority below it. When the only free priorities below the `any` rule lie
 * between user rules, the new rule precedes those later user rules. A new `any` rule goes after every rule.
 * The result is re-validated; an error is returned when no priority fits or the merged policy is invalid.
 */
export function mergeRule(
  policy: LifecyclePolicy,
  rule: Omit<LifecycleRule, 'rulePriority'>,
): MergeRuleResult {
  const storageClass = ruleStorageClass(rule);
  const used = new Set(policy.rules.map((r) => r.rulePriority));
  const highest = Math.max(0, ...used);
  const anyRule = policy.rules.find(
    (r) => r.selection.tagStatus === 'any' && ruleStorageClass(r) === storageClass,
  );

  let priority: number | undefined;
  if (rule.selection.tagStatus === 'any' || !anyRule) {
    priority = highest + 1;
  } else {
    for (let p = anyRule.rulePriority - 1; p >= 1; p--) {
      if (!used.has(p)) {
        priority = p;
        break;
      }
    }
    if (priority === undefined) {
      return {
        ok: false,
        errors: [
          `no free rulePriority below the ${storageClass} rule with tagStatus any (priority ${anyRule.rulePriority}); ` +
            'renumber the existing rules to make room',
        ],
      };
    }
  }

  const merged = { rules: [...policy.rules, { ...rule, rulePriority: priority }] };
  const validation = validateLifecyclePolicy(merged);
  if (!validation.ok) return validation;
  return { ok: true, policy: validation.policy, rulePriority: priority };
}

// ---------------------------------------------------------------------------------------------------------------

/** The rules that govern some image of `kind` in `storageClass`, or undefined when some such images have none. */
function governingRules(
  policy: LifecyclePolicy,
  kind: Kind,
  storageClass: StorageClass,
): LifecycleRule[] | undefined {
  const ordered = policy.rules
    .filter((r) => ruleStorageClass(r) === storageClass)
    .sort((a, b) => a.rulePriority - b.rulePriority);
  const governing: LifecycleRule[] = [];
  for (const rule of ordered) {
    const { tagStatus } = rule.selection;
    if (tagStatus === 'any') return [...governing, rule];
    if (kind === 'untagged' && tagStatus === 'untagged') return [rule];
    if (kind === 'tagged' && tagStatus === 'tagged') {
      governing.push(rule);
      if (selectsEveryTag(rule)) return governing;
    }
  }
  return undefined;
}

/** A tagged rule whose every pattern is made only of wildcards matches any tagged image. */
function selectsEveryTag(rule: LifecycleRule): boolean {
  const patterns = rule.selection.tagPatternList;
  return patterns !== undefined && patterns.every((p) => /^\*+$/.test(p));
}

function maxCount(policy: LifecyclePolicy, kind: Kind): number | undefined {
  const rules = governingRules(policy, kind, 'standard');
  if (!rules) return undefined;
  let total = 0;
  for (const rule of rules) {
    if (rule.action.type !== 'expire' || rule.selection.countType !== 'imageCountMoreThan') return undefined;
    total += rule.selection.countNumber;
  }
  return total;
}

function maxAgeDays(policy: LifecyclePolicy, kind: Kind): number | undefined {
  const rules = governingRules(policy, kind, 'standard');
  if (!rules) return undefined;
  let worst = 0;
  for (const rule of rules) {
    if (rule.selection.countType !== 'sinceImagePushed') return undefined;
    let days = rule.selection.countNumber;
    if (rule.action.type === 'transition') {
      const inArchive = archivedMaxAgeDays(policy, kind);
      if (inArchive === undefined) return undefined;
      days += inArchive;
    }
    worst = Math.max(worst, days);
  }
  return worst;
}

/** Days an archived image of `kind` stays archived at most, or undefined when some are never expired. */
function archivedMaxAgeDays(policy: LifecyclePolicy, kind: Kind): number | undefined {
  const rules = governingRules(policy, kind, 'archive');
  if (!rules) return undefined;
  let worst = 0;
  for (const rule of rules) {
    if (rule.action.type !== 'expire' || rule.selection.countType !== 'sinceImageTransitioned')
      return undefined;
    worst = Math.max(worst, rule.selection.countNumber);
  }
  return worst;
}

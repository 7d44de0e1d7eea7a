/**
 * `ecr.lifecycle-policy`: a lifecycle policy exists and expires untagged images soon enough (optionally also
 * capping tagged images).
 */
import * as z from 'zod';
import type { Guardrails } from '../../guardrails';
import { mergeRule, taggedCap, untaggedExpiryDays, untaggedMaxCount } from '../../lifecycle/analysis';
import {
  parseLifecyclePolicy,
  serializeLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
} from '../../lifecycle/grammar';
import { simulateLifecyclePolicy } from '../../lifecycle/simulate';
import type { Repository } from '../../model';
import type { Finding } from '../../findings';
import { positiveInt, repositoryRule, type PlanContext, type ProposedFix } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';
import { registryOf } from './registry';

export const lifecyclePolicyRule: RepositoryRule = (repository, ctx) => {
  const options = ctx.guardrails.rules['ecr.lifecycle-policy'];
  const text = repository.lifecyclePolicyText;
  if (text === undefined || text.trim() === '') {
    return violation('no lifecycle policy: untagged images accumulate forever', true, { reason: 'missing' });
  }
  const parsed = parseLifecyclePolicy(text);
  if (!parsed.ok) {
    return violation(
      `lifecycle policy is not valid ECR lifecycle grammar: ${parsed.errors.join('; ')}`,
      false,
      {
        reason: 'invalid',
        errors: parsed.errors,
      },
    );
  }
  const policy = parsed.policy;
  const problems: string[] = [];
  const ageDays = untaggedExpiryDays(policy);
  const maxCount = untaggedMaxCount(policy);
  const ageOk = ageDays !== undefined && ageDays <= options.maxUntaggedAgeDays;
  const countOk =
    options.maxUntaggedCount !== undefined && maxCount !== undefined && maxCount <= options.maxUntaggedCount;
  if (!ageOk && !countOk) {
    const found =
      ageDays !== undefined
        ? `it expires them after ${ageDays} days`
        : maxCount !== undefined
          ? `it keeps up to ${maxCount} of them`
          : 'no rule expires them';
    const wanted =
      options.maxUntaggedCount !== undefined
        ? `within ${options.maxUntaggedAgeDays} days or keep at most ${options.maxUntaggedCount}`
        : `within ${options.maxUntaggedAgeDays} days of push`;
    problems.push(`untagged images must expire ${wanted}; ${found}`);
  }
  const cap = options.taggedImages;
  if (cap && (cap.maxCount !== undefined || cap.maxAgeDays !== undefined)) {
    const have = taggedCap(policy);
    const countCapOk =
      cap.maxCount !== undefined && have.maxCount !== undefined && have.maxCount <= cap.maxCount;
    const ageCapOk =
      cap.maxAgeDays !== undefined && have.maxAgeDays !== undefined && have.maxAgeDays <= cap.maxAgeDays;
    if (!countCapOk && !ageCapOk) {
      const wanted = [
        cap.maxCount !== undefined ? `keep at most ${cap.maxCount}` : undefined,
        cap.maxAgeDays !== undefined ? `expire them within ${cap.maxAgeDays} days` : undefined,
      ]
        .filter(Boolean)
        .join(' or ');
      problems.push(`tagged images must be capped (${wanted})`);
    }
  }
  const preview = previewExpiry(repository, policy, ctx.now);
  if (problems.length > 0) {
    // A second untagged rule cannot be merged next to an existing one: that needs a person.
    const merged = mergeRule(policy, untaggedExpiryRule(options.maxUntaggedAgeDays));
    const manual = merged.ok
      ? ''
      : `; not fixed automatically: the required rule cannot be merged (${merged.errors.join('; ')})`;
    return violation(
      `lifecycle policy is too weak: ${problems.join('; ')}${preview.text}${manual}`,
      merged.ok,
      {
        reason: 'weak',
        problems,
        ...preview.details,
      },
    );
  }
  return compliant(`lifecycle policy expires untagged images as required${preview.text}`, preview.details);
};

/** How many images the current policy would expire now, when the repository's images are known. */
function previewExpiry(
  repository: Repository,
  policy: Parameters<typeof simulateLifecyclePolicy>[0],
  now: Date,
): { text: string; details: Record<string, unknown> } {
  if (!repository.images || repository.images.length === 0) return { text: '', details: {} };
  const { summary } = simulateLifecyclePolicy(policy, repository.images, now);
  return {
    text: `; it would expire ${summary.expire} of ${repository.images.length} images now`,
    details: { wouldExpireNow: summary.expire, images: repository.images.length },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Remediation

export function untaggedExpiryRule(days: number): Omit<LifecycleRule, 'rulePriority'> {
  return {
    description: `buildwarden: expire untagged images ${days} days after push`,
    selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
    action: { type: 'expire' },
  } as Omit<LifecycleRule, 'rulePriority'>;
}

/** The policy put on a repository that has none: untagged expiry, plus the tagged cap when one is configured. */
export function defaultLifecyclePolicy(guardrails: Guardrails): LifecyclePolicy {
  const options = guardrails.rules['ecr.lifecycle-policy'];
  const rules: LifecycleRule[] = [
    { rulePriority: 1, ...untaggedExpiryRule(options.maxUntaggedAgeDays) } as LifecycleRule,
  ];
  const cap = options.taggedImages;
  if (cap?.maxCount !== undefined) {
    rules.push({
      rulePriority: 2,
      description: `buildwarden: keep at most ${cap.maxCount} tagged images`,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: cap.maxCount,
      },
      action: { type: 'expire' },
    } as LifecycleRule);
  } else if (cap?.maxAgeDays !== undefined) {
    rules.push({
      rulePriority: 2,
      description: `buildwarden: expire tagged images ${cap.maxAgeDays} days after push`,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: cap.maxAgeDays,
      },
      action: { type: 'expire' },
    } as LifecycleRule);
  }
  return { rules } as LifecyclePolicy;
}

/**
 * No policy: the default one. A weak policy: the missing untagged rule merged in at a free priority, the
 * user's rules unchanged. Refused when the result is not valid grammar or would expire more than
 * `maxExpireShare` of the repository's images at once.
 */
function planLifecycle(
  repository: Repository,
  _finding: Finding,
  { guardrails, now }: PlanContext,
): ProposedFix {
  const options = guardrails.rules['ecr.lifecycle-policy'];
  const before = repository.lifecyclePolicyText ?? null;
  let policy: LifecyclePolicy;
  if (before === null) {
    policy = defaultLifecyclePolicy(guardrails);
  } else {
    const current = parseLifecyclePolicy(before);
    if (!current.ok)
      return {
        refused: 'the current policy is not valid lifecycle grammar; fix it by hand',
        before,
        after: null,
      };
    const merged = mergeRule(current.policy, untaggedExpiryRule(options.maxUntaggedAgeDays));
    if (!merged.ok) {
      return {
        refused: `the required rule cannot be merged into the current policy: ${merged.errors.join('; ')}`,
        before,
        after: null,
      };
    }
    policy = merged.policy;
  }
  const text = serializeLifecyclePolicy(policy);
  const images = repository.images ?? [];
  if (images.length > 0) {
    const { summary } = simulateLifecyclePolicy(policy, images, now);
    const share = summary.expire / images.length;
    if (share > options.maxExpireShare) {
      return {
        refused: `the policy would expire ${summary.expire} of ${images.length} images at once (${Math.round(share * 100)}% > maxExpireShare ${Math.round(options.maxExpireShare * 100)}%)`,
        before,
        after: text,
      };
    }
  }
  return {
    write: {
      type: 'PutLifecyclePolicy',
      repositoryName: repository.repositoryName,
      ...registryOf(repository),
      lifecyclePolicyText: text,
    },
    before,
    after: text,
  };
}

export const lifecyclePolicy = repositoryRule({
  id: 'ecr.lifecycle-policy',
  severity: 'medium',
  mode: 'remediate',
  options: () => ({
    /** Untagged images must expire within this many days of push … */
    maxUntaggedAgeDays: positiveInt().default(14),
    /** … or the policy keeps at most this many untagged images (off when absent). */
    maxUntaggedCount: positiveInt().optional(),
    /** Optional cap on tagged images: the policy must expire tagged images by count or by age. */
    taggedImages: z
      .strictObject({ maxCount: positiveInt().optional(), maxAgeDays: positiveInt().optional() })
      .optional(),
    /** Remediation refuses a policy that would expire more than this share of a repository's images at once. */
    maxExpireShare: z.number().min(0).max(1).default(0.25),
  }),
  // Images only to preview what the policy would expire now.
  title: 'ECR repositories should have a lifecycle policy that expires untagged images',
  recommendation:
    'Add a lifecycle policy rule that expires untagged images within the configured age or count. buildwarden adds the missing rule when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html',
  reads: ['repository-details', 'repository-images'],
  summary:
    'a lifecycle policy expires untagged images within `maxUntaggedAgeDays` (or keeps at most ' +
    '`maxUntaggedCount`); optionally tagged images are capped',
  remediates:
    'puts the default policy, or merges the missing rule into a weak one; refused when it would expire more ' +
    'than `maxExpireShare` of the images',
  evaluate: lifecyclePolicyRule,
  remediation: {
    writes: ['PutLifecyclePolicy'],
    plan: planLifecycle,
  },
});

/**
 * `ecr.lifecycle-policy`: a lifecycle policy exists and expires untagged images soon enough (optionally also
 * capping tagged images).
 */
import { parseLifecyclePolicy } from '../../lifecycle/grammar';
import { mergeRule, taggedCap, untaggedExpiryDays, untaggedMaxCount } from '../../lifecycle/analysis';
import { untaggedExpiryRule } from '../../remediation';
import { simulateLifecyclePolicy } from '../../lifecycle/simulate';
import type { Repository } from '../../model';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';

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

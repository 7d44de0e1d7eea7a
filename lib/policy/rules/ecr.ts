/** The ECR repository guardrails. Each is a pure function of one repository and the account view. */
import { parseLifecyclePolicy } from '../lifecycle/grammar';
import { mergeRule, taggedCap, untaggedExpiryDays, untaggedMaxCount } from '../lifecycle/analysis';
import { untaggedExpiryRule } from '../remediation';
import { simulateLifecyclePolicy } from '../lifecycle/simulate';
import { matchesEcrScanFilter } from '../wildcard';
import type { Repository } from '../model';
import { findOffendingStatements, LIMITING_CONDITIONS } from './repository-policy';
import type { RepositoryRule, RuleOutcome } from './types';

const violation = (message: string, remediable: boolean, details?: Record<string, unknown>): RuleOutcome => ({
  status: 'violation',
  message,
  remediable,
  ...(details ? { details } : {}),
});
const compliant = (message: string, details?: Record<string, unknown>): RuleOutcome => ({
  status: 'compliant',
  message,
  ...(details ? { details } : {}),
});

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

export const scanOnPushRule: RepositoryRule = (repository, ctx) => {
  const registry = ctx.view.registryScanning;
  const name = repository.repositoryName;
  const matching = (registry?.rules ?? []).filter(
    (rule) =>
      rule.scanFrequency !== 'MANUAL' &&
      rule.repositoryFilters.some((f) => matchesEcrScanFilter(name, f.filter)),
  );
  if (registry?.scanType === 'ENHANCED') {
    // With enhanced scanning, repository-level scanOnPush is ignored; only registry rules count.
    if (matching.length > 0) {
      return compliant(`covered by enhanced scanning (${matching.map((r) => r.scanFrequency).join(', ')})`);
    }
    return violation('enhanced scanning is on but no registry rule covers this repository', true, {
      scanType: 'ENHANCED',
    });
  }
  if (repository.imageScanningConfiguration?.scanOnPush === true) return compliant('scan on push is enabled');
  const onPush = matching.filter((r) => r.scanFrequency === 'SCAN_ON_PUSH');
  if (onPush.length > 0) return compliant('covered by a registry scan-on-push rule');
  if (ctx.view.registryScanningUnreadable) {
    return {
      status: 'not-visible',
      message:
        'scan on push is off on the repository and the registry scanning configuration could not be read',
    };
  }
  return violation(
    'images are not scanned on push (repository scanOnPush is off and no registry rule matches)',
    true,
    {
      scanType: registry?.scanType ?? 'BASIC',
    },
  );
};

export const tagImmutabilityRule: RepositoryRule = (repository, ctx) => {
  const allowed = ctx.guardrails.rules['ecr.tag-immutability'].allowedModes;
  const current = repository.imageTagMutability ?? 'MUTABLE';
  if ((allowed as string[]).includes(current)) return compliant(`image tags are ${current}`);
  return violation(`image tags are ${current}; allowed: ${allowed.join(', ')}`, true, { current });
};

export const encryptionRule: RepositoryRule = (repository, ctx) => {
  const keys = ctx.guardrails.rules['ecr.encryption'].kmsKeyArns;
  const config = repository.encryptionConfiguration ?? { encryptionType: 'AES256' as const };
  const note = 'encryption cannot be changed after a repository is created: recreate it and migrate images';
  if (config.encryptionType === 'AES256') {
    return violation(`repository is encrypted with AES256, not KMS; ${note}`, false, {
      encryptionType: 'AES256',
    });
  }
  if (keys.length > 0 && (!config.kmsKey || !keys.includes(config.kmsKey))) {
    return violation(
      `repository uses ${config.kmsKey ? `KMS key ${config.kmsKey}` : 'the AWS-managed KMS key'}, not one of the configured keys; ${note}`,
      false,
      { encryptionType: config.encryptionType, kmsKey: config.kmsKey ?? null },
    );
  }
  return compliant(`repository is encrypted with ${config.encryptionType}`);
};

export const repositoryPolicyRule: RepositoryRule = (repository, ctx) => {
  const text = repository.repositoryPolicyText;
  if (text === undefined || text.trim() === '') return compliant('no repository policy');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return violation('repository policy is not valid JSON', false);
  }
  const options = ctx.guardrails.rules['ecr.repository-policy'];
  const offending = findOffendingStatements(document, {
    ownAccountId: repository.registryId ?? ctx.view.accountId,
    allowedAccounts: options.allowedAccounts,
    allowedOrganizations: options.allowedOrganizations,
    deniedOrganizations: options.deniedOrganizations,
    removeUnknownOrganizations: options.removeUnknownOrganizations,
    ownOrganizationId: ctx.view.organizationId,
    ownOrganizationUnknown: ctx.view.organizationUnreadable,
  });
  if (offending.length === 0)
    return compliant('repository policy grants access only within the allowed accounts and organizations');
  const names = offending.map(
    (s) =>
      `${s.sid ?? `#${s.index}`}: ${s.reason}${s.keptBecause ? ` (left in place: ${s.keptBecause})` : ''}`,
  );
  return violation(
    `repository policy is too open — ${names.join('; ')}. Note: ${LIMITING_CONDITIONS}`,
    offending.some((s) => s.removable),
    { offendingStatements: offending },
  );
};

export const repositoryRules = {
  'ecr.lifecycle-policy': lifecyclePolicyRule,
  'ecr.scan-on-push': scanOnPushRule,
  'ecr.tag-immutability': tagImmutabilityRule,
  'ecr.encryption': encryptionRule,
  'ecr.repository-policy': repositoryPolicyRule,
} as const satisfies Record<string, RepositoryRule>;

/** `ecr.scan-on-push`: the repository's images are scanned on push (by the repository or a registry rule). */
import * as z from 'zod';
import type { Guardrails } from '../../guardrails';
import type { RegistryScanningConfiguration, Repository } from '../../model';
import { matchesEcrScanFilter } from '../../wildcard';
import type { Finding } from '../../findings';
import { repositoryRule, type PlanContext, type ProposedFix } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';
import { registryOf } from './registry';

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

// ---------------------------------------------------------------------------------------------------------
// Remediation

/** ECR accepts at most 100 filters per registry scanning rule, each matching this pattern (1–255 chars). */
export const MAX_REGISTRY_FILTERS = 100;
/**
 * Runs of `[a-z0-9*]` joined by single `.`, `_` or `-` within `/`-separated segments. Written so that every
 * separator starts a new group: an optional separator inside a repeated group backtracks exponentially on a
 * repository name such as `aaaa…aaa--b`.
 */
const REGISTRY_FILTER = /^[a-z0-9*]+(?:[._-][a-z0-9*]+)*(?:\/[a-z0-9*]+(?:[._-][a-z0-9*]+)*)*$/;

function repositoryLevelScanning(repository: Repository): ProposedFix {
  return {
    write: {
      type: 'PutImageScanningConfiguration',
      repositoryName: repository.repositoryName,
      ...registryOf(repository),
      scanOnPush: true,
    },
    before: { scanOnPush: repository.imageScanningConfiguration?.scanOnPush ?? false },
    after: { scanOnPush: true },
  };
}

/**
 * The write that makes the repository scanned (repository scanOnPush, or a registry rule filter when the
 * guardrails or enhanced scanning ask for one), or why it is refused. Provisioning covers new repositories
 * with it too.
 */
export function planScanning(
  repository: Repository,
  registryScanning: RegistryScanningConfiguration | undefined,
  guardrails: Guardrails,
): ProposedFix {
  const level = guardrails.rules['ecr.scan-on-push'].level;
  const enhanced = registryScanning?.scanType === 'ENHANCED';
  // Enhanced scanning ignores the repository setting: only a registry rule can cover the repository.
  if (level !== 'registry' && !enhanced) return repositoryLevelScanning(repository);
  const current = registryScanning ?? { scanType: 'BASIC' as const, rules: [] };
  const frequency = enhanced ? 'CONTINUOUS_SCAN' : 'SCAN_ON_PUSH';
  const rules = structuredClone(current.rules);
  const existing = rules.find((r) => r.scanFrequency === frequency);
  const name = repository.repositoryName;
  const problem =
    name.length > 255 || !REGISTRY_FILTER.test(name)
      ? `the repository name is not a valid registry scanning filter`
      : (existing?.repositoryFilters.length ?? 0) >= MAX_REGISTRY_FILTERS
        ? `the ${frequency} registry rule already has the ${MAX_REGISTRY_FILTERS} filters ECR allows`
        : undefined;
  if (problem) {
    // A BASIC registry still honours the repository setting: fall back to it rather than fail every retry.
    if (!enhanced) return repositoryLevelScanning(repository);
    return {
      refused: `${problem}; add a wider filter (for example a prefix with *) by hand`,
      before: current,
      after: current,
    };
  }
  const filter = { filter: name, filterType: 'WILDCARD' as const };
  if (existing) existing.repositoryFilters.push(filter);
  else rules.push({ scanFrequency: frequency, repositoryFilters: [filter] });
  const after = { scanType: current.scanType, rules };
  return { write: { type: 'PutRegistryScanningConfiguration', ...after }, before: current, after };
}

export const scanOnPush = repositoryRule({
  id: 'ecr.scan-on-push',
  severity: 'high',
  mode: 'remediate',
  options: () => ({
    /** Where remediation turns scanning on: the repository's scanOnPush, or a registry scanning rule. */
    level: z.enum(['repository', 'registry']).default('repository'),
  }),
  title: 'ECR repositories should scan images on push',
  recommendation:
    'Enable scanOnPush on the repository, or cover it with a registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN). buildwarden does it when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html',
  reads: ['registry-scanning'],
  summary:
    "images are scanned on push: the repository's `scanOnPush`, or a registry rule whose filter matches",
  remediates:
    'turns `scanOnPush` on, or adds the repository to the registry rule (`level: registry`, and always under ' +
    'ENHANCED scanning)',
  evaluate: scanOnPushRule,
  remediation: {
    writes: ['PutImageScanningConfiguration', 'PutRegistryScanningConfiguration'],
    plan: (repository: Repository, _finding: Finding, ctx: PlanContext): ProposedFix =>
      planScanning(repository, ctx.registryScanning, ctx.guardrails),
  },
});

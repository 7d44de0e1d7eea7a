/**
 * The organization-wide audit from one place (the CLI's `audit --org`): every target (account × region) a
 * TargetLister names is audited with the single-account audit, a few targets at once, through the deps the
 * front door gives for that target (the member role's credentials live, a fleet account in the sandbox).
 *
 * Findings carry `accountId` and `region`. A target that cannot be audited at all (the member role cannot be
 * assumed: an SCP, a missing member stack; a listing refused) is one `not-visible` finding for that account and
 * region naming why, and never fails the run.
 */
import type { Target, TargetLister } from '../ports';
import { summarize, type AuditSummary, type Finding, type FindingStatus } from '../policy/findings';
import type { Guardrails } from '../policy/guardrails';
import { partitionOf } from '../policy/aws-facts';
import { runAudit, type AuditDeps, type AuditOptions } from './audit';
import { mapWithConcurrency } from '../concurrency';
import { describeError } from './errors';
import { ACCOUNT_NOT_AUDITED } from './organization-run';

// The rule id of the finding that says an account-region could not be audited (defined with the organization
// run's steps, whose summary counts them without loading the audit).
export { ACCOUNT_NOT_AUDITED };

export interface AccountCounts {
  accountId: string;
  name?: string;
  regions: string[];
  byStatus: Record<FindingStatus, number>;
  /** Why a region of this account could not be audited, by region. */
  notAudited?: Record<string, string>;
}

export interface OrganizationReport {
  generatedAt: string;
  targets: Target[];
  findings: Finding[];
  summary: AuditSummary & { byAccount: Record<string, AccountCounts> };
}

export type OrganizationProgress =
  | { phase: 'targets-listed'; count: number }
  | { phase: 'target-audited'; target: Target; done: number; total: number; violations: number }
  | { phase: 'target-failed'; target: Target; done: number; total: number; reason: string };

export interface OrganizationAuditOptions extends Omit<AuditOptions, 'onProgress' | 'concurrency'> {
  /** Targets audited at once (default 4). */
  concurrency?: number;
  /** Per-repository reads in flight within one target. */
  readConcurrency?: number;
  onProgress?: (progress: OrganizationProgress) => void;
}

const zero = (): Record<FindingStatus, number> => ({
  violation: 0,
  'not-visible': 0,
  exempt: 0,
  compliant: 0,
});

/** The finding that says a target could not be audited, and why. */
export function notAuditedFinding(target: Target, reason: string): Finding {
  return {
    ruleId: ACCOUNT_NOT_AUDITED,
    resourceType: 'AWS::Organizations::Account',
    // The account itself (its root principal): the finding is about the account, in that region.
    resourceArn: `arn:${partitionOf(target.region)}:iam::${target.accountId}:root`,
    status: 'not-visible',
    severity: 'high',
    message: `account ${target.accountId} in ${target.region} could not be audited: ${reason}`,
    remediable: false,
    details: { reason },
    accountId: target.accountId,
    region: target.region,
  };
}

export async function auditOrganization(
  lister: TargetLister,
  depsFor: (target: Target) => Promise<AuditDeps>,
  guardrails: Guardrails,
  options: OrganizationAuditOptions,
): Promise<OrganizationReport> {
  const targets = await lister.targets();
  options.onProgress?.({ phase: 'targets-listed', count: targets.length });
  let done = 0;
  const resources = { repositories: 0, projects: 0, roles: 0 };
  const byAccount: Record<string, AccountCounts> = {};
  const perTarget = await mapWithConcurrency(targets, options.concurrency ?? 4, async (target) => {
    const counts = (byAccount[target.accountId] ??= {
      accountId: target.accountId,
      regions: [],
      byStatus: zero(),
    });
    counts.regions.push(target.region);
    let findings: Finding[];
    try {
      const deps = await depsFor(target);
      const report = await runAudit(deps, guardrails, {
        now: options.now,
        ...(options.ruleIds ? { ruleIds: options.ruleIds } : {}),
        ...(options.readConcurrency !== undefined ? { concurrency: options.readConcurrency } : {}),
      });
      resources.repositories += report.summary.resources.repositories;
      resources.projects += report.summary.resources.projects;
      resources.roles += report.summary.resources.roles;
      findings = report.findings.map((f) => ({ ...f, accountId: target.accountId, region: target.region }));
      done += 1;
      options.onProgress?.({
        phase: 'target-audited',
        target,
        done,
        total: targets.length,
        violations: report.summary.byStatus.violation,
      });
    } catch (error) {
      const reason = describeError(error);
      findings = [notAuditedFinding(target, reason)];
      (counts.notAudited ??= {})[target.region] = reason;
      done += 1;
      options.onProgress?.({ phase: 'target-failed', target, done, total: targets.length, reason });
    }
    for (const f of findings) counts.byStatus[f.status] += 1;
    return findings;
  });
  for (const counts of Object.values(byAccount)) {
    counts.regions.sort();
    const name = await lister.accountName(counts.accountId).catch(() => undefined);
    if (name !== undefined) counts.name = name;
  }
  const findings = perTarget.flat();
  return {
    generatedAt: options.now.toISOString(),
    targets,
    findings,
    summary: {
      ...summarize(findings, resources),
      byAccount: Object.fromEntries(Object.entries(byAccount).sort(([a], [b]) => (a < b ? -1 : 1))),
    },
  };
}

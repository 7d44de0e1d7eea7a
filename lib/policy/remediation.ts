/**
 * Remediation plans: for a resource's current state and its findings, the smallest writes that make it
 * compliant — or why a fix is refused. Pure: the use case applies the writes through the Remediator port.
 * Plans are computed from current state, so a second run over a fixed resource plans nothing (idempotent).
 */
import type { Finding } from './findings';
import type { Guardrails, RuleId } from './guardrails';
import { mergeRule } from './lifecycle/analysis';
import {
  parseLifecyclePolicy,
  serializeLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
} from './lifecycle/grammar';
import { simulateLifecyclePolicy } from './lifecycle/simulate';
import type { Project, RegistryScanningConfiguration, Repository, Role } from './model';
import { withoutStatements, type OffendingStatement } from './rules/ecr/repository-policy-statements';
import { isRemediableRole } from './remediable-roles';

/** One write to the account. Field names follow the AWS API request parameters. */
export type RemediationWrite =
  | { type: 'PutLifecyclePolicy'; repositoryName: string; registryId?: string; lifecyclePolicyText: string }
  | { type: 'PutImageScanningConfiguration'; repositoryName: string; registryId?: string; scanOnPush: true }
  | {
      type: 'PutRegistryScanningConfiguration';
      scanType: 'BASIC' | 'ENHANCED';
      rules: RegistryScanningConfiguration['rules'];
    }
  | {
      type: 'PutImageTagMutability';
      repositoryName: string;
      registryId?: string;
      imageTagMutability: 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION';
      imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
    }
  | { type: 'SetRepositoryPolicy'; repositoryName: string; registryId?: string; policyText: string }
  | { type: 'DeleteRepositoryPolicy'; repositoryName: string; registryId?: string }
  | { type: 'PutRolePolicy'; roleName: string; policyName: string; policyDocument: string }
  | { type: 'DetachRolePolicy'; roleName: string; policyArn: string }
  | { type: 'UpdateProjectVisibility'; projectArn: string; projectVisibility: 'PRIVATE' };

export interface PlannedChange {
  ruleId: RuleId;
  resourceArn: string;
  /** The write, or undefined when the fix is refused (then `refused` says why). */
  write?: RemediationWrite;
  refused?: string;
  /** Whether dry run (global or the rule's) keeps the write from being applied. */
  dryRun: boolean;
  before: unknown;
  after: unknown;
}

/** The rules whose violations a change may fix: mode remediate, a remediable violation, not exempt. */
function fixable(finding: Finding, guardrails: Guardrails): boolean {
  return (
    finding.status === 'violation' &&
    finding.remediable &&
    guardrails.rules[finding.ruleId as RuleId]?.mode === 'remediate'
  );
}

function isDryRun(ruleId: RuleId, guardrails: Guardrails): boolean {
  return guardrails.dryRun || guardrails.rules[ruleId].dryRun;
}

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

function planLifecycle(
  repository: Repository,
  guardrails: Guardrails,
  now: Date,
): Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> {
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
      ...registry(repository),
      lifecyclePolicyText: text,
    },
    before,
    after: text,
  };
}

function registry(repository: Repository): { registryId?: string } {
  return repository.registryId ? { registryId: repository.registryId } : {};
}

/** ECR accepts at most 100 filters per registry scanning rule, each matching this pattern (1–255 chars). */
export const MAX_REGISTRY_FILTERS = 100;
/**
 * Runs of `[a-z0-9*]` joined by single `.`, `_` or `-` within `/`-separated segments. Written so that every
 * separator starts a new group: an optional separator inside a repeated group backtracks exponentially on a
 * repository name such as `aaaa…aaa--b`.
 */
const REGISTRY_FILTER = /^[a-z0-9*]+(?:[._-][a-z0-9*]+)*(?:\/[a-z0-9*]+(?:[._-][a-z0-9*]+)*)*$/;

function repositoryLevelScanning(
  repository: Repository,
): Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> {
  return {
    write: {
      type: 'PutImageScanningConfiguration',
      repositoryName: repository.repositoryName,
      ...registry(repository),
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
): Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> {
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

/**
 * The target mode is the strictest one the guardrails allow. Exclusion filters are never carried from a
 * MUTABLE_WITH_EXCLUSION repository: there they name the tags that must stay immutable, while under
 * IMMUTABLE_WITH_EXCLUSION they would name the tags allowed to change — the opposite protection.
 */
function planImmutability(
  repository: Repository,
  guardrails: Guardrails,
): Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> {
  const before = repository.imageTagMutability ?? 'MUTABLE';
  const allowed = guardrails.rules['ecr.tag-immutability'].allowedModes as string[];
  if (allowed.includes('IMMUTABLE')) {
    return {
      write: {
        type: 'PutImageTagMutability',
        repositoryName: repository.repositoryName,
        ...registry(repository),
        imageTagMutability: 'IMMUTABLE',
      },
      before,
      after: 'IMMUTABLE',
    };
  }
  return {
    refused: `no safe target among the allowed modes (${allowed.join(', ')}): IMMUTABLE_WITH_EXCLUSION needs exclusion filters only the repository owner can choose`,
    before,
    after: before,
  };
}

function planRepositoryPolicy(
  repository: Repository,
  finding: Finding,
): Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> {
  const before = repository.repositoryPolicyText ?? null;
  const offending = (finding.details?.offendingStatements ?? []) as OffendingStatement[];
  // Only statements the rule judged removable: never one limited to an organization by default.
  const removable = offending.filter((s) => s.removable === true);
  if (before === null || removable.length === 0) {
    const kept = offending
      .filter((s) => s.keptBecause)
      .map((s) => `${s.sid ?? `#${s.index}`}: ${s.keptBecause}`);
    return {
      refused:
        kept.length > 0 ? `nothing to remove; left in place — ${kept.join('; ')}` : 'nothing to remove',
      before,
      after: before,
    };
  }
  const document = JSON.parse(before) as Record<string, unknown>;
  const kept = withoutStatements(
    document,
    removable.map((s) => s.index),
  );
  if (!kept) {
    return {
      write: {
        type: 'DeleteRepositoryPolicy',
        repositoryName: repository.repositoryName,
        ...registry(repository),
      },
      before,
      after: null,
    };
  }
  const after = JSON.stringify(kept);
  return {
    write: {
      type: 'SetRepositoryPolicy',
      repositoryName: repository.repositoryName,
      ...registry(repository),
      policyText: after,
    },
    before,
    after,
  };
}

/** Plans the fixes for one repository's findings (from evaluateRepository on its current state). */
export function planRepositoryRemediation(
  repository: Repository,
  findings: readonly Finding[],
  context: { guardrails: Guardrails; registryScanning?: RegistryScanningConfiguration; now: Date },
): PlannedChange[] {
  const plans: PlannedChange[] = [];
  for (const finding of findings) {
    if (!fixable(finding, context.guardrails)) continue;
    const ruleId = finding.ruleId as RuleId;
    let plan: Omit<PlannedChange, 'ruleId' | 'resourceArn' | 'dryRun'> | undefined;
    if (ruleId === 'ecr.lifecycle-policy') plan = planLifecycle(repository, context.guardrails, context.now);
    else if (ruleId === 'ecr.scan-on-push')
      plan = planScanning(repository, context.registryScanning, context.guardrails);
    else if (ruleId === 'ecr.tag-immutability') plan = planImmutability(repository, context.guardrails);
    else if (ruleId === 'ecr.repository-policy') plan = planRepositoryPolicy(repository, finding);
    if (plan)
      plans.push({
        ruleId,
        resourceArn: repository.repositoryArn,
        dryRun: isDryRun(ruleId, context.guardrails),
        ...plan,
      });
  }
  return plans;
}

export const PUSH_POLICY_NAME = 'buildwarden-ecr-push';

function pushStatementSid(repositoryArn: string): string {
  const name = repositoryArn.slice(repositoryArn.indexOf(':repository/') + ':repository/'.length);
  return `BuildwardenPush${name.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 100);
}

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

/**
 * role-can-push: one inline policy (`buildwarden-ecr-push`) holding exactly the missing actions, scoped to
 * the target repository's ARN (ecr:GetAuthorizationToken on `*`). An existing buildwarden-ecr-push policy is
 * extended, never replaced, so fixes for several repositories of a shared role accumulate.
 */
export function planRoleCanPush(
  role: Role,
  finding: Finding,
  guardrails: Guardrails,
): PlannedChange | undefined {
  if (!fixable(finding, guardrails) || finding.ruleId !== 'codebuild.role-can-push') return undefined;
  const missing = (finding.details?.missing ?? []) as string[];
  const repositoryArn = finding.details?.repositoryArn as string | undefined;
  if (missing.length === 0 || !repositoryArn) return undefined;
  const existing = role.RolePolicyList.find((p) => p.PolicyName === PUSH_POLICY_NAME)?.PolicyDocument;
  const statements: PolicyStatement[] = structuredClone(
    ((existing?.Statement as PolicyStatement[] | undefined) ?? []).filter((s) => s && typeof s === 'object'),
  );
  const upsert = (sid: string, actions: string[], resource: string) => {
    if (actions.length === 0) return;
    const found = statements.find((s) => s.Sid === sid);
    if (found) {
      found.Action = [...new Set([...[found.Action].flat(), ...actions])].sort();
    } else {
      statements.push({ Sid: sid, Effect: 'Allow', Action: [...actions].sort(), Resource: resource });
    }
  };
  upsert(
    'BuildwardenEcrLogin',
    missing.filter((a) => a === 'ecr:GetAuthorizationToken'),
    '*',
  );
  upsert(
    pushStatementSid(repositoryArn),
    missing.filter((a) => a !== 'ecr:GetAuthorizationToken'),
    repositoryArn,
  );
  const after = { Version: '2012-10-17', Statement: statements };
  return {
    ruleId: 'codebuild.role-can-push',
    resourceArn: role.Arn,
    dryRun: isDryRun('codebuild.role-can-push', guardrails),
    write: {
      type: 'PutRolePolicy',
      roleName: role.RoleName,
      policyName: PUSH_POLICY_NAME,
      policyDocument: JSON.stringify(after),
    },
    before: existing ?? null,
    after,
  };
}

/**
 * role-least-privilege, only in mode remediate (never the default): detach the administrator-class managed
 * policies the finding names. Statements inside policies are never edited.
 */
export function planLeastPrivilege(role: Role, finding: Finding, guardrails: Guardrails): PlannedChange[] {
  if (finding.ruleId !== 'codebuild.role-least-privilege' || finding.status !== 'violation') return [];
  if (guardrails.rules['codebuild.role-least-privilege'].mode !== 'remediate') return [];
  const excess = (finding.details?.excess ?? []) as { policyArn?: string; statement?: string }[];
  const arns = [
    ...new Set(excess.filter((e) => e.policyArn && e.statement === undefined).map((e) => e.policyArn!)),
  ];
  return arns.map((policyArn) => ({
    ruleId: 'codebuild.role-least-privilege' as const,
    resourceArn: role.Arn,
    dryRun: isDryRun('codebuild.role-least-privilege', guardrails),
    write: { type: 'DetachRolePolicy' as const, roleName: role.RoleName, policyArn },
    before: role.AttachedManagedPolicies.map((p) => p.PolicyArn),
    after: role.AttachedManagedPolicies.map((p) => p.PolicyArn).filter((arn) => arn !== policyArn),
  }));
}

// ---------------------------------------------------------------------------------------------------------
// The roles remediation may write to

/**
 * A role write planned for a role outside `remediableRoles` becomes a refusal: the violation is reported once,
 * saying why, and no call is made that IAM would deny (a denied write would only retry into the failure queue).
 */
export function confineToRemediableRoles(plan: PlannedChange, pattern: string): PlannedChange {
  const write = plan.write;
  if (write?.type !== 'PutRolePolicy' && write?.type !== 'DetachRolePolicy') return plan;
  if (isRemediableRole(plan.resourceArn, pattern)) return plan;
  const { write: _write, ...rest } = plan;
  return {
    ...rest,
    refused: `role ${write.roleName} is outside remediableRoles (${pattern}): buildwarden may not change it; fix it by hand or widen remediableRoles`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// codebuild.project-visibility

/** Makes a PUBLIC_READ project PRIVATE, only in mode remediate (the default is report). */
export function planProjectVisibility(
  project: Project,
  finding: Finding,
  guardrails: Guardrails,
): PlannedChange | undefined {
  if (finding.ruleId !== 'codebuild.project-visibility' || !fixable(finding, guardrails)) return undefined;
  return {
    ruleId: 'codebuild.project-visibility',
    resourceArn: project.arn,
    dryRun: isDryRun('codebuild.project-visibility', guardrails),
    write: { type: 'UpdateProjectVisibility', projectArn: project.arn, projectVisibility: 'PRIVATE' },
    before: project.projectVisibility ?? 'PRIVATE',
    after: 'PRIVATE',
  };
}

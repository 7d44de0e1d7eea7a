/**
 * Runs the guardrail rules over an account view: the one place where rule outcomes become findings
 * (severity from config, exemptions applied, rules in mode `off` skipped).
 */
import type { Finding, ResourceType } from './findings';
import { compareFindings } from './findings';
import type { Guardrails, RuleId } from './guardrails';
import { RULE_IDS } from './guardrails';
import { EXEMPT_TAG, exemptionFor, type ExemptionTarget } from './exemptions';
import type { Project, Repository } from './model';
import { repositoryRules } from './rules/ecr';
import { projectRules } from './rules/project';
import type { AccountView, ProjectRule, RepositoryRule, RuleContext, RuleOutcome } from './rules/types';

/** Rules that need the joined repository reads (lifecycle policy, repository policy). */
const DETAIL_RULES = new Set<RuleId>(['ecr.lifecycle-policy', 'ecr.repository-policy']);

export interface EvaluateOptions {
  now: Date;
  /** Restrict to these rules (default: every rule whose mode is not `off`). */
  ruleIds?: readonly RuleId[];
}

export function activeRules(guardrails: Guardrails, only?: readonly RuleId[]): Set<RuleId> {
  return new Set(
    RULE_IDS.filter((id) => guardrails.rules[id].mode !== 'off' && (!only || only.includes(id))),
  );
}

export function toFinding(
  ruleId: RuleId,
  resourceType: ResourceType,
  resourceArn: string,
  outcome: RuleOutcome,
  guardrails: Guardrails,
  exemptBecause: string | undefined,
): Finding {
  const exempt = exemptBecause !== undefined && outcome.status !== 'compliant';
  return {
    ruleId,
    resourceType,
    resourceArn,
    status: exempt ? 'exempt' : outcome.status,
    severity: guardrails.rules[ruleId].severity,
    message: exempt ? `${outcome.message} (exempt: ${exemptBecause})` : outcome.message,
    // Exempt resources are never changed, so an exempt finding is never remediable.
    remediable: !exempt && outcome.status === 'violation' && outcome.remediable === true,
    ...(outcome.details || exempt
      ? { details: { ...outcome.details, ...(exempt ? { exemption: exemptBecause } : {}) } }
      : {}),
  };
}

export function repositoryExemptionTarget(repository: Repository): ExemptionTarget {
  const tag = repository.tags?.find((t) => t.Key === EXEMPT_TAG)?.Value;
  return {
    kind: 'repository',
    name: repository.repositoryName,
    ...(tag !== undefined ? { exemptTag: tag } : {}),
  };
}

/** Every active repository rule on one repository. */
export function evaluateRepository(repository: Repository, ctx: RuleContext, rules: Set<RuleId>): Finding[] {
  const target = repositoryExemptionTarget(repository);
  const unreadable = ctx.view.unreadable?.[repository.repositoryArn];
  const findings: Finding[] = [];
  for (const [ruleId, rule] of Object.entries(repositoryRules) as [RuleId, RepositoryRule][]) {
    if (!rules.has(ruleId)) continue;
    const outcome: RuleOutcome =
      unreadable !== undefined && DETAIL_RULES.has(ruleId)
        ? { status: 'not-visible', message: `repository details could not be read (${unreadable})` }
        : rule(repository, ctx);
    findings.push(
      toFinding(
        ruleId,
        'AWS::ECR::Repository',
        repository.repositoryArn,
        outcome,
        ctx.guardrails,
        exemptionFor(target, ruleId, ctx.guardrails),
      ),
    );
  }
  return findings;
}

export function projectExemptionTarget(project: Project): ExemptionTarget {
  const tag = project.tags?.find((t) => t.key === EXEMPT_TAG)?.value;
  return { kind: 'project', name: project.name, ...(tag !== undefined ? { exemptTag: tag } : {}) };
}

/** Every active CodeBuild project rule on one project. */
export function evaluateProject(project: Project, ctx: RuleContext, rules: Set<RuleId>): Finding[] {
  const target = projectExemptionTarget(project);
  const findings: Finding[] = [];
  for (const [ruleId, rule] of Object.entries(projectRules) as [RuleId, ProjectRule][]) {
    if (!rules.has(ruleId)) continue;
    findings.push(
      toFinding(
        ruleId,
        'AWS::CodeBuild::Project',
        project.arn,
        rule(project, ctx),
        ctx.guardrails,
        exemptionFor(target, ruleId, ctx.guardrails),
      ),
    );
  }
  return findings;
}

/** The whole account: every repository, project and service role, worst findings first. */
export function evaluateAccount(
  view: AccountView,
  guardrails: Guardrails,
  options: EvaluateOptions,
): Finding[] {
  const ctx: RuleContext = { view, guardrails, now: options.now };
  const rules = activeRules(guardrails, options.ruleIds);
  const findings: Finding[] = [];
  for (const repository of view.repositories) findings.push(...evaluateRepository(repository, ctx, rules));
  for (const project of view.projects) findings.push(...evaluateProject(project, ctx, rules));
  return findings.sort(compareFindings);
}

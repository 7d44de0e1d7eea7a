/**
 * Remediation plans: for a resource's current state and its findings, the smallest writes that make it
 * compliant — or why a fix is refused. Pure: the use case applies the writes through the Remediator port.
 * Each rule plans its own fix (its definition's `remediation.plan`, in its module); this module decides which
 * findings may be fixed and asks their rules. Plans are computed from current state, so a second run over a
 * fixed resource plans nothing (idempotent).
 */
import type { Finding } from './findings';
import type { Guardrails, RuleId } from './guardrails';
import type { Project, RegistryScanningConfiguration, Repository, Role } from './model';
import { isRemediableRole } from './remediable-roles';
import type { AnyRuleDefinition, PlanContext, ProposedFix, RegistrySubject } from './rules/definition';
import { isAdministratorClassAwsPolicy } from './rules/codebuild/role-least-privilege';
import { ruleById } from './rules/index';

import type { WriteType } from './writes';

export type { RemediationWrite } from './writes';

export interface PlannedChange extends ProposedFix {
  ruleId: RuleId;
  resourceArn: string;
  /** Whether dry run (global or the rule's) keeps the write from being applied. */
  dryRun: boolean;
}

/** The resource a finding is about, with the scope of the rules that judge it. */
export type RemediationTarget =
  | { scope: 'repository'; resource: Repository }
  | { scope: 'project'; resource: Project }
  | { scope: 'service-role'; resource: Role }
  | { scope: 'registry'; resource: RegistrySubject };

/**
 * Whether a finding may be fixed: a violation of a rule in mode remediate, remediable — or, for a rule whose
 * fix is partial (it never makes the finding remediable), any violation. Exempt findings are never fixed.
 */
function fixable(rule: AnyRuleDefinition<RuleId>, finding: Finding, guardrails: Guardrails): boolean {
  return (
    finding.status === 'violation' &&
    (finding.remediable || rule.remediation?.partial === true) &&
    guardrails.rules[rule.id].mode === 'remediate'
  );
}

function isDryRun(ruleId: RuleId, guardrails: Guardrails): boolean {
  return guardrails.dryRun || guardrails.rules[ruleId].dryRun;
}

function propose(
  rule: AnyRuleDefinition<RuleId>,
  target: RemediationTarget,
  finding: Finding,
  context: PlanContext,
): ProposedFix | readonly ProposedFix[] | undefined {
  switch (target.scope) {
    case 'repository':
      return rule.scope === 'repository'
        ? rule.remediation?.plan(target.resource, finding, context)
        : undefined;
    case 'project':
      return rule.scope === 'project' ? rule.remediation?.plan(target.resource, finding, context) : undefined;
    case 'service-role':
      return rule.scope === 'service-role'
        ? rule.remediation?.plan(target.resource, finding, context)
        : undefined;
    case 'registry': {
      if (rule.scope !== 'registry' || rule.resource !== target.resource.resource) return undefined;
      // The subject is of the rule's resource kind (checked above).
      const plan = rule.remediation?.plan as
        | ((resource: RegistrySubject, finding: Finding, ctx: PlanContext) => ReturnType<typeof propose>)
        | undefined;
      return plan?.(target.resource, finding, context);
    }
  }
}

function arnOf(target: RemediationTarget): string {
  switch (target.scope) {
    case 'repository':
      return target.resource.repositoryArn;
    case 'project':
      return target.resource.arn;
    case 'service-role':
      return target.resource.Arn;
    case 'registry':
      return target.resource.arn;
  }
}

/**
 * A fix whose write type the rule does not declare among its `writes` is refused: the change handler is
 * granted only the declared writes' IAM actions, so the call would be denied.
 */
export function withinDeclaredWrites(
  ruleId: string,
  writes: readonly WriteType[],
  fix: ProposedFix,
): ProposedFix {
  if (!fix.write || writes.includes(fix.write.type)) return fix;
  const { write, ...rest } = fix;
  return {
    ...rest,
    refused: `${write.type} is not among the writes rule ${ruleId} declares, so it is not granted`,
  };
}

/** Plans the fixes for one resource's findings (from evaluating its current state), in the findings' order. */
export function planRemediation(
  target: RemediationTarget,
  findings: readonly Finding[],
  context: PlanContext,
): PlannedChange[] {
  const plans: PlannedChange[] = [];
  for (const finding of findings) {
    const rule = ruleById(finding.ruleId);
    if (!rule?.remediation || rule.scope !== target.scope || !fixable(rule, finding, context.guardrails)) {
      continue;
    }
    const proposed = propose(rule, target, finding, context);
    for (const fix of [proposed ?? []].flat()) {
      plans.push({
        ruleId: rule.id,
        resourceArn: arnOf(target),
        dryRun: isDryRun(rule.id, context.guardrails),
        ...withinDeclaredWrites(rule.id, rule.remediation.writes, fix),
      });
    }
  }
  return plans;
}

/** Plans the fixes for one repository's findings (from evaluateRepository on its current state). */
export function planRepositoryRemediation(
  repository: Repository,
  findings: readonly Finding[],
  context: { guardrails: Guardrails; registryScanning?: RegistryScanningConfiguration; now: Date },
): PlannedChange[] {
  return planRemediation({ scope: 'repository', resource: repository }, findings, context);
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

/**
 * A detach of a policy that is neither administrator-class AWS managed nor listed in `detachablePolicyArns`
 * becomes a refusal: the change handler's grant allows only those (an `iam:PolicyARN` condition), so IAM would
 * deny the call and the event would only retry into the failure queue.
 */
export function confineToDetachablePolicies(
  plan: PlannedChange,
  detachablePolicyArns: readonly string[],
): PlannedChange {
  const write = plan.write;
  if (write?.type !== 'DetachRolePolicy') return plan;
  if (isAdministratorClassAwsPolicy(write.policyArn) || detachablePolicyArns.includes(write.policyArn))
    return plan;
  const { write: _write, ...rest } = plan;
  return {
    ...rest,
    refused: `policy ${write.policyArn} is not administrator-class and not listed in detachablePolicyArns: buildwarden may not detach it from role ${write.roleName}; detach it by hand or add its ARN to detachablePolicyArns`,
  };
}

/**
 * A repository creation template written with a `customRoleArn` needs `iam:PassRole` on that role, which the
 * change handler is not granted: such a write becomes a refusal (reported with the reason) rather than a call
 * IAM would deny.
 */
export function confineToGrantedTemplateWrites(plan: PlannedChange): PlannedChange {
  const write = plan.write;
  if (
    write?.type !== 'CreateRepositoryCreationTemplate' &&
    write?.type !== 'UpdateRepositoryCreationTemplate'
  ) {
    return plan;
  }
  if (write.customRoleArn === undefined) return plan;
  const { write: _write, ...rest } = plan;
  return {
    ...rest,
    refused: `the template for ${write.prefix} needs customRoleArn ${write.customRoleArn}, and passing a role to ECR needs iam:PassRole, which buildwarden's change handler is not granted: ${write.type === 'CreateRepositoryCreationTemplate' ? 'create' : 'update'} it by hand`,
  };
}

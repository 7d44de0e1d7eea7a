/**
 * Runs the guardrail rules over an account view: the one place where rule outcomes become findings
 * (severity from config, exemptions applied, rules in mode `off` skipped).
 */
import type { Finding, ResourceType } from './findings';
import { compareFindings } from './findings';
import type { Guardrails, RuleId } from './guardrails';
import { RULE_IDS } from './guardrails';
import { EXEMPT_TAG, exemptionFor, exemptTagNotes, type ExemptionTarget } from './exemptions';
import { describeUnreadable, type ManagedPolicy, type Project, type Repository } from './model';
import { projectRules, repositoryRules } from './rules/index';
import { projectForRules } from './redaction';
import { evaluateRoleCanPush } from './rules/codebuild/role-can-push';
import { evaluateRoleLeastPrivilege } from './rules/codebuild/role-least-privilege';
import { evaluateRoleTrustPolicy } from './rules/codebuild/role-trust-policy';
import type { ActionCatalog } from './iam/actions';
import { outsideReferences, readNamespaces } from './references';
import { resolveTargetRepository } from './target-repository';
import type { Role } from './model';
import type { AccountView, ProjectRule, RepositoryRule, RuleContext, RuleOutcome } from './rules/types';

/** Rules that need the joined repository reads (lifecycle policy, repository policy). */
const DETAIL_RULES = new Set<RuleId>(['ecr.lifecycle-policy', 'ecr.repository-policy']);

export interface EvaluateOptions {
  now: Date;
  /** IAM action catalogue: when given, unknown or misspelled actions in role policies are reported. */
  actionCatalog?: ActionCatalog;
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
  notes: readonly string[] = [],
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
    ...(notes.length > 0 ? { notes: [...notes] } : {}),
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
  const notes = exemptTagNotes(target.exemptTag);
  const unreadable =
    ctx.view.unreadable?.[repository.repositoryArn] ??
    (repository.unreadable ? describeUnreadable(repository.unreadable) : undefined);
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
        notes,
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
  const notes = exemptTagNotes(target.exemptTag);
  const findings: Finding[] = [];
  // A snapshot's redacted credentials are judged as the originals were (lib/policy/redaction.ts).
  const judged = projectForRules(project);
  const unreadable: RuleOutcome | undefined = project.unreadable && {
    status: 'not-visible',
    message: `project ${project.name} could not be read (${describeUnreadable(project.unreadable)})`,
  };
  for (const [ruleId, rule] of Object.entries(projectRules) as [RuleId, ProjectRule][]) {
    if (!rules.has(ruleId)) continue;
    findings.push(
      toFinding(
        ruleId,
        'AWS::CodeBuild::Project',
        project.arn,
        unreadable ?? rule(judged, ctx),
        ctx.guardrails,
        exemptionFor(target, ruleId, ctx.guardrails),
        notes,
      ),
    );
  }
  return findings;
}

const ROLE_RULES: RuleId[] = [
  'codebuild.role-can-push',
  'codebuild.role-least-privilege',
  'codebuild.role-trust-policy',
];

/** A project's service role ARN may be given by name; resolve either to a role of the view. */
function findRole(
  roles: { byArn: Map<string, Role>; byName: Map<string, Role> },
  serviceRole: string,
): Role | undefined {
  if (serviceRole.startsWith('arn:')) return roles.byArn.get(serviceRole);
  return roles.byName.get(serviceRole.slice(serviceRole.lastIndexOf('/') + 1));
}

function roleExemption(
  role: Role | undefined,
  projects: Project[],
  ruleId: RuleId,
  guardrails: Guardrails,
): string | undefined {
  const tag = role?.Tags?.find((t) => t.Key === EXEMPT_TAG)?.Value;
  const byTag = role
    ? exemptionFor(
        { kind: 'role', name: role.RoleName, ...(tag !== undefined ? { exemptTag: tag } : {}) },
        ruleId,
        guardrails,
      )
    : undefined;
  if (byTag) return byTag;
  // A shared role is exempt only when every project using it is.
  const reasons = projects.map((p) => exemptionFor(projectExemptionTarget(p), ruleId, guardrails));
  return reasons.length > 0 && reasons.every(Boolean) ? reasons[0] : undefined;
}

/**
 * The project → role → repository join: each project's service role is judged for the repository the
 * project pushes to. A role shared by several projects is evaluated once per target repository
 * (role-can-push) and once in all (trust policy, least privilege).
 */
export function evaluateServiceRoles(
  ctx: RuleContext,
  rules: Set<RuleId>,
  projects: readonly Project[],
  actionCatalog?: ActionCatalog,
): Finding[] {
  if (!ROLE_RULES.some((r) => rules.has(r))) return [];
  const { view, guardrails } = ctx;
  const roleIndex = {
    byArn: new Map(view.roles.map((r) => [r.Arn, r])),
    byName: new Map(view.roles.map((r) => [r.RoleName, r])),
  };
  const repositoriesByArn = new Map(view.repositories.map((r) => [r.repositoryArn, r]));
  const policiesByArn = new Map(view.policies.map((p) => [p.Arn, p]));
  const byRole = new Map<string, { role: Role | undefined; projects: Project[] }>();
  for (const project of projects) {
    if (!project.serviceRole) continue;
    const role = findRole(roleIndex, project.serviceRole);
    const key = role?.Arn ?? project.serviceRole;
    const entry = byRole.get(key) ?? { role, projects: [] };
    entry.projects.push(project);
    byRole.set(key, entry);
  }
  const findings: Finding[] = [];
  const emit = (
    ruleId: RuleId,
    roleArn: string,
    outcome: RuleOutcome,
    role: Role | undefined,
    users: Project[],
  ) => {
    if (!rules.has(ruleId)) return;
    const withProjects = { ...outcome, details: { ...outcome.details, projects: users.map((p) => p.name) } };
    findings.push(
      toFinding(
        ruleId,
        'AWS::IAM::Role',
        roleArn,
        withProjects,
        guardrails,
        roleExemption(role, users, ruleId, guardrails),
        exemptTagNotes(role?.Tags?.find((t) => t.Key === EXEMPT_TAG)?.Value),
      ),
    );
  };
  const envVarNames = guardrails.targetRepository.environmentVariables;
  for (const [roleArn, { role, projects: users }] of byRole) {
    if (!role) {
      const outcome: RuleOutcome = {
        status: 'not-visible',
        message: view.rolesUnreadable
          ? `service role ${roleArn} could not be read: ${view.rolesUnreadable}`
          : `service role ${roleArn} is not visible in the account's IAM data`,
      };
      for (const ruleId of ROLE_RULES) emit(ruleId, roleArn, outcome, undefined, users);
      continue;
    }
    if (role.unreadable) {
      const outcome: RuleOutcome = {
        status: 'not-visible',
        message: `service role ${role.RoleName || roleArn} could not be read (${describeUnreadable(role.unreadable)})`,
      };
      for (const ruleId of ROLE_RULES) emit(ruleId, roleArn, outcome, role, users);
      continue;
    }
    // A managed policy the role uses that could not be read hides what the role may do (not its trust policy).
    const unreadablePolicy = unreadablePolicyOf(role, policiesByArn);
    emit('codebuild.role-trust-policy', role.Arn, evaluateRoleTrustPolicy(role), role, users);

    // Group the projects by the repository they push to.
    const byTarget = new Map<string, { arn?: string; reason?: string; projects: Project[] }>();
    for (const project of users) {
      const target = resolveTargetRepository(project, view, envVarNames);
      // Only image builds push, so only they need push rights: privileged (docker-in-docker), tagged as an
      // image build, or naming a target repository.
      const buildsImages =
        project.environment?.privilegedMode === true ||
        project.tags?.some(
          (t) => t.key === 'buildwarden:docker-build' && t.value?.toLowerCase() === 'true',
        ) ||
        target.status === 'resolved';
      if (!buildsImages) continue;
      const key = target.status === 'resolved' ? target.repositoryArn : `?${project.name}`;
      const entry =
        byTarget.get(key) ??
        (target.status === 'resolved'
          ? { arn: target.repositoryArn, projects: [] }
          : { reason: target.reason, projects: [] });
      entry.projects.push(project);
      byTarget.set(key, entry);
    }
    const targets = [...byTarget.values()].filter((t) => t.arn).map((t) => t.arn!);
    // Each project is held to its own namespaces (`{name}` = its name), the same the provisioning API uses.
    const outside = users.flatMap((p) => outsideReferences(p, guardrails.provisioning, view));
    emit(
      'codebuild.role-least-privilege',
      role.Arn,
      unreadablePolicy ??
        evaluateRoleLeastPrivilege({
          role,
          policies: view.policies,
          ...(targets.length === 1 ? { ownRepositoryArn: targets[0] } : {}),
          forbiddenManagedPolicies:
            guardrails.rules['codebuild.role-least-privilege'].forbiddenManagedPolicies,
          ...(actionCatalog ? { actionCatalog } : {}),
          ...(outside.length > 0 ? { outsideReferences: outside } : {}),
          readNamespaces: readNamespaces(users, guardrails.provisioning, view),
        }),
      role,
      users,
    );
    for (const target of byTarget.values()) {
      if (!target.arn) {
        const names = target.projects.map((p) => p.name).join(', ');
        emit(
          'codebuild.role-can-push',
          role.Arn,
          { status: 'not-visible', message: `target repository of ${names} is unknown: ${target.reason}` },
          role,
          target.projects,
        );
        continue;
      }
      const repository = repositoriesByArn.get(target.arn);
      emit(
        'codebuild.role-can-push',
        role.Arn,
        unreadablePolicy ??
          evaluateRoleCanPush({
            role,
            policies: view.policies,
            repositoryArn: target.arn,
            ...(repository?.repositoryPolicyText
              ? { repositoryPolicyText: repository.repositoryPolicyText }
              : {}),
            requireCachePull: guardrails.rules['codebuild.role-can-push'].requireCachePull,
          }),
        role,
        target.projects,
      );
    }
  }
  return findings;
}

/** The first managed policy (attached, or the boundary) of the role that could not be read, as an outcome. */
function unreadablePolicyOf(role: Role, policies: Map<string, ManagedPolicy>): RuleOutcome | undefined {
  const arns = [
    ...role.AttachedManagedPolicies.map((p) => p.PolicyArn),
    ...(role.PermissionsBoundary ? [role.PermissionsBoundary.PermissionsBoundaryArn] : []),
  ];
  for (const arn of arns) {
    const policy = policies.get(arn);
    if (!policy?.unreadable) continue;
    return {
      status: 'not-visible',
      message:
        `role ${role.RoleName}: managed policy ${policy.PolicyName ? `${policy.PolicyName} (${arn})` : arn} ` +
        `could not be read ` +
        `(${describeUnreadable(policy.unreadable)})`,
      details: { unreadablePolicy: arn },
    };
  }
  return undefined;
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
  findings.push(...evaluateServiceRoles(ctx, rules, view.projects, options.actionCatalog));
  return findings.sort(compareFindings);
}

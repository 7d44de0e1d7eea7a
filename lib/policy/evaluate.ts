/**
 * Runs the rules of the registry (lib/policy/rules/index.ts) over an account view: the one place where rule
 * outcomes become findings (severity from config, exemptions applied, rules in mode `off` skipped).
 * Repository and project rules judge one resource each; service-role rules meet the projects through the
 * project → role → repository join below.
 */
import type { Finding, ResourceType } from './findings';
import { compareFindings } from './findings';
import type { Guardrails, RuleId } from './guardrails';
import { EXEMPT_TAG, exemptionFor, exemptTagNotes, type ExemptionTarget } from './exemptions';
import { describeUnreadable, type ManagedPolicy, type Project, type Repository, type Role } from './model';
import { projectForRules } from './redaction';
import type { ActionCatalog } from './iam/actions';
import { DOCKER_BUILD_TAG } from './rules/codebuild/privileged-mode';
import {
  ROLE_JOINS,
  type AnyRegistryRule,
  type RegistrySubject,
  type RegistrySubjects,
  type RoleSubject,
} from './rules/definition';
import { PROJECT_RULES, REGISTRY_RULES, REPOSITORY_RULES, RULE_IDS, SERVICE_ROLE_RULES } from './rules/index';
import {
  coveringTemplate,
  creationNeeds,
  normalPrefix,
  registryResourceArn,
  whyUnknown,
  type RegistryResource,
} from './registry-settings';
import { resolveTargetRepository } from './target-repository';
import type { AccountView, RuleContext, RuleOutcome } from './rules/types';

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
  for (const rule of REPOSITORY_RULES) {
    if (!rules.has(rule.id)) continue;
    const outcome: RuleOutcome =
      unreadable !== undefined && rule.reads.includes('repository-details')
        ? { status: 'not-visible', message: `repository details could not be read (${unreadable})` }
        : rule.evaluate(repository, ctx);
    findings.push(
      toFinding(
        rule.id,
        rule.resourceType,
        repository.repositoryArn,
        outcome,
        ctx.guardrails,
        exemptionFor(target, rule.id, ctx.guardrails),
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
  for (const rule of PROJECT_RULES) {
    if (!rules.has(rule.id)) continue;
    findings.push(
      toFinding(
        rule.id,
        rule.resourceType,
        project.arn,
        unreadable ?? rule.evaluate(judged, ctx),
        ctx.guardrails,
        exemptionFor(target, rule.id, ctx.guardrails),
        notes,
      ),
    );
  }
  return findings;
}

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
  projects: readonly Project[],
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

/** Only image builds push: privileged (docker-in-docker), tagged as an image build, or naming a target. */
function buildsImages(project: Project, targetResolved: boolean): boolean {
  return (
    project.environment?.privilegedMode === true ||
    project.tags?.some((t) => t.key === DOCKER_BUILD_TAG && t.value?.toLowerCase() === 'true') === true ||
    targetResolved
  );
}

/**
 * The project → role → repository join: each project's service role is judged with the projects using it.
 * Each active service-role rule says how it meets them (its `join`): once per role (`role`), once per role
 * with all its projects (`projects`), or once per target repository of the role's image-building projects
 * (`target-repository`); a role shared by several projects is judged once in all, or once per target. A role
 * that cannot be read, or is not in the view, is `not-visible` for every rule.
 */
export function evaluateServiceRoles(
  ctx: RuleContext,
  rules: Set<RuleId>,
  projects: readonly Project[],
): Finding[] {
  const active = SERVICE_ROLE_RULES.filter((rule) => rules.has(rule.id));
  if (active.length === 0) return [];
  // Findings per role come out join by join (ROLE_JOINS order), registry order within one join.
  const byJoin = ROLE_JOINS.flatMap((join) => active.filter((rule) => rule.join === join));
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
    resourceType: ResourceType,
    roleArn: string,
    outcome: RuleOutcome,
    role: Role | undefined,
    users: readonly Project[],
  ) => {
    const withProjects = { ...outcome, details: { ...outcome.details, projects: users.map((p) => p.name) } };
    findings.push(
      toFinding(
        ruleId,
        resourceType,
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
    if (!role || role.unreadable) {
      const outcome: RuleOutcome = !role
        ? {
            status: 'not-visible',
            message: view.rolesUnreadable
              ? `service role ${roleArn} could not be read: ${view.rolesUnreadable}`
              : `service role ${roleArn} is not visible in the account's IAM data`,
          }
        : {
            status: 'not-visible',
            message: `service role ${role.RoleName || roleArn} could not be read (${describeUnreadable(role.unreadable!)})`,
          };
      for (const rule of active) emit(rule.id, rule.resourceType, roleArn, outcome, role, users);
      continue;
    }
    // A managed policy the role uses that could not be read hides what the role may do (not its trust policy).
    const unreadablePolicy = unreadablePolicyOf(role, policiesByArn);
    const subject = (which: readonly Project[]): RoleSubject => ({
      role,
      projects: which,
      ...(unreadablePolicy ? { unreadablePolicy } : {}),
    });

    // Group the image-building projects by the repository they push to.
    const byTarget = new Map<string, { arn?: string; reason?: string; projects: Project[] }>();
    for (const project of users) {
      const target = resolveTargetRepository(project, view, envVarNames);
      if (!buildsImages(project, target.status === 'resolved')) continue;
      const key = target.status === 'resolved' ? target.repositoryArn : `?${project.name}`;
      const entry =
        byTarget.get(key) ??
        (target.status === 'resolved'
          ? { arn: target.repositoryArn, projects: [] }
          : { reason: target.reason, projects: [] });
      entry.projects.push(project);
      byTarget.set(key, entry);
    }
    const targetRepositoryArns = [...byTarget.values()].filter((t) => t.arn).map((t) => t.arn!);

    for (const rule of byJoin) {
      switch (rule.join) {
        case 'role':
          emit(rule.id, rule.resourceType, role.Arn, rule.evaluate(subject(users), ctx), role, users);
          break;
        case 'projects':
          emit(
            rule.id,
            rule.resourceType,
            role.Arn,
            rule.evaluate({ ...subject(users), targetRepositoryArns }, ctx),
            role,
            users,
          );
          break;
        case 'target-repository':
          for (const target of byTarget.values()) {
            const outcome: RuleOutcome = target.arn
              ? rule.evaluate(
                  {
                    ...subject(target.projects),
                    repositoryArn: target.arn,
                    ...optional('repository', repositoriesByArn.get(target.arn)),
                  },
                  ctx,
                )
              : {
                  status: 'not-visible',
                  message: `target repository of ${target.projects.map((p) => p.name).join(', ')} is unknown: ${target.reason}`,
                };
            emit(rule.id, rule.resourceType, role.Arn, outcome, role, target.projects);
          }
          break;
      }
    }
  }
  return findings;
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

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

// ---------------------------------------------------------------------------------------------------------
// Registry-level resources

/** The registry-level resources of one kind in the view, or why they could not be listed (`unknown`). */
export interface RegistryListing<K extends RegistryResource> {
  subjects: RegistrySubjects[K][];
  /** When the resources could not be (fully) listed: the identifier a not-visible finding is reported on. */
  unknown?: { arn: string; reason: string };
}

/**
 * The subjects of a registry rule of kind `resource`: the replication configuration and the registry policy
 * (one each), each pull through cache rule, and each repository creation template together with every
 * repository-creation path in use that no template covers (at the prefix its template should have).
 */
export function registrySubjectsOf<K extends RegistryResource>(
  resource: K,
  view: AccountView,
): RegistryListing<K> {
  const settings = view.registrySettings ?? {};
  const scope = { partition: view.partition, region: view.region, accountId: view.accountId };
  const arn = (name?: string) => registryResourceArn(scope, resource, name);
  const listing = (subjects: RegistrySubject[], reason?: string, name?: string): RegistryListing<K> =>
    ({
      subjects,
      ...(reason ? { unknown: { arn: arn(name), reason } } : {}),
    }) as RegistryListing<K>;
  switch (resource) {
    case 'replication-configuration': {
      const read = settings.replicationConfiguration;
      if (!read?.known) return listing([], whyUnknown(read, 'replicationConfiguration'));
      return listing([{ resource, arn: arn(), configuration: read.value }]);
    }
    case 'registry-policy': {
      const read = settings.registryPolicyText;
      if (!read?.known) return listing([], whyUnknown(read, 'registryPolicyText'));
      return listing([{ resource, arn: arn(), policyText: read.value }]);
    }
    case 'pull-through-cache-rule': {
      const read = settings.pullThroughCacheRules;
      if (!read?.known) return listing([], whyUnknown(read, 'pullThroughCacheRules'), '*');
      return listing(
        read.value.map((rule) => ({
          resource: 'pull-through-cache-rule' as const,
          arn: arn(normalPrefix(rule.ecrRepositoryPrefix)),
          rule,
        })),
      );
    }
    default: {
      const read = settings.repositoryCreationTemplates;
      if (!read?.known) return listing([], whyUnknown(read, 'repositoryCreationTemplates'), '*');
      const byPrefix = new Map<string, RegistrySubjects['repository-creation-template']>();
      const subjectAt = (prefix: string) => {
        let subject = byPrefix.get(prefix);
        if (!subject) {
          subject = {
            resource: 'repository-creation-template',
            arn: arn(prefix),
            prefix,
            serves: [],
            misses: [],
          };
          byPrefix.set(prefix, subject);
        }
        return subject;
      };
      for (const template of read.value) subjectAt(normalPrefix(template.prefix)).template = template;
      const { needs, unknown } = creationNeeds(settings);
      for (const need of needs) {
        const covering = coveringTemplate(read.value, need);
        if (covering) subjectAt(normalPrefix(covering.prefix)).serves.push(need);
        else subjectAt(need.prefix).misses.push(need);
      }
      const reason =
        unknown.length > 0
          ? `${unknown.join('; ')}: whether every repository-creation path in use has a template is not known`
          : undefined;
      return listing([...byPrefix.values()], reason, '*');
    }
  }
}

/** The registry rule on one of its subjects (subjects come from registrySubjectsOf of the rule's resource). */
function judgeRegistrySubject(
  rule: AnyRegistryRule<RuleId>,
  subject: RegistrySubject,
  ctx: RuleContext,
): RuleOutcome {
  return (rule.evaluate as (subject: RegistrySubject, ctx: RuleContext) => RuleOutcome)(subject, ctx);
}

/**
 * Every active registry rule on the registry-level resources of the view (those `concerns` accepts: a change
 * event judges the resources it may have affected). Registry-level resources carry no tags and no names the
 * exemptions match: a rule's mode decides. When a kind of resource could not be listed, one not-visible
 * finding says why.
 */
export function evaluateRegistry(
  ctx: RuleContext,
  rules: Set<RuleId>,
  concerns: (subject: RegistrySubject) => boolean = () => true,
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of REGISTRY_RULES) {
    if (!rules.has(rule.id)) continue;
    const { subjects, unknown } = registrySubjectsOf(rule.resource, ctx.view);
    for (const subject of subjects as RegistrySubject[]) {
      if (!concerns(subject)) continue;
      const outcome = judgeRegistrySubject(rule, subject, ctx);
      findings.push(toFinding(rule.id, rule.resourceType, subject.arn, outcome, ctx.guardrails, undefined));
    }
    if (unknown) {
      const outcome: RuleOutcome = { status: 'not-visible', message: unknown.reason };
      findings.push(toFinding(rule.id, rule.resourceType, unknown.arn, outcome, ctx.guardrails, undefined));
    }
  }
  return findings;
}

/** The whole account: every repository, project, service role and registry setting, worst findings first. */
export function evaluateAccount(
  view: AccountView,
  guardrails: Guardrails,
  options: EvaluateOptions,
): Finding[] {
  const ctx: RuleContext = {
    view,
    guardrails,
    now: options.now,
    ...(options.actionCatalog ? { actionCatalog: options.actionCatalog } : {}),
  };
  const rules = activeRules(guardrails, options.ruleIds);
  const findings: Finding[] = [];
  for (const repository of view.repositories) findings.push(...evaluateRepository(repository, ctx, rules));
  for (const project of view.projects) findings.push(...evaluateProject(project, ctx, rules));
  findings.push(...evaluateServiceRoles(ctx, rules, view.projects));
  // A view with no registry settings read (a provisioning plan's) holds no registry-level resources.
  if (view.registrySettings) findings.push(...evaluateRegistry(ctx, rules));
  return findings.sort(compareFindings);
}

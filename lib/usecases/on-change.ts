/**
 * Reacting to a change event: re-read the resource the event names, evaluate its current state, apply the
 * fixes the guardrails allow, and notify once per event (every action and violation in one message). The event is a hint; the account is the truth.
 */
import { NotFoundError } from '../errors';
import type {
  AccountInfo,
  FindingsStore,
  IdentityReader,
  Notification,
  Notifier,
  OrganizationReader,
  ProjectReader,
  RegistryReader,
  Remediator,
  SecurityHubPublisher,
} from '../ports';
import type { ChangeEvent, ChangeTarget } from '../policy/change-events';
import { skipReason } from '../policy/change-events';
import {
  activeRules,
  evaluateProject,
  evaluateRegistry,
  evaluateRepository,
  evaluateServiceRoles,
  registrySubjectsOf,
} from '../policy/evaluate';
import { AFFECTED_BY, concernsPrefix } from '../policy/registry-settings';
import type { RegistrySubject } from '../policy/rules/definition';
import { resolveTargetRepository } from '../policy/target-repository';
import { repositoryArnOf } from '../policy/aws-facts';
import type { Finding } from '../policy/findings';
import type { FindingRecord } from '../policy/finding-state';
import type { Guardrails, RuleId } from '../policy/guardrails';
import type {
  ManagedPolicy,
  Project,
  RegistryScanningConfiguration,
  Repository,
  Role,
} from '../policy/model';
import { changeNotification, type ChangeItem } from '../policy/notifications';
import { DEFAULT_REMEDIABLE_ROLES } from '../policy/remediable-roles';
import {
  confineToDetachablePolicies,
  confineToGrantedTemplateWrites,
  confineToRemediableRoles,
  planRemediation,
  planRepositoryRemediation,
  type PlannedChange,
} from '../policy/remediation';
import { readsOf, REGISTRY_RULES, rulesOfScope, rulesReading } from '../policy/rules/index';
import { accountViewFor } from '../policy/snapshot';
import { recordResourceFindings } from './findings-state';
import type { AccountView, RuleContext } from '../policy/rules/types';
import { limiter, mapWithConcurrency } from '../concurrency';
import { readRegistrySettings } from './registry-settings';
import { readOrganization, type OrganizationFacts } from './organization';

export interface ChangeDeps {
  account: AccountInfo;
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  /** The account's organization (repository policies may share with it); absent = not read. */
  organization?: OrganizationReader;
  remediator: Remediator;
  notifier: Notifier;
  /** The findings state: the findings of the resources evaluated are recorded there; absent = not kept. */
  findingsStore?: FindingsStore;
  /** With a findings store, their findings also go to Security Hub (`securityHub: true`). */
  securityHub?: SecurityHubPublisher;
}

export interface ChangeOptions {
  now: Date;
  /** ARNs of buildwarden's own remediation role(s): events they cause are skipped (no loops). */
  ownRoleArns: readonly string[];
  /** Organization mode: the member role's name; events its sessions cause are skipped too (no loops). */
  memberRoleName?: string | undefined;
  /** Force dry run for this invocation (in addition to the guardrails' global and per-rule settings). */
  dryRun?: boolean;
  /**
   * The roles remediation may write to (`service-role/*` style: path and name after `role/`; default
   * DEFAULT_REMEDIABLE_ROLES, the template's default). A role outside is never written: its violations are
   * reported with the reason.
   */
  remediableRoles?: string;
  /**
   * Customer managed policies remediation may detach besides the administrator-class AWS managed ones (the
   * template's `detachablePolicyArns`; default none). Any other detach is refused and reported.
   */
  detachablePolicyArns?: readonly string[];
  /** Days a resolved finding is kept in the findings state (`findingsRetentionDays`, default 90). */
  retentionDays?: number;
}

export interface ChangeAction {
  ruleId: string;
  resourceArn: string;
  action: string;
  applied: boolean;
  before: unknown;
  after: unknown;
  /** Why the action was not applied (dry run, refused). */
  reason?: string;
}

export interface ChangeResult {
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
}

/** What is remembered of a handled event (its idempotency record): counts, never documents. */
export interface ChangeOutcome {
  skipped: string | null;
  actions: number;
  applied: number;
  notifications: number;
}

export function changeOutcome(result: ChangeResult): ChangeOutcome {
  return {
    skipped: result.skipped,
    actions: result.actions.length,
    applied: result.actions.filter((a) => a.applied).length,
    notifications: result.notifications.length,
  };
}

/**
 * A change event is handled once per EventBridge event id: the id stays the same when EventBridge or Lambda
 * delivers the event again, while two calls (even identical ones) are two events.
 */
export function changeEventKey(event: ChangeEvent): string {
  return `change|${event.eventId}`;
}

const REGISTRY_WRITE_ATTEMPTS = 3;

/** At most this many reads of one kind (roles, target repositories) in flight for one event. */
const READ_CONCURRENCY = 8;

function viewOf(deps: ChangeDeps, partial: Partial<AccountView>): AccountView {
  return accountViewFor(deps.account, partial);
}

class ChangeRun {
  readonly actions: ChangeAction[] = [];
  readonly notifications: Notification[] = [];
  /** Every action and violation of the run, in order, for its one notification. */
  private readonly items: ChangeItem[] = [];
  /** What was evaluated (before any fix): the findings of these resources, by these rules. */
  readonly evaluated: { resourceArns: string[]; findings: Finding[]; rules: ReadonlySet<RuleId> }[] = [];
  /** The findings state stored for a resource, read as soon as the resource is known (by ARN). */
  private readonly prior = new Map<string, Promise<FindingRecord[]>>();
  /** The stored state's reads start as resources are evaluated; at most READ_CONCURRENCY of them at a time. */
  private readonly priorReads = limiter(READ_CONCURRENCY);

  constructor(
    private readonly event: ChangeEvent,
    private readonly deps: ChangeDeps,
    private readonly guardrails: Guardrails,
    private readonly options: ChangeOptions,
  ) {}

  /**
   * Starts reading the findings state stored for these resources, when the findings state is kept: in flight
   * with the reads or the writes of the event instead of after them. A failed read is raised where it is used.
   */
  readPriorState(resourceArns: readonly string[]): void {
    const store = this.deps.findingsStore;
    if (!store || this.options.dryRun) return;
    const scope = { accountId: this.deps.account.accountId, region: this.deps.account.region };
    for (const arn of resourceArns) {
      if (this.prior.has(arn)) continue;
      const reading = this.priorReads(() => store.recordsOf(scope, arn));
      reading.catch(() => undefined);
      this.prior.set(arn, reading);
    }
  }

  /** The findings state stored for these resources (read by readPriorState unless already). */
  async priorState(resourceArns: readonly string[]): Promise<FindingRecord[]> {
    this.readPriorState(resourceArns);
    return (await Promise.all(resourceArns.map((arn) => this.prior.get(arn)!))).flat();
  }

  /** An evaluation, kept for the findings state, whose prior state is read from now on. */
  noteEvaluated(evaluation: ChangeRun['evaluated'][number]): void {
    this.evaluated.push(evaluation);
    this.readPriorState([...new Set(evaluation.resourceArns)]);
  }

  /** What happened to a finding, kept for the run's one notification. */
  private record(
    finding: Finding,
    outcome: ChangeItem['outcome'],
    change: { before: unknown; after: unknown; reason?: string },
  ): void {
    this.items.push({
      ruleId: finding.ruleId,
      resourceArn: finding.resourceArn,
      outcome,
      ...change,
      message: finding.message,
      ...(finding.notes ? { notes: finding.notes } : {}),
      severity: finding.severity,
    });
  }

  /**
   * The ONE notification of the event, listing every action and violation recorded; none when there is
   * nothing to say. `failure`: the handling stopped before the end (the event is retried), so what was already
   * done is still told.
   */
  async notifyOnce(failure?: string): Promise<void> {
    if (this.items.length === 0) return;
    const notification = changeNotification({
      items: this.items,
      principal: this.event.principal,
      eventName: this.event.eventName,
      region: this.deps.account.region,
      accountId: this.deps.account.accountId,
      ...(failure ? { failure } : {}),
    });
    await this.deps.notifier.publish(notification);
    this.notifications.push(notification);
  }

  /** Applies one planned change (unless dry run or refused), records it and notifies once. */
  async carryOut(plan: PlannedChange, finding: Finding): Promise<boolean> {
    const outcome = await this.attempt(plan);
    this.recordAction(plan, finding, outcome);
    return outcome.applied;
  }

  /**
   * Planned changes that do not depend on each other (each writes another attribute of its resource), applied
   * together — as many as the rules that planned them — and recorded in plan order. When one fails, what the
   * others did is recorded before its error is rethrown.
   */
  async carryOutTogether(planned: readonly { plan: PlannedChange; finding: Finding }[]): Promise<void> {
    const settled = await Promise.allSettled(planned.map(({ plan }) => this.attempt(plan)));
    const failures: unknown[] = [];
    for (const [index, result] of settled.entries()) {
      const { plan, finding } = planned[index]!;
      if (result.status === 'fulfilled') this.recordAction(plan, finding, result.value);
      else failures.push(result.reason);
    }
    if (failures.length > 0) throw failures[0];
  }

  /** The write of one planned change, unless dry run or refused: whether it was applied, or why not. */
  private async attempt(plan: PlannedChange): Promise<{ applied: boolean; reason?: string }> {
    const dryRun = plan.dryRun || this.options.dryRun === true;
    if (plan.write && !dryRun) {
      try {
        await this.deps.remediator.apply(plan.write);
        return { applied: true, ...(plan.refused ? { reason: plan.refused } : {}) };
      } catch (error) {
        // A resource deleted meanwhile needs no fix: the desired state ("not non-compliant") holds.
        if (!(error instanceof NotFoundError)) throw error;
        return { applied: false, reason: 'the resource no longer exists' };
      }
    }
    const reason = plan.write ? 'dry run' : plan.refused;
    return { applied: false, ...(reason ? { reason } : {}) };
  }

  private recordAction(
    plan: PlannedChange,
    finding: Finding,
    { applied, reason }: { applied: boolean; reason?: string },
  ): void {
    this.actions.push({
      ruleId: plan.ruleId,
      resourceArn: plan.resourceArn,
      action: plan.write?.type ?? 'none',
      applied,
      before: plan.before,
      after: plan.after,
      ...(reason ? { reason } : {}),
    });
    this.record(finding, applied ? 'applied' : plan.write ? 'dry-run' : 'refused', {
      before: plan.before,
      after: plan.after,
      ...(reason ? { reason } : {}),
    });
  }

  /** Violations nobody may fix automatically (mode report, or no safe fix) are reported once each. */
  report(findings: Finding[], planned: Set<string>): void {
    for (const f of findings) {
      if (f.status !== 'violation' || planned.has(`${f.ruleId} ${f.resourceArn}`)) continue;
      this.record(f, 'reported', { before: null, after: null });
    }
  }

  async fixRepository(
    repository: Repository,
    registryScanning: RegistryScanningConfiguration | undefined,
    rules: Set<RuleId>,
    organization: OrganizationFacts = {},
  ) {
    const ctx: RuleContext = {
      view: viewOf(this.deps, {
        repositories: [repository],
        ...(registryScanning ? { registryScanning } : {}),
        ...organization,
      }),
      guardrails: this.guardrails,
      now: this.options.now,
    };
    const findings = evaluateRepository(repository, ctx, rules);
    this.noteEvaluated({ resourceArns: [repository.repositoryArn], findings, rules });
    const plans = planRepositoryRemediation(repository, findings, {
      guardrails: this.guardrails,
      now: this.options.now,
      ...(registryScanning ? { registryScanning } : {}),
    });
    const planned = plans.map((plan) => ({ plan, finding: findings.find((f) => f.ruleId === plan.ruleId)! }));
    const written: PlannedChange[] = [];
    if (!plans.some((p) => p.write?.type === 'PutRegistryScanningConfiguration')) {
      // Each rule writes another attribute of the repository: the writes go out together.
      await this.carryOutTogether(planned);
      written.push(...plans);
    } else {
      // The registry write is read back and may be planned again: one after another, in plan order.
      for (const { plan, finding } of planned) {
        if (plan.write?.type === 'PutRegistryScanningConfiguration') {
          written.push(await this.writeRegistryScanning(repository, plan, finding));
        } else {
          await this.carryOut(plan, finding);
          written.push(plan);
        }
      }
    }
    this.report(findings, new Set(plans.map((p) => `${p.ruleId} ${p.resourceArn}`)));
    return written;
  }

  /**
   * The registry scanning configuration is one document shared by every repository: two fixes at once may
   * overwrite each other. After writing, read it back; if the repository is not covered, plan again on the
   * fresh configuration (bounded).
   */
  private async writeRegistryScanning(
    repository: Repository,
    first: PlannedChange,
    finding: Finding,
  ): Promise<PlannedChange> {
    let plan = first;
    for (let attempt = 1; ; attempt++) {
      const applied = await this.carryOut(plan, finding);
      if (!applied || attempt >= REGISTRY_WRITE_ATTEMPTS) return plan;
      const fresh = await this.deps.registry.scanningConfiguration();
      const covered = fresh?.rules.some(
        (r) =>
          r.scanFrequency !== 'MANUAL' &&
          r.repositoryFilters.some((f) => f.filter === repository.repositoryName),
      );
      if (covered) return plan;
      const [again] = planRepositoryRemediation(repository, [finding], {
        guardrails: this.guardrails,
        now: this.options.now,
        ...(fresh ? { registryScanning: fresh } : {}),
      });
      if (!again?.write) return plan;
      plan = again;
    }
  }

  /**
   * Project and service-role rules for these projects: reads each distinct service role (per-role calls) and
   * each target repository, then fixes role-can-push (and least privilege when configured to remediate).
   */
  async fixProjects(
    projects: Project[],
    rules: Set<RuleId>,
    known?: RoleRead,
    /** Target repositories the caller has read already (only these projects' targets are kept). */
    preread?: readonly Repository[],
  ) {
    // The target repositories are named by the projects' configuration, not by their roles: both are read
    // together, the roles (unless known) and the repositories (unless read) each on their own (bounded), in
    // project order. The findings state of the projects and their roles is read as soon as their ARNs are
    // known: a project names its service role by ARN (as CodeBuild returns it).
    this.readPriorState(
      known ? [...projects.map((p) => p.arn), known.role.Arn] : projectAndRoleArns(projects),
    );
    const rolesRead = known
      ? Promise.resolve([known])
      : readRoles(this.deps, serviceRoleNames(projects)).then((reads) => {
          this.readPriorState(reads.map((r) => r.role.Arn));
          return reads;
        });
    const targetArns = new Set(targetsOf(this.deps, projects, this.guardrails).map((t) => t.arn));
    const [roleReads, repositories] = await firstFailure([
      rolesRead,
      preread
        ? Promise.resolve(preread.filter((r) => targetArns.has(r.repositoryArn)))
        : readTargetRepositories(this.deps, projects, this.guardrails),
    ] as const);
    const roles = roleReads.map((r) => r.role);
    const policies = roleReads.flatMap((r) => r.policies);
    const ctx: RuleContext = {
      view: viewOf(this.deps, { projects, roles, policies, repositories }),
      guardrails: this.guardrails,
      now: this.options.now,
    };
    const findings = [
      ...projects.flatMap((p) => evaluateProject(p, ctx, rules)),
      ...evaluateServiceRoles(ctx, rules, projects),
    ];
    this.noteEvaluated({
      resourceArns: [...projects.map((p) => p.arn), ...roles.map((r) => r.Arn)],
      findings,
      rules,
    });
    const plans: { plan: PlannedChange; finding: Finding }[] = [];
    const remediableRoles = this.options.remediableRoles ?? DEFAULT_REMEDIABLE_ROLES;
    const planContext = { guardrails: this.guardrails, now: this.options.now };
    const planForRole = (role: Role, finding: Finding) =>
      planRemediation({ scope: 'service-role', resource: role }, [finding], planContext);
    for (const finding of findings) {
      const project = projects.find((p) => p.arn === finding.resourceArn);
      if (project) {
        for (const plan of planRemediation({ scope: 'project', resource: project }, [finding], planContext))
          plans.push({ plan, finding });
      }
      const role = roles.find((r) => r.Arn === finding.resourceArn);
      if (!role) continue;
      for (const plan of planForRole(role, finding))
        plans.push({
          plan: confineToDetachablePolicies(
            confineToRemediableRoles(plan, remediableRoles),
            this.options.detachablePolicyArns ?? [],
          ),
          finding,
        });
    }
    // An inline policy put on a role is planned again on the role as the puts before it left it: several
    // repositories of one shared role each extend the policy the previous put wrote.
    for (const { plan, finding } of plans) {
      if (plan.write?.type === 'PutRolePolicy') {
        const role = roles.find((r) => r.Arn === plan.resourceArn)!;
        const fresh = planForRole(role, finding).find((p) => p.write?.type === 'PutRolePolicy') ?? plan;
        await this.carryOut(fresh, finding);
        const write = fresh.write;
        if (write?.type === 'PutRolePolicy' && !(fresh.dryRun || this.options.dryRun)) {
          const document = fresh.after as Role['RolePolicyList'][number]['PolicyDocument'];
          role.RolePolicyList = [
            ...role.RolePolicyList.filter((p) => p.PolicyName !== write.policyName),
            { PolicyName: write.policyName, PolicyDocument: document },
          ];
        }
      } else {
        await this.carryOut(plan, finding);
      }
    }
    this.report(findings, new Set(plans.map(({ plan }) => `${plan.ruleId} ${plan.resourceArn}`)));
  }
}

type RoleRead = { role: Role; policies: ManagedPolicy[] };

/**
 * Awaits promises that run together and raises the first failure in their order (not the first to fail in
 * time), as reading them one after another would; every promise is settled first, so none is left unhandled.
 */
async function firstFailure<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The projects' ARNs and their service roles' (a project names its role by ARN, as CodeBuild returns it). */
function projectAndRoleArns(projects: readonly Project[]): string[] {
  return [
    ...projects.map((p) => p.arn),
    ...projects.flatMap((p) => (p.serviceRole?.startsWith('arn:') ? [p.serviceRole] : [])),
  ];
}

/** The distinct service role names of projects, in project order. */
function serviceRoleNames(projects: readonly Project[]): string[] {
  return [
    ...new Set(projects.map((p) => p.serviceRole?.slice(p.serviceRole.lastIndexOf('/') + 1)).filter(Boolean)),
  ] as string[];
}

/** Roles read together (bounded), kept in order; a role that does not exist is left out. */
async function readRoles(deps: Pick<ChangeDeps, 'identity'>, names: readonly string[]): Promise<RoleRead[]> {
  return (await mapWithConcurrency(names, READ_CONCURRENCY, (name) => deps.identity.role(name))).filter(
    (read): read is RoleRead => read !== undefined,
  );
}

/** The distinct repositories the projects push to, from their configuration, in project order. */
function targetsOf(
  deps: ChangeDeps,
  projects: readonly Project[],
  guardrails: Guardrails,
): { name: string; arn: string }[] {
  const scope = viewOf(deps, {});
  const targets: { name: string; arn: string }[] = [];
  const targetArns = new Set<string>();
  for (const project of projects) {
    const target = resolveTargetRepository(project, scope, guardrails.targetRepository.environmentVariables);
    if (target.status !== 'resolved' || targetArns.has(target.repositoryArn)) continue;
    targetArns.add(target.repositoryArn);
    targets.push({ name: target.repositoryName, arn: target.repositoryArn });
  }
  return targets;
}

/**
 * The repositories the projects push to (from their configuration), each read on its own in one round (its ARN
 * is known): together (bounded), kept in project order; one that does not exist is left out.
 */
async function readTargetRepositories(
  deps: ChangeDeps,
  projects: readonly Project[],
  guardrails: Guardrails,
): Promise<Repository[]> {
  const scope = viewOf(deps, {});
  const targets = targetsOf(deps, projects, guardrails);
  return (
    await mapWithConcurrency(targets, READ_CONCURRENCY, ({ name, arn }) =>
      // Only a repository of this registry is read in one round; the ARN of another one is left to ECR.
      deps.registry.repository(name, arn === repositoryArnOf(scope, name) ? { arn } : {}),
    )
  ).filter((r): r is Repository => r !== undefined);
}

/** The projects (every page of ListProjects and BatchGetProjects) that `keep` selects, in listing order. */
async function projectsWhere(
  keep: (project: Project) => boolean,
  deps: Pick<ChangeDeps, 'projects'>,
): Promise<Project[]> {
  const kept: Project[] = [];
  for await (const page of deps.projects.projectPages()) kept.push(...page.filter(keep));
  return kept;
}

/** Events about another account or region name resources that are not this deployment's to change. */
function foreignReason(event: ChangeEvent, account: AccountInfo): string | undefined {
  if (event.account !== account.accountId)
    return `the event is from account ${event.account}, not ${account.accountId}`;
  // The envelope may be this account's while the call concerns another one (a registryId, a resource ARN).
  const other = event.otherAccounts?.[0];
  if (other) return `the call names account ${other.account} (${other.field}), not ${account.accountId}`;
  // IAM is global: its events arrive in us-east-1 whatever region the resources are used from.
  if (event.eventSource !== 'iam.amazonaws.com' && event.region !== account.region) {
    return `the event is from region ${event.region}, not ${account.region}`;
  }
  return undefined;
}

/**
 * A new or different default version of a customer managed policy changes every role it is attached to (as a
 * permissions policy or a boundary): re-evaluate those that are CodeBuild service roles, as a role event would.
 * Returns why nothing was evaluated, or undefined.
 */
async function fixPolicyUsers(
  policyArn: string,
  run: ChangeRun,
  deps: ChangeDeps,
  guardrails: Guardrails,
  active: Set<RuleId>,
): Promise<string | undefined> {
  const owner = policyArn.split(':')[4];
  if (owner !== deps.account.accountId) {
    // AWS managed policies (account `aws`) are changed by AWS, never by a call in this account.
    return `policy ${policyArn} is not a customer managed policy of account ${deps.account.accountId}`;
  }
  // The roles using the policy (ListEntitiesForPolicy, then each role) and the projects are read together:
  // the projects kept are those naming a role of the policy's, matched exactly once the roles are known.
  const rolesUsing = deps.identity.rolesUsingPolicy(policyArn);
  // Their findings state is read as soon as the roles' and the projects' ARNs are known.
  const naming = rolesUsing
    .then(
      (names) =>
        names.length === 0 ? [] : projectsWhere((p) => names.includes(serviceRoleNames([p])[0] ?? ''), deps),
      () => [],
    )
    .then((projects) => {
      run.readPriorState(projectAndRoleArns(projects));
      return projects;
    });
  const [roleNames, found, named, repositories] = await firstFailure([
    rolesUsing,
    rolesUsing.then((names) =>
      readRoles(deps, names).then((reads) => {
        run.readPriorState(reads.map((r) => r.role.Arn));
        return reads;
      }),
    ),
    naming,
    // Their target repositories are read as soon as the projects are known, while the roles still are.
    naming.then((projects) => readTargetRepositories(deps, projects, guardrails)),
  ] as const);
  if (roleNames.length === 0) return `policy ${policyArn} is attached to no role`;
  const users = new Map<string, Project[]>();
  for (const project of named) {
    const role = found.find(
      (f) => project.serviceRole === f.role.Arn || project.serviceRole === f.role.RoleName,
    );
    if (role) users.set(role.role.Arn, [...(users.get(role.role.Arn) ?? []), project]);
  }
  if (users.size === 0) {
    return `policy ${policyArn} is not used by the service role of any CodeBuild project`;
  }
  const rules = rulesOfScope('service-role', active);
  for (const read of found) {
    const projects = users.get(read.role.Arn);
    if (projects) await run.fixProjects(projects, rules, read, repositories);
  }
  return undefined;
}

/**
 * What a repository event's evaluation reads, in one round: the repository (with its joined fields), and the
 * registry scanning configuration and the organization only when an active rule reads them. The reads do not
 * depend on each other, so they are in flight together.
 */
async function readForRepository(
  repositoryName: string,
  rules: Set<RuleId>,
  deps: Pick<ChangeDeps, 'account' | 'registry' | 'organization'>,
): Promise<{
  repository: Repository | undefined;
  registryScanning: RegistryScanningConfiguration | undefined;
  organization: OrganizationFacts;
}> {
  const reads = readsOf(rules);
  // Its ARN is known (this account and region), so its reads need not wait for DescribeRepositories; its
  // images only when an active rule reads them (the lifecycle rule's preview and its remediation's limit).
  const arn = repositoryArnOf(accountViewFor(deps.account, {}), repositoryName);
  const [repository, registryScanning, organization] = await firstFailure([
    deps.registry.repository(repositoryName, { images: reads.has('repository-images'), arn }),
    reads.has('registry-scanning') ? deps.registry.scanningConfiguration() : Promise.resolve(undefined),
    reads.has('organization') ? readOrganization(deps.organization) : Promise.resolve({}),
  ] as const);
  return { repository, registryScanning, organization };
}

/**
 * A registry-level setting changed: re-read the settings the registry rules it affects read, judge the
 * resources the change may have affected, fix what those rules' modes allow, report the rest. Returns why
 * nothing was judged, or undefined.
 */
async function fixRegistrySettings(
  target: Extract<ChangeTarget, { kind: 'registry-setting' }>,
  run: ChangeRun,
  deps: ChangeDeps,
  guardrails: Guardrails,
  options: ChangeOptions,
  active: Set<RuleId>,
): Promise<string | undefined> {
  const affected = AFFECTED_BY[target.resource];
  const rules = new Set(
    REGISTRY_RULES.filter((r) => active.has(r.id) && affected.includes(r.resource)).map((r) => r.id),
  );
  if (rules.size === 0) return `no active rule judges the ${target.resource.replace(/-/g, ' ')}`;
  const reads = readsOf(rules);
  // The organization and the registry's settings do not depend on each other: read together.
  const [organization, registrySettings] = await firstFailure([
    reads.has('organization') ? readOrganization(deps.organization) : Promise.resolve({}),
    readRegistrySettings(deps.registry, reads),
  ] as const);
  const ctx: RuleContext = {
    view: viewOf(deps, { ...organization, ...(registrySettings ? { registrySettings } : {}) }),
    guardrails,
    now: options.now,
  };
  const findings = evaluateRegistry(ctx, rules, (subject) => concernsPrefix(subject, target.prefix));
  run.noteEvaluated({ resourceArns: findings.map((f) => f.resourceArn), findings, rules });
  const planned = new Set<string>();
  for (const finding of findings) {
    if (finding.status !== 'violation') continue;
    const rule = REGISTRY_RULES.find((r) => r.id === finding.ruleId)!;
    const subject = (registrySubjectsOf(rule.resource, ctx.view).subjects as RegistrySubject[]).find(
      (s) => s.arn === finding.resourceArn,
    );
    if (!subject) continue;
    const plans = planRemediation({ scope: 'registry', resource: subject }, [finding], {
      guardrails,
      now: options.now,
    });
    for (const plan of plans.map(confineToGrantedTemplateWrites)) {
      await run.carryOut(plan, finding);
      planned.add(`${plan.ruleId} ${plan.resourceArn}`);
    }
  }
  run.report(findings, planned);
  return undefined;
}

export async function onChangeEvent(
  event: ChangeEvent,
  deps: ChangeDeps,
  guardrails: Guardrails,
  options: ChangeOptions,
): Promise<ChangeResult> {
  const skipped =
    skipReason(event, options.ownRoleArns, options.memberRoleName) ?? foreignReason(event, deps.account);
  if (skipped) return { skipped, actions: [], notifications: [] };
  const target = event.target;
  if (!target)
    return { skipped: `the ${event.eventName} call names no resource`, actions: [], notifications: [] };
  const run = new ChangeRun(event, deps, guardrails, options);
  let skippedTarget: string | undefined;
  try {
    skippedTarget = await judge(target, run, deps, guardrails, options);
  } catch (error) {
    // What was done before the failure is told now: the retry finds it done and has nothing to say about it.
    // (A failure to notify does not hide the error that stopped the handling.)
    await run
      .notifyOnce(error instanceof Error ? String(error) : 'an unexpected error')
      .catch(() => undefined);
    throw error;
  }
  if (skippedTarget) return { skipped: skippedTarget, actions: [], notifications: [] };
  // The notification tells the reads' and writes' outcome, which the findings state does not change: it goes out
  // with the recording (Security Hub, the records). A failed recording is raised after both (the event is
  // retried); the notification sent does not mention it.
  const findingsStore = deps.findingsStore;
  const [recorded, notified] = await Promise.allSettled([
    findingsStore && !options.dryRun ? recordEvaluated(run, deps, findingsStore, options) : Promise.resolve(),
    run.notifyOnce(),
  ]);
  if (recorded.status === 'rejected') throw recorded.reason;
  if (notified.status === 'rejected') throw notified.reason;
  return { skipped: null, actions: run.actions, notifications: run.notifications };
}

/**
 * Reads what the event's resource needs, judges it and carries out the fixes (recorded on `run`); returns why
 * nothing was judged, or undefined.
 */
async function judge(
  target: NonNullable<ChangeEvent['target']>,
  run: ChangeRun,
  deps: ChangeDeps,
  guardrails: Guardrails,
  options: ChangeOptions,
): Promise<string | undefined> {
  const active = activeRules(guardrails);

  if (target.kind === 'repository') {
    const rules = rulesOfScope('repository', active);
    // The repository's ARN is known: its findings state is read with it.
    run.readPriorState([repositoryArnOf(accountViewFor(deps.account, {}), target.repositoryName)]);
    const read = await readForRepository(target.repositoryName, rules, deps);
    if (!read.repository) return `repository ${target.repositoryName} no longer exists`;
    await run.fixRepository(read.repository, read.registryScanning, rules, read.organization);
  } else if (target.kind === 'registry') {
    // The registry scanning configuration changed: the rules that read it are judged again on every repository.
    const scanning = [...rulesOfScope('repository', rulesReading('registry-scanning'))];
    const rules = new Set(scanning.filter((r) => active.has(r)));
    if (rules.size === 0) {
      const off =
        scanning.length === 1 ? `rule ${scanning[0]} is off` : `rules ${scanning.join(', ')} are off`;
      return off;
    }
    const reads = readsOf(rules);
    const images = reads.has('repository-images');
    // The organization, the configuration and the first page of repositories do not depend on each other.
    const pages = deps.registry.repositoryPages()[Symbol.asyncIterator]();
    const [organization, configured, first] = await firstFailure([
      reads.has('organization') ? readOrganization(deps.organization) : Promise.resolve({}),
      deps.registry.scanningConfiguration(),
      pages.next(),
    ] as const);
    let registryScanning = configured;
    for (let page = first; !page.done; page = await pages.next()) {
      // Each repository's details on their own, together (bounded); judged and fixed in listing order.
      const repositories = await mapWithConcurrency(page.value, READ_CONCURRENCY, async (listed) => ({
        ...listed,
        ...(await deps.registry.repositoryDetails(listed, { images })),
      }));
      for (const repository of repositories) {
        const plans = await run.fixRepository(repository, registryScanning, rules, organization);
        // Registry-level fixes build on each other: the next repository sees the configuration just written.
        const registryWrite = plans.find((p) => p.write?.type === 'PutRegistryScanningConfiguration');
        if (registryWrite) registryScanning = registryWrite.after as RegistryScanningConfiguration;
      }
    }
  } else if (target.kind === 'project') {
    const project = await deps.projects.project(target.projectName);
    if (!project) return `project ${target.projectName} no longer exists`;
    await run.fixProjects(
      [project],
      new Set([...rulesOfScope('project', active), ...rulesOfScope('service-role', active)]),
    );
  } else if (target.kind === 'registry-setting') {
    const skippedSetting = await fixRegistrySettings(target, run, deps, guardrails, options, active);
    if (skippedSetting) return skippedSetting;
  } else if (target.kind === 'policy') {
    const skippedPolicy = await fixPolicyUsers(target.policyArn, run, deps, guardrails, active);
    if (skippedPolicy) return skippedPolicy;
  } else {
    // The role and the projects (ListProjects, BatchGetProjects) are read together: the projects that may use
    // it are those naming a role of its name, kept exactly once the role's ARN is known.
    // Their findings state is read as soon as the role's and the projects' ARNs are known.
    const naming = projectsWhere((p) => serviceRoleNames([p])[0] === target.roleName, deps).then(
      (projects) => {
        run.readPriorState(projectAndRoleArns(projects));
        return projects;
      },
    );
    const [found, named, repositories] = await firstFailure([
      deps.identity.role(target.roleName).then((read) => {
        if (read) run.readPriorState([read.role.Arn]);
        return read;
      }),
      naming,
      // Their target repositories are read as soon as the projects are known, while the role still is.
      naming.then((projects) => readTargetRepositories(deps, projects, guardrails)),
    ] as const);
    if (!found) return `role ${target.roleName} no longer exists`;
    const users = named.filter(
      (p) => p.serviceRole === found.role.Arn || p.serviceRole === found.role.RoleName,
    );
    if (users.length === 0) {
      return `role ${target.roleName} is not the service role of any CodeBuild project`;
    }
    await run.fixProjects(users, rulesOfScope('service-role', active), found, repositories);
  }
  return undefined;
}

/**
 * The findings of what the event made the handler evaluate, into the findings state (and Security Hub): each
 * resource's record by the rules that ran, with the fixes applied to it (resolved as remediated once a later
 * evaluation no longer sees them open).
 */
async function recordEvaluated(
  run: ChangeRun,
  deps: ChangeDeps,
  findingsStore: FindingsStore,
  options: ChangeOptions,
): Promise<void> {
  const scope = { accountId: deps.account.accountId, region: deps.account.region };
  const remediated = run.actions
    .filter((a) => a.applied)
    .map((a) => ({ resourceArn: a.resourceArn, ruleId: a.ruleId }));
  // The evaluations name different resources: recorded together (bounded).
  await mapWithConcurrency(run.evaluated, READ_CONCURRENCY, async (evaluation) => {
    const resourceArns = [...new Set(evaluation.resourceArns)];
    await recordResourceFindings(
      { findingsStore, ...(deps.securityHub ? { securityHub: deps.securityHub } : {}) },
      {
        scope,
        now: options.now,
        previous: await run.priorState(resourceArns),
        resources: [...new Set(evaluation.resourceArns)].map((resourceArn) => ({
          resourceArn,
          exists: true,
        })),
        findings: evaluation.findings,
        evaluatedRules: evaluation.rules,
        remediated: remediated.filter((r) => evaluation.resourceArns.includes(r.resourceArn)),
      },
      { retentionDays: options.retentionDays ?? 90 },
    );
  });
}

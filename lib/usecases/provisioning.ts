/**
 * Compliant-by-construction build projects: create (ECR repository + least-privilege role + CodeBuild
 * project), list, show with live compliance and each part's state, delete. A failure at any step removes what
 * this request created — and only that: everything a request creates carries its own request token. One
 * request at a time provisions a name (a claim on the name); an identical request waits for it. An identical
 * create on a project whose parts drifted restores them. Delete can always be run again to finish.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  AccountInfo,
  IdentityReader,
  OrganizationReader,
  ProjectReader,
  ProvisioningClaims,
  Provisioner,
  RegistryReader,
} from '../ports';
import {
  checkParts,
  coveredByRegistry,
  hasExactRegistryFilter,
  isManaged,
  partStates,
  registryCoverage,
  requestTokenOf,
  withoutRegistryFilter,
  type CheckedPart,
  type PartState,
  type Repair,
} from '../policy/convergence';
import { activeRules, evaluateProject, evaluateRepository, evaluateServiceRoles } from '../policy/evaluate';
import type { Finding } from '../policy/findings';
import type { Guardrails } from '../policy/guardrails';
import type { ManagedPolicy, Project, Repository, Role } from '../policy/model';
import { projectNameOf, roleNameOf, ROLE_PATH } from '../policy/provisioning/managed-resources';
import { planProvisioning, type ProvisioningPlan } from '../policy/provisioning/plan';
import { parseProjectRequest } from '../policy/provisioning/request';
import { canonicalSpecText, diffSpecs, specOfProject } from '../policy/provisioning/spec';
import type { RuleContext } from '../policy/rules/types';
import { partitionOf, projectArnOf, repositoryArnOf, roleArnOf } from '../policy/aws-facts';
import { accountViewFor } from '../policy/snapshot';
import { REPOSITORY_TAG } from '../policy/target-repository';
import { InvalidInputError } from '../policy/validation';
import { AlreadyExistsError, RoleNotAssumableYetError } from '../errors';
import { describeError } from './errors';
import { readOrganization } from './organization';
import {
  ConcurrentProvisioningError,
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RegistryCoverageError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from './provisioning-errors';

// Callers of the use cases see their refusals and failures here too.
export * from './provisioning-errors';

export interface ProvisioningDeps {
  account: AccountInfo;
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  /** The account's organization (repository policies may share with it); absent = not read. */
  organization?: OrganizationReader;
  provisioner: Provisioner;
  /**
   * Claims on project names. Without them (the CLI on a live account) concurrent requests for one name are not
   * serialised, but still never remove each other's resources (request tokens).
   */
  claims?: ProvisioningClaims;
  /** Waits between retries and polls (injectable so tests do not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds (claims expire by it). */
  now?: () => number;
  /** A fresh token per create request. */
  newRequestToken?: () => string;
}

/** A create's answer: `created` when this request created the project (else it existed: unchanged or repaired). */
export interface CreateResult {
  created: boolean;
  body: CreatedProjectBody;
}

export interface ProvisioningOptions {
  guardrails: Guardrails;
  kmsKeyArn?: string;
  permissionsBoundaryArn?: string;
}

export interface ManagedProjectBody {
  name: string;
  projectName: string;
  repositoryArn: string;
  repositoryUri: string;
  roleArn: string;
  projectArn: string;
}

/**
 * The answer to a create: `created`, `unchanged` (the identical project exists as planned, or an identical
 * request in flight created it) or `repaired` (it existed with parts missing or drifted, and `repaired` lists
 * what was restored). `unrepaired` lists parts that differ and that buildwarden does not
 * restore, with the reason.
 */
export interface CreatedProjectBody extends ManagedProjectBody {
  status: 'created' | 'unchanged' | 'repaired';
  repaired?: PartState[];
  unrepaired?: PartState[];
}

const tagsOf = (role: Role | undefined) => role?.Tags?.map((t) => ({ key: t.Key, value: t.Value }));

function bodyOf(
  plan: ProvisioningPlan,
  status: CreatedProjectBody['status'],
  parts: { repaired?: PartState[]; unrepaired?: PartState[] } = {},
): CreatedProjectBody {
  return {
    status,
    name: plan.spec.name,
    projectName: plan.projectName,
    ...plan.resources,
    ...(status === 'repaired' ? { repaired: parts.repaired ?? [] } : {}),
    ...(parts.unrepaired && parts.unrepaired.length > 0 ? { unrepaired: parts.unrepaired } : {}),
  };
}

/** Bounded so a POST stays within the HTTP API's 30-second integration timeout. */
const ROLE_PROPAGATION_DELAYS_MS = [1000, 2000, 4000, 6000];
/** An in-progress claim outlives the 29-second function timeout: only a crashed holder's claim expires. */
export const CLAIM_TTL_MS = 60_000;
/** How long an ended claim's outcome answers identical requests that waited on it. */
const OUTCOME_KEPT_MS = 60_000;
/** How long an identical request waits for the one in flight (within the 29-second function timeout). */
export const CLAIM_WAIT_MS = 20_000;
const CLAIM_POLL_MS = [250, 500, 1000];
/** Writes of the shared registry scanning configuration, each read back (a concurrent writer may undo it). */
const REGISTRY_WRITE_ATTEMPTS = 3;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function planFor(
  body: unknown,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
  requestToken?: string,
): ProvisioningPlan {
  return planProvisioning(parseProjectRequest(body), {
    accountId: deps.account.accountId,
    region: deps.account.region,
    partition: partitionOf(deps.account.region),
    guardrails: options.guardrails,
    ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
    ...(options.permissionsBoundaryArn ? { permissionsBoundaryArn: options.permissionsBoundaryArn } : {}),
    ...(requestToken !== undefined ? { requestToken } : {}),
  });
}

/**
 * Creates a managed project (`created: true`), or answers for the identical project that exists, restoring
 * what drifted (`created: false`). Refused (a conflict) for a different spec, a name taken by something
 * buildwarden did not create, or another request on the name.
 */
export async function createManagedProject(
  body: unknown,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<CreateResult> {
  const token = (deps.newRequestToken ?? randomUUID)();
  const plan = planFor(body, deps, options, token);
  const specHash = createHash('sha256').update(canonicalSpecText(plan.spec)).digest('hex');
  const waited = await claimName(plan.projectName, plan.spec.name, { token, specHash, wait: true }, deps);
  if (waited === 'identical-succeeded') return { created: false, body: bodyOf(plan, 'unchanged') };
  return runClaimed(plan.projectName, token, deps, () => provision(plan, token, deps, options));
}

// ---------------------------------------------------------------------------------------------------------
// Claims on names

/**
 * Takes the name for this request. An identical request in flight is waited for (bounded): its success is
 * this request's answer; its failure, or a wait that runs out, is a 409. Any other request on the name is a
 * 409 at once. Without a claims port there is nothing to take.
 */
async function claimName(
  name: string,
  shownName: string,
  request: { token: string; specHash: string; wait: boolean },
  deps: ProvisioningDeps,
): Promise<'claimed' | 'identical-succeeded'> {
  const claims = deps.claims;
  if (!claims) return 'claimed';
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  let waited = 0;
  let polls = 0;
  for (;;) {
    const result = await claims.claimName(
      { name, token: request.token, specHash: request.specHash, expiresAt: now() + CLAIM_TTL_MS },
      now(),
    );
    if (result.claimed) return 'claimed';
    const holder = result.holder;
    if (!request.wait || holder.specHash !== request.specHash) {
      throw new ConcurrentProvisioningError(
        `project ${shownName} is being changed by another request: send yours again once it has finished`,
      );
    }
    // An identical request is in flight: wait for its outcome while its claim is the one on the name.
    for (;;) {
      if (waited >= CLAIM_WAIT_MS) {
        throw new ConcurrentProvisioningError(
          `an identical request for project ${shownName} has been in progress for over ${CLAIM_WAIT_MS / 1000} s: ` +
            'ask again later',
        );
      }
      const delay = CLAIM_POLL_MS[Math.min(polls++, CLAIM_POLL_MS.length - 1)]!;
      await sleep(delay);
      waited += delay;
      const seen = await claims.readClaim(name);
      if (!seen || seen.token !== holder.token) break;
      if (seen.state === 'succeeded') return 'identical-succeeded';
      if (seen.state === 'failed') {
        throw new ConcurrentProvisioningError(
          `an identical request for project ${shownName} failed while this one waited for it: send the request again`,
        );
      }
      if (seen.expiresAt < now()) break;
    }
  }
}

/** Runs `work` under this request's claim and records how it ended (waiting identical requests read it). */
async function runClaimed<T>(
  name: string,
  token: string,
  deps: ProvisioningDeps,
  work: () => Promise<T>,
): Promise<T> {
  const now = deps.now ?? Date.now;
  const end = async (state: 'succeeded' | 'failed') => {
    // The claim expires by itself if this write fails: the answer must not turn into an error because of it.
    await deps.claims?.endClaim(name, token, state, now() + OUTCOME_KEPT_MS).catch(() => undefined);
  };
  try {
    const result = await work();
    await end('succeeded');
    return result;
  } catch (error) {
    await end('failed');
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Creating

async function provision(
  plan: ProvisioningPlan,
  token: string,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<CreateResult> {
  const existing = await deps.projects.project(plan.projectName);
  if (existing) return converge(existing, plan, deps, options);

  const repositoryName = plan.createRepository.repositoryName;
  const leftover = (what: string) =>
    `${what} exists, tagged managed-by=buildwarden, without its project: another request may be creating ` +
    `it right now, or it is left over from an earlier one (remove it with projects delete ${plan.spec.name})`;
  const repository = await deps.registry.repository(repositoryName);
  if (repository) {
    throw new NotManagedError(
      isManaged(repository.tags)
        ? leftover(`repository ${repositoryName}`)
        : `repository ${repositoryName} already exists; buildwarden creates its own`,
    );
  }
  const role = await deps.identity.role(plan.roleName);
  if (role) {
    throw new NotManagedError(
      isManaged(tagsOf(role.role))
        ? leftover(`role ${plan.roleName}`)
        : `role ${plan.roleName} already exists; buildwarden creates its own`,
    );
  }
  const registryScanning = await deps.registry.scanningConfiguration();
  const coverage = registryCoverage(plan, registryScanning, options.guardrails);
  if (coverage.status === 'refused') {
    throw new RegistryCoverageError(`cannot create ${repositoryName} compliant: ${coverage.reason}`);
  }

  const undo: { what: string; run: () => Promise<void> }[] = [];
  /**
   * Runs a step; on failure undoes, newest first, everything this request created. A create call can take
   * effect and still answer with an error (a timeout, or an SDK retry meeting its own first attempt): `tookEffect`
   * then tells whether the resource exists and carries this request's token (set at creation), so it is removed
   * too. A resource of that name that another request created carries another token and is never touched.
   */
  const step = async (
    name: string,
    run: () => Promise<void>,
    undoIt?: { what: string; run: () => Promise<void>; tookEffect: () => Promise<boolean> },
  ) => {
    try {
      await run();
    } catch (error) {
      if (undoIt && (await undoIt.tookEffect().catch(() => true))) undo.push(undoIt);
      const leftovers: string[] = [];
      for (const u of undo.reverse()) {
        try {
          await u.run();
        } catch {
          leftovers.push(u.what);
        }
      }
      // A create call that met a resource of that name: another request created it meanwhile.
      if (error instanceof AlreadyExistsError && leftovers.length === 0) {
        throw new ConcurrentProvisioningError(
          `another request created part of project ${plan.spec.name} while this one ran (step ${name}); ` +
            "everything this request created was removed: send it again for that project's answer",
        );
      }
      throw new ProvisioningFailedError(name, describeError(error), leftovers);
    }
    if (undoIt) undo.push(undoIt);
  };
  const mine = (tags: Parameters<typeof requestTokenOf>[0]) => requestTokenOf(tags) === token;
  const ownRepository = async () => mine((await deps.registry.repository(repositoryName))?.tags);
  const ownRole = async () => mine(tagsOf((await deps.identity.role(plan.roleName))?.role));
  const ownProject = async () => mine((await deps.projects.project(plan.projectName))?.tags);

  const { provisioner } = deps;
  const sleep = deps.sleep ?? realSleep;
  await step('createRepository', () => provisioner.createRepository(plan.createRepository), {
    what: `repository ${repositoryName}`,
    // Re-read before deleting: only a repository carrying this request's token is removed.
    run: async () => {
      if (await ownRepository()) await provisioner.deleteRepository(repositoryName, true);
    },
    tookEffect: ownRepository,
  });
  await step('putLifecyclePolicy', () => provisioner.putLifecyclePolicy(plan.putLifecyclePolicy));
  if (coverage.status === 'write') {
    const hadFilter = hasExactRegistryFilter(registryScanning, repositoryName);
    await step('coverRepositoryInRegistryScanning', () => coverInRegistryScanning(plan, deps, options), {
      what: `registry scanning filter ${repositoryName}`,
      run: async () => {
        if (!hadFilter) await uncoverInRegistryScanning(repositoryName, deps);
      },
      tookEffect: async () => !hadFilter,
    });
  }
  await step('createRole', () => provisioner.createRole(plan.createRole), {
    what: `role ${plan.roleName}`,
    run: async () => {
      if (await ownRole()) await provisioner.deleteRole(plan.roleName);
    },
    tookEffect: ownRole,
  });
  await step('putRolePolicy', () => provisioner.putRolePolicy(plan.putRolePolicy));
  await step(
    'createProject',
    async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await provisioner.createProject(plan.createProject);
        } catch (error) {
          const delay = ROLE_PROPAGATION_DELAYS_MS[attempt];
          // CodeBuild may refuse a just-created role until IAM has propagated it.
          if (!(error instanceof RoleNotAssumableYetError) || delay === undefined) throw error;
          await sleep(delay);
        }
      }
    },
    {
      what: `project ${plan.projectName}`,
      run: async () => {
        if (await ownProject()) await provisioner.deleteProject(plan.projectName);
      },
      tookEffect: ownProject,
    },
  );
  return { created: true, body: bodyOf(plan, 'created') };
}

/**
 * Adds the repository to a registry scanning rule. The configuration is one document shared by every
 * repository, so a concurrent writer may overwrite the write: read it back and try again (bounded).
 */
async function coverInRegistryScanning(
  plan: ProvisioningPlan,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<void> {
  for (let attempt = 1; attempt <= REGISTRY_WRITE_ATTEMPTS; attempt++) {
    const current = await deps.registry.scanningConfiguration();
    const coverage = registryCoverage(plan, current, options.guardrails);
    if (coverage.status === 'covered' || coverage.status === 'not-needed') return;
    if (coverage.status === 'refused') throw new RegistryCoverageError(coverage.reason);
    await deps.provisioner.putRegistryScanningConfiguration(coverage.configuration);
    if (coveredByRegistry(plan, await deps.registry.scanningConfiguration(), options.guardrails)) return;
  }
  throw new RegistryCoverageError(
    `the registry scanning configuration did not keep the filter for ${plan.createRepository.repositoryName} ` +
      `after ${REGISTRY_WRITE_ATTEMPTS} writes: another writer keeps replacing it`,
  );
}

/** Takes back the filter naming exactly this repository (a rollback of coverInRegistryScanning). */
async function uncoverInRegistryScanning(repositoryName: string, deps: ProvisioningDeps): Promise<void> {
  const current = await deps.registry.scanningConfiguration();
  if (!current || !hasExactRegistryFilter(current, repositoryName)) return;
  await deps.provisioner.putRegistryScanningConfiguration(withoutRegistryFilter(current, repositoryName));
}

// ---------------------------------------------------------------------------------------------------------
// Converging: an identical create on an existing project

async function converge(
  existing: Project,
  plan: ProvisioningPlan,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<CreateResult & { created: false }> {
  if (!isManaged(existing.tags))
    throw new NotManagedError(
      `a CodeBuild project named ${plan.projectName} exists and is not managed by buildwarden`,
    );
  const differences = diffSpecs(specOfProject(existing), plan.spec);
  if (differences.length > 0) {
    throw new ProjectConflictError(`project ${plan.spec.name} exists with a different spec`, differences);
  }
  const parts = await partsOf(plan, existing, deps, options.guardrails);
  const unrepaired = partStates(parts.filter((p) => p.status !== 'ok' && !p.repair));
  const toRepair = parts.filter(
    (p): p is CheckedPart & { repair: Repair } => p.status !== 'ok' && !!p.repair,
  );
  if (toRepair.length === 0) return { created: false, body: bodyOf(plan, 'unchanged', { unrepaired }) };

  const repaired: PartState[] = [];
  for (const part of toRepair) {
    try {
      await repair(part.repair, plan, deps, options);
    } catch (error) {
      throw new RepairFailedError(
        `${part.part}: ${part.repair.type}`,
        describeError(error),
        repaired.map((p) => p.part),
      );
    }
    repaired.push(partStates([part])[0]!);
  }
  return { created: false, body: bodyOf(plan, 'repaired', { repaired, unrepaired }) };
}

/** One part's restoring write(s); a recreated repository or role carries this request's token (in the plan). */
async function repair(
  what: Repair,
  plan: ProvisioningPlan,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<void> {
  const { provisioner } = deps;
  const repositoryName = plan.createRepository.repositoryName;
  switch (what.type) {
    case 'recreateRepository':
      await provisioner.createRepository(plan.createRepository);
      await provisioner.putLifecyclePolicy(plan.putLifecyclePolicy);
      await coverInRegistryScanning(plan, deps, options);
      return;
    case 'putImageTagMutability':
      return provisioner.putImageTagMutability(repositoryName, plan.createRepository.imageTagMutability);
    case 'putImageScanningConfiguration':
      return provisioner.putImageScanningConfiguration(repositoryName, true);
    case 'coverInRegistryScanning':
      return coverInRegistryScanning(plan, deps, options);
    case 'putLifecyclePolicy':
      return provisioner.putLifecyclePolicy(plan.putLifecyclePolicy);
    case 'recreateRole':
      await provisioner.createRole(plan.createRole);
      await provisioner.putRolePolicy(plan.putRolePolicy);
      return;
    case 'updateAssumeRolePolicy':
      return provisioner.updateAssumeRolePolicy(plan.roleName, plan.createRole.AssumeRolePolicyDocument);
    case 'putRolePolicy':
      return provisioner.putRolePolicy(plan.putRolePolicy);
    case 'putRolePermissionsBoundary':
      return provisioner.putRolePermissionsBoundary(plan.roleName, what.permissionsBoundaryArn);
    case 'updateProject':
      return provisioner.updateProject(what.update);
  }
}

/** The parts of a managed project (its repository and role as the plan names them) against its plan. */
async function partsOf(
  plan: ProvisioningPlan,
  project: Project,
  deps: ProvisioningDeps,
  guardrails: Guardrails,
): Promise<CheckedPart[]> {
  const repository = await deps.registry.repository(plan.createRepository.repositoryName);
  const role = await deps.identity.role(plan.roleName);
  const registryScanning = await deps.registry.scanningConfiguration();
  return checkParts(plan, { repository, role: role?.role, project, registryScanning }, guardrails);
}

// ---------------------------------------------------------------------------------------------------------
// Showing

export interface ManagedProjectStatus {
  name: string;
  projectName: string;
  projectArn: string;
  repositoryArn: string | null;
  roleArn: string | null;
  /** Every guardrail finding is compliant (or exempt) and every part is as planned. */
  compliant: boolean;
  findings: Finding[];
  /** Each part (repository, its settings, role, its policies, project) against the plan: ok, missing, drifted. */
  parts: PartState[];
}

/** The plan an existing managed project was created from, or why none can be made of it now. */
function planOfProject(
  project: Project,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): ProvisioningPlan | string {
  const spec = specOfProject(project);
  try {
    return planFor(spec, deps, options);
  } catch (error) {
    const why = error instanceof InvalidInputError ? error.problems.join('; ') : describeError(error);
    return `its settings no longer make a valid request: ${why}`;
  }
}

async function statusOf(
  project: Project,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<ManagedProjectStatus> {
  const { guardrails } = options;
  const repositoryName = project.tags?.find((t) => t.key === REPOSITORY_TAG)?.value ?? project.name;
  const repository: Repository | undefined = await deps.registry.repository(repositoryName);
  const roleName = project.serviceRole?.slice(project.serviceRole.lastIndexOf('/') + 1);
  const role: { role: Role; policies: ManagedPolicy[] } | undefined = roleName
    ? await deps.identity.role(roleName)
    : undefined;
  const registryScanning = await deps.registry.scanningConfiguration();
  const rules = activeRules(guardrails);
  const organization =
    repository && rules.has('ecr.repository-policy') ? await readOrganization(deps.organization) : {};
  const ctx: RuleContext = {
    view: accountViewFor(deps.account, {
      ...organization,
      ...(registryScanning ? { registryScanning } : {}),
      repositories: repository ? [repository] : [],
      projects: [project],
      roles: role ? [role.role] : [],
      policies: role?.policies ?? [],
    }),
    guardrails,
    now: new Date(),
  };
  const findings = [
    ...(repository ? evaluateRepository(repository, ctx, rules) : []),
    ...evaluateProject(project, ctx, rules),
    ...evaluateServiceRoles(ctx, rules, [project]),
  ];

  const plan = planOfProject(project, deps, options);
  let parts: PartState[];
  if (typeof plan === 'string') {
    parts = [{ part: 'project', status: 'drifted', detail: plan }];
  } else {
    // The plan's role is read again only when the project no longer names it.
    const planRole = plan.roleName === roleName ? role : await deps.identity.role(plan.roleName);
    const planRepository =
      plan.createRepository.repositoryName === repositoryName
        ? repository
        : await deps.registry.repository(plan.createRepository.repositoryName);
    parts = partStates(
      checkParts(
        plan,
        { repository: planRepository, role: planRole?.role, project, registryScanning },
        guardrails,
      ),
    );
  }
  return {
    name: repositoryName,
    projectName: project.name,
    projectArn: project.arn,
    repositoryArn: repository?.repositoryArn ?? null,
    roleArn: role?.role.Arn ?? null,
    compliant:
      repository !== undefined &&
      findings.every((f) => f.status === 'compliant' || f.status === 'exempt') &&
      parts.every((p) => p.status === 'ok'),
    findings: findings.filter((f) => f.status !== 'compliant'),
    parts,
  };
}

/** GET /projects: every managed project with its live compliance. */
export async function listManagedProjects(
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<ManagedProjectStatus[]> {
  const managed: Project[] = [];
  for await (const page of deps.projects.projectPages())
    managed.push(...page.filter((p) => isManaged(p.tags)));
  const out: ManagedProjectStatus[] = [];
  for (const project of managed) out.push(await statusOf(project, deps, options));
  return out;
}

async function managedProject(name: string, deps: ProvisioningDeps): Promise<Project> {
  const project = await deps.projects.project(projectNameOf(name));
  if (!project) throw new ProjectNotFoundError(name);
  if (!isManaged(project.tags))
    throw new NotManagedError(`project ${project.name} is not managed by buildwarden`);
  return project;
}

/** GET /projects/{name}. `name` is the repository-style name (slashes allowed) or the project name. */
export async function showManagedProject(
  name: string,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<ManagedProjectStatus> {
  return statusOf(await managedProject(name, deps), deps, options);
}

// ---------------------------------------------------------------------------------------------------------
// Deleting

export interface DeletedProject {
  /** ARNs of what this call deleted. */
  deleted: string[];
  /** ARNs of the parts that were already gone (a delete run again after a partial one). */
  alreadyGone: string[];
  /** Resources of those names that are not tagged as managed: never touched. */
  notManaged?: string[];
}

/**
 * DELETE /projects/{name}: repository (only when empty, or with force), role (its managed policies detached
 * and inline policies deleted first), project. Resumable: each part is looked up and deleted only if it is
 * there, so running it again after any failure finishes the job; when the project is already gone, a
 * repository and role named after it are still removed if tagged managed-by=buildwarden (give the repository
 * name then: the project name cannot be mapped back to a name with `/`).
 */
export async function deleteManagedProject(
  name: string,
  deps: ProvisioningDeps,
  options: { force: boolean },
): Promise<DeletedProject> {
  const project = await deps.projects.project(projectNameOf(name));
  if (project && !isManaged(project.tags))
    throw new NotManagedError(`project ${project.name} is not managed by buildwarden`);
  const repositoryName = project?.tags?.find((t) => t.key === REPOSITORY_TAG)?.value ?? name;
  const projectName = project?.name ?? projectNameOf(name);
  const token = (deps.newRequestToken ?? randomUUID)();
  await claimName(projectName, name, { token, specHash: 'delete', wait: false }, deps);
  return runClaimed(projectName, token, deps, () =>
    deleteParts(name, repositoryName, project, deps, options),
  );
}

async function deleteParts(
  name: string,
  repositoryName: string,
  project: Project | undefined,
  deps: ProvisioningDeps,
  options: { force: boolean },
): Promise<DeletedProject> {
  const at = { ...deps.account, partition: partitionOf(deps.account.region) };
  const roleName = roleNameOf(repositoryName);
  const arns = {
    repository: repositoryArnOf(at, repositoryName),
    role: roleArnOf(at, ROLE_PATH, roleName),
    project: projectArnOf(at, projectNameOf(repositoryName)),
  };
  const repository = await deps.registry.repository(repositoryName);
  const repositoryManaged = repository !== undefined && isManaged(repository.tags);
  if (repository && !repositoryManaged && project) {
    throw new NotManagedError(`repository ${repositoryName} is not managed by buildwarden`);
  }
  const role = await deps.identity.role(roleName);
  const roleManaged = role !== undefined && isManaged(tagsOf(role.role));
  if (!project && !repositoryManaged && !roleManaged) throw new ProjectNotFoundError(name);
  const images = repositoryManaged ? await deps.provisioner.imageCount(repositoryName) : 0;
  if (images > 0 && !options.force) throw new RepositoryNotEmptyError(repositoryName, images);

  const result: DeletedProject = { deleted: [], alreadyGone: [] };
  const notManaged: string[] = [];
  // The project is deleted last: it is how the role and repository are found again if a retry is needed.
  if (repositoryManaged) {
    await deps.provisioner.deleteRepository(repositoryName, options.force);
    result.deleted.push(repository.repositoryArn);
  } else if (repository) notManaged.push(repository.repositoryArn);
  else result.alreadyGone.push(arns.repository);
  if (roleManaged) {
    await deps.provisioner.deleteRole(role.role.RoleName);
    result.deleted.push(role.role.Arn);
  } else if (role) notManaged.push(role.role.Arn);
  else result.alreadyGone.push(arns.role);
  if (project) {
    await deps.provisioner.deleteProject(project.name);
    result.deleted.push(project.arn);
  } else result.alreadyGone.push(arns.project);
  return notManaged.length > 0 ? { ...result, notManaged } : result;
}

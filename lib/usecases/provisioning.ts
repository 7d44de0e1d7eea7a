/**
 * Compliant-by-construction build projects: create (ECR repository + least-privilege role + CodeBuild
 * project), list, show with live compliance, delete. A failure at any step removes what this request created.
 */
import type {
  AccountInfo,
  IdentityReader,
  OrganizationReader,
  ProjectReader,
  Provisioner,
  RegistryReader,
} from '../ports';
import { activeRules, evaluateProject, evaluateRepository, evaluateServiceRoles } from '../policy/evaluate';
import type { Finding } from '../policy/findings';
import type { Guardrails } from '../policy/guardrails';
import type { ManagedPolicy, Project, Repository, Role } from '../policy/model';
import {
  diffSpecs,
  MANAGED_TAG,
  parseProjectRequest,
  specOfProject,
  planProvisioning,
  projectNameOf,
  type ProvisioningPlan,
} from '../policy/provision';
import type { RuleContext } from '../policy/rules/types';
import { accountViewFor, partitionOf } from '../policy/snapshot';
import { describeError } from './errors';
import { readOrganization } from './organization';
import {
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RepositoryNotEmptyError,
} from './provisioning-errors';

export {
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RepositoryNotEmptyError,
};

export interface ProvisioningDeps {
  account: AccountInfo;
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  /** The account's organization (repository policies may share with it); absent = not read. */
  organization?: OrganizationReader;
  provisioner: Provisioner;
  /** Waits between retries (injectable so tests do not sleep). */
  sleep?: (ms: number) => Promise<void>;
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

const isManaged = (tags: { key?: string; value?: string; Key?: string; Value?: string }[] | undefined) =>
  (tags ?? []).some(
    (t) => (t.key ?? t.Key) === MANAGED_TAG.key && (t.value ?? t.Value) === MANAGED_TAG.value,
  );

const tagsOf = (role: Role | undefined) => role?.Tags?.map((t) => ({ key: t.Key, value: t.Value }));

function bodyOf(plan: ProvisioningPlan): ManagedProjectBody {
  return { name: plan.spec.name, projectName: plan.projectName, ...plan.resources };
}

/** CodeBuild may refuse a just-created role until IAM has propagated it. */
function isRolePropagationError(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'InvalidInputException' &&
    /sts:AssumeRole|not authorized/i.test(error.message)
  );
}

/** Bounded so a POST stays within the HTTP API's 30-second integration timeout. */
const ROLE_PROPAGATION_DELAYS_MS = [1000, 2000, 4000, 6000];

/** POST /projects: 201 when created, 200 when the identical project already exists. */
export async function createManagedProject(
  body: unknown,
  deps: ProvisioningDeps,
  options: ProvisioningOptions,
): Promise<{ status: 200 | 201; body: ManagedProjectBody }> {
  const request = parseProjectRequest(body);
  const plan = planProvisioning(request, {
    accountId: deps.account.accountId,
    region: deps.account.region,
    partition: partitionOf(deps.account.region),
    guardrails: options.guardrails,
    ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
    ...(options.permissionsBoundaryArn ? { permissionsBoundaryArn: options.permissionsBoundaryArn } : {}),
  });

  const existing = await deps.projects.project(plan.projectName);
  if (existing) {
    if (!isManaged(existing.tags))
      throw new NotManagedError(
        `a CodeBuild project named ${plan.projectName} exists and is not managed by buildwarden`,
      );
    const differences = diffSpecs(specOfProject(existing), plan.spec);
    if (differences.length > 0) {
      throw new ProjectConflictError(`project ${request.name} exists with a different spec`, differences);
    }
    return { status: 200, body: bodyOf(plan) };
  }
  if (await deps.registry.repository(plan.createRepository.repositoryName)) {
    throw new NotManagedError(
      `repository ${plan.createRepository.repositoryName} already exists; buildwarden creates its own`,
    );
  }
  if (await deps.identity.role(plan.roleName)) {
    throw new NotManagedError(`role ${plan.roleName} already exists; buildwarden creates its own`);
  }

  const undo: { what: string; run: () => Promise<void> }[] = [];
  /**
   * Runs a step; on failure undoes, newest first, everything this request created. A create call can take
   * effect and still answer with an error (a timeout, or an SDK retry meeting its own first attempt): `tookEffect`
   * then tells whether the resource exists and carries buildwarden's managed-by tag (set at creation), so it is
   * removed too — and a resource of that name that is not ours is never touched.
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
      throw new ProvisioningFailedError(name, describeError(error), leftovers);
    }
    if (undoIt) undo.push(undoIt);
  };

  const { provisioner } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await step('createRepository', () => provisioner.createRepository(plan.createRepository), {
    what: `repository ${plan.createRepository.repositoryName}`,
    run: () => provisioner.deleteRepository(plan.createRepository.repositoryName, true),
    tookEffect: async () =>
      isManaged((await deps.registry.repository(plan.createRepository.repositoryName))?.tags),
  });
  await step('putLifecyclePolicy', () => provisioner.putLifecyclePolicy(plan.putLifecyclePolicy));
  await step('createRole', () => provisioner.createRole(plan.createRole), {
    what: `role ${plan.roleName}`,
    run: () => provisioner.deleteRole(plan.roleName),
    tookEffect: async () => isManaged(tagsOf((await deps.identity.role(plan.roleName))?.role)),
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
          if (!isRolePropagationError(error) || delay === undefined) throw error;
          await sleep(delay);
        }
      }
    },
    {
      what: `project ${plan.projectName}`,
      run: () => provisioner.deleteProject(plan.projectName),
      tookEffect: async () => isManaged((await deps.projects.project(plan.projectName))?.tags),
    },
  );
  return { status: 201, body: bodyOf(plan) };
}

export interface ManagedProjectStatus {
  name: string;
  projectName: string;
  projectArn: string;
  repositoryArn: string | null;
  roleArn: string | null;
  compliant: boolean;
  findings: Finding[];
}

async function statusOf(
  project: Project,
  deps: ProvisioningDeps,
  guardrails: Guardrails,
): Promise<ManagedProjectStatus> {
  const repositoryName = project.tags?.find((t) => t.key === 'buildwarden:repository')?.value ?? project.name;
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
  return {
    name: repositoryName,
    projectName: project.name,
    projectArn: project.arn,
    repositoryArn: repository?.repositoryArn ?? null,
    roleArn: role?.role.Arn ?? null,
    compliant:
      repository !== undefined && findings.every((f) => f.status === 'compliant' || f.status === 'exempt'),
    findings: findings.filter((f) => f.status !== 'compliant'),
  };
}

/** GET /projects: every managed project with its live compliance. */
export async function listManagedProjects(
  deps: ProvisioningDeps,
  guardrails: Guardrails,
): Promise<ManagedProjectStatus[]> {
  const managed: Project[] = [];
  for await (const page of deps.projects.projectPages())
    managed.push(...page.filter((p) => isManaged(p.tags)));
  const out: ManagedProjectStatus[] = [];
  for (const project of managed) out.push(await statusOf(project, deps, guardrails));
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
  guardrails: Guardrails,
): Promise<ManagedProjectStatus> {
  return statusOf(await managedProject(name, deps), deps, guardrails);
}

/** DELETE /projects/{name}: project, role and repository (the repository only when empty, or with force). */
export async function deleteManagedProject(
  name: string,
  deps: ProvisioningDeps,
  options: { force: boolean },
): Promise<{ deleted: string[] }> {
  const project = await managedProject(name, deps);
  const repositoryName = project.tags?.find((t) => t.key === 'buildwarden:repository')?.value ?? name;
  const repository = await deps.registry.repository(repositoryName);
  if (repository && !isManaged(repository.tags)) {
    throw new NotManagedError(`repository ${repositoryName} is not managed by buildwarden`);
  }
  const images = repository ? await deps.provisioner.imageCount(repositoryName) : 0;
  if (images > 0 && !options.force) throw new RepositoryNotEmptyError(repositoryName, images);
  const roleName = project.serviceRole?.slice(project.serviceRole.lastIndexOf('/') + 1);
  const role = roleName ? await deps.identity.role(roleName) : undefined;
  // The project is deleted last: it is how the role and repository are found again if a retry is needed.
  const deleted: string[] = [];
  if (repository) {
    await deps.provisioner.deleteRepository(repositoryName, options.force);
    deleted.push(repository.repositoryArn);
  }
  if (role && isManaged(tagsOf(role.role))) {
    await deps.provisioner.deleteRole(role.role.RoleName);
    deleted.push(role.role.Arn);
  }
  await deps.provisioner.deleteProject(project.name);
  deleted.push(project.arn);
  return { deleted };
}

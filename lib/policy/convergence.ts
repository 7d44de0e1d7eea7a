/**
 * Convergence of a managed build project: the parts of what exists (repository, role, project) compared with
 * what the plan creates, each `ok`, `missing` or `drifted`, and the write that restores it when buildwarden may
 * make one. Pure: the use case reads the parts and makes the writes through its ports.
 *
 * What is restored: a missing repository or role (recreated), tag mutability, scanning (scan on push, or
 * registry coverage under enhanced scanning), the lifecycle policy, the trust policy, the build policy, the
 * permissions boundary, and the project's own settings. What is only reported: encryption (it cannot be
 * changed after creation), resources no longer tagged as managed (they may not be buildwarden's), and
 * policies someone added to the role (removing them could take away access someone granted on purpose).
 */
import type { Guardrails } from './guardrails';
import { MANAGED_TAG, PROJECT_VARIABLES, REQUEST_TOKEN_TAG } from './provisioning/managed-resources';
import type { ProvisioningPlan } from './provisioning/plan';
import type { Project, RegistryScanningConfiguration, Repository, Role } from './model';
import { planScanning, scanOnPushRule } from './rules/ecr/scan-on-push';
import { DOCKER_BUILD_TAG } from './rules/codebuild/privileged-mode';
import { REPOSITORY_TAG } from './target-repository';

export type PartName =
  | 'repository'
  | 'repository.tagMutability'
  | 'repository.scanning'
  | 'repository.encryption'
  | 'repository.lifecyclePolicy'
  | 'role'
  | 'role.trustPolicy'
  | 'role.buildPolicy'
  | 'role.permissionsBoundary'
  | 'role.otherPolicies'
  | 'project';

/** One part of a managed project as it is now. `detail` names what is missing or different, never values. */
export interface PartState {
  part: PartName;
  status: 'ok' | 'missing' | 'drifted';
  detail: string;
}

/** The write that restores a part (absent: buildwarden does not restore it, and `detail` says why). */
export type Repair =
  | { type: 'recreateRepository' }
  | { type: 'putImageTagMutability' }
  | { type: 'putImageScanningConfiguration' }
  | { type: 'coverInRegistryScanning' }
  | { type: 'putLifecyclePolicy' }
  | { type: 'recreateRole' }
  | { type: 'updateAssumeRolePolicy' }
  | { type: 'putRolePolicy' }
  | { type: 'putRolePermissionsBoundary'; permissionsBoundaryArn: string }
  | { type: 'updateProject'; update: ProjectUpdate };

export interface CheckedPart extends PartState {
  repair?: Repair;
}

/** UpdateProject's input as buildwarden sends it: the plan's settings, and the tags to keep. */
export type ProjectUpdate = Omit<ProvisioningPlan['createProject'], 'tags'> & {
  tags: { key: string; value: string }[];
};

export interface ActualState {
  repository: Repository | undefined;
  role: Role | undefined;
  project: Project;
  registryScanning: RegistryScanningConfiguration | undefined;
}

type Tags = { key?: string; value?: string; Key?: string; Value?: string }[] | undefined;

export function isManaged(tags: Tags): boolean {
  return (tags ?? []).some(
    (t) => (t.key ?? t.Key) === MANAGED_TAG.key && (t.value ?? t.Value) === MANAGED_TAG.value,
  );
}

/** The request token a resource was created with (tag REQUEST_TOKEN_TAG), if any. */
export function requestTokenOf(tags: Tags): string | undefined {
  const tag = (tags ?? []).find((t) => (t.key ?? t.Key) === REQUEST_TOKEN_TAG);
  return tag ? (tag.value ?? tag.Value) : undefined;
}

/** JSON values equal whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function parsedOrText(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const ok = (part: PartName, detail: string): CheckedPart => ({ part, status: 'ok', detail });

// ---------------------------------------------------------------------------------------------------------
// Registry scanning under ENHANCED

export type Coverage =
  | { status: 'not-needed' }
  | { status: 'covered' }
  | { status: 'write'; configuration: RegistryScanningConfiguration }
  | { status: 'refused'; reason: string };

/**
 * Under enhanced scanning the repository's own scanOnPush is ignored: only a registry rule scans it. Whether
 * one does (the `ecr.scan-on-push` rule's own judgement), and if not the registry configuration that adds the
 * repository as a filter within ECR's limits — or why it cannot (remediation's `planScanning`).
 */
export function registryCoverage(
  plan: ProvisioningPlan,
  registryScanning: RegistryScanningConfiguration | undefined,
  guardrails: Guardrails,
): Coverage {
  if (registryScanning?.scanType !== 'ENHANCED') return { status: 'not-needed' };
  if (coveredByRegistry(plan, registryScanning, guardrails)) return { status: 'covered' };
  const repository = repositoryOf(plan);
  const planned = planScanning(repository, registryScanning, guardrails);
  if (planned.write?.type !== 'PutRegistryScanningConfiguration') {
    return {
      status: 'refused',
      reason: `enhanced scanning is on and no registry rule covers repository ${plan.createRepository.repositoryName}: ${planned.refused ?? 'no registry rule can be planned'}`,
    };
  }
  return {
    status: 'write',
    configuration: { scanType: planned.write.scanType, rules: planned.write.rules },
  };
}

/** Whether a registry rule covers the plan's repository, as the `ecr.scan-on-push` rule judges it. */
export function coveredByRegistry(
  plan: ProvisioningPlan,
  registryScanning: RegistryScanningConfiguration | undefined,
  guardrails: Guardrails,
): boolean {
  if (registryScanning?.scanType !== 'ENHANCED') return false;
  const repository = repositoryOf(plan);
  const outcome = scanOnPushRule(repository, {
    view: {
      ...plan.account,
      registryScanning,
      repositories: [repository],
      projects: [],
      roles: [],
      policies: [],
    },
    guardrails,
    now: new Date(0),
  });
  return outcome.status === 'compliant';
}

/** The configuration without the filter naming exactly this repository (what a rollback takes back). */
export function withoutRegistryFilter(
  configuration: RegistryScanningConfiguration,
  repositoryName: string,
): RegistryScanningConfiguration {
  return {
    scanType: configuration.scanType,
    rules: configuration.rules
      .map((rule) => ({
        ...rule,
        repositoryFilters: rule.repositoryFilters.filter((f) => f.filter !== repositoryName),
      }))
      .filter((rule) => rule.repositoryFilters.length > 0),
  };
}

export function hasExactRegistryFilter(
  configuration: RegistryScanningConfiguration | undefined,
  repositoryName: string,
): boolean {
  return (configuration?.rules ?? []).some((r) =>
    r.repositoryFilters.some((f) => f.filter === repositoryName),
  );
}

function repositoryOf(plan: ProvisioningPlan): Repository {
  const { accountId } = plan.account;
  return {
    repositoryArn: plan.resources.repositoryArn,
    registryId: accountId,
    repositoryName: plan.createRepository.repositoryName,
    repositoryUri: plan.resources.repositoryUri,
    imageTagMutability: plan.createRepository.imageTagMutability,
    imageScanningConfiguration: plan.createRepository.imageScanningConfiguration,
    encryptionConfiguration: plan.createRepository.encryptionConfiguration,
  } as Repository;
}

// ---------------------------------------------------------------------------------------------------------
// The parts

function repositoryParts(
  plan: ProvisioningPlan,
  repository: Repository | undefined,
  registryScanning: RegistryScanningConfiguration | undefined,
  guardrails: Guardrails,
): CheckedPart[] {
  const name = plan.createRepository.repositoryName;
  if (!repository) {
    return [
      {
        part: 'repository',
        status: 'missing',
        detail: `repository ${name} does not exist`,
        repair: { type: 'recreateRepository' },
      },
    ];
  }
  if (!isManaged(repository.tags)) {
    return [
      {
        part: 'repository',
        status: 'drifted',
        detail: `repository ${name} is not tagged ${MANAGED_TAG.key}=${MANAGED_TAG.value}: buildwarden leaves it alone`,
      },
    ];
  }
  const parts: CheckedPart[] = [ok('repository', `repository ${name} exists`)];

  const mutability = repository.imageTagMutability ?? 'MUTABLE';
  parts.push(
    mutability === plan.createRepository.imageTagMutability
      ? ok('repository.tagMutability', `image tags are ${mutability}`)
      : {
          part: 'repository.tagMutability',
          status: 'drifted',
          detail: `image tags are ${mutability}, planned ${plan.createRepository.imageTagMutability}`,
          repair: { type: 'putImageTagMutability' },
        },
  );

  if (registryScanning?.scanType === 'ENHANCED') {
    const coverage = registryCoverage(plan, registryScanning, guardrails);
    parts.push(
      coverage.status === 'write'
        ? {
            part: 'repository.scanning',
            status: 'drifted',
            detail: 'enhanced scanning is on and no registry rule covers the repository',
            repair: { type: 'coverInRegistryScanning' },
          }
        : coverage.status === 'refused'
          ? { part: 'repository.scanning', status: 'drifted', detail: coverage.reason }
          : ok('repository.scanning', 'covered by a registry rule of enhanced scanning'),
    );
  } else {
    parts.push(
      repository.imageScanningConfiguration?.scanOnPush === true
        ? ok('repository.scanning', 'scan on push is on')
        : {
            part: 'repository.scanning',
            status: 'drifted',
            detail: 'scan on push is off',
            repair: { type: 'putImageScanningConfiguration' },
          },
    );
  }

  const planned = plan.createRepository.encryptionConfiguration;
  const actual = repository.encryptionConfiguration ?? { encryptionType: 'AES256' };
  const keyDiffers = planned.kmsKey !== undefined && actual.kmsKey !== planned.kmsKey;
  parts.push(
    actual.encryptionType !== planned.encryptionType || keyDiffers
      ? {
          part: 'repository.encryption',
          status: 'drifted',
          detail:
            `encrypted with ${actual.encryptionType}${keyDiffers ? ' under another key' : ''}, planned ${planned.encryptionType}` +
            `${planned.kmsKey !== undefined ? ' with the configured key' : ''}: encryption cannot be changed after a ` +
            'repository is created, so buildwarden does not change it (recreate the repository and migrate its images)',
        }
      : ok('repository.encryption', `encrypted with ${actual.encryptionType} as planned`),
  );

  const lifecycle = repository.lifecyclePolicyText;
  parts.push(
    lifecycle === undefined
      ? {
          part: 'repository.lifecyclePolicy',
          status: 'missing',
          detail: 'the repository has no lifecycle policy',
          repair: { type: 'putLifecyclePolicy' },
        }
      : sameJson(parsedOrText(lifecycle), parsedOrText(plan.putLifecyclePolicy.lifecyclePolicyText))
        ? ok('repository.lifecyclePolicy', 'the lifecycle policy is the planned one')
        : {
            part: 'repository.lifecyclePolicy',
            status: 'drifted',
            detail: 'the lifecycle policy differs from the planned one',
            repair: { type: 'putLifecyclePolicy' },
          },
  );
  return parts;
}

function roleParts(plan: ProvisioningPlan, role: Role | undefined): CheckedPart[] {
  const name = plan.roleName;
  if (!role) {
    return [
      {
        part: 'role',
        status: 'missing',
        detail: `role ${name} does not exist`,
        repair: { type: 'recreateRole' },
      },
    ];
  }
  if (!isManaged(role.Tags?.map((t) => ({ Key: t.Key, Value: t.Value })))) {
    return [
      {
        part: 'role',
        status: 'drifted',
        detail: `role ${name} is not tagged ${MANAGED_TAG.key}=${MANAGED_TAG.value}: buildwarden leaves it alone`,
      },
    ];
  }
  const parts: CheckedPart[] = [ok('role', `role ${name} exists`)];

  parts.push(
    sameJson(role.AssumeRolePolicyDocument, JSON.parse(plan.createRole.AssumeRolePolicyDocument))
      ? ok('role.trustPolicy', 'the trust policy is the planned one')
      : {
          part: 'role.trustPolicy',
          status: 'drifted',
          detail: 'the trust policy differs from the planned one',
          repair: { type: 'updateAssumeRolePolicy' },
        },
  );

  const build = role.RolePolicyList.find((p) => p.PolicyName === plan.putRolePolicy.PolicyName);
  parts.push(
    !build
      ? {
          part: 'role.buildPolicy',
          status: 'missing',
          detail: `inline policy ${plan.putRolePolicy.PolicyName} does not exist`,
          repair: { type: 'putRolePolicy' },
        }
      : sameJson(build.PolicyDocument, JSON.parse(plan.putRolePolicy.PolicyDocument))
        ? ok('role.buildPolicy', `inline policy ${plan.putRolePolicy.PolicyName} is the planned one`)
        : {
            part: 'role.buildPolicy',
            status: 'drifted',
            detail: `inline policy ${plan.putRolePolicy.PolicyName} differs from the planned one`,
            repair: { type: 'putRolePolicy' },
          },
  );

  const boundary = plan.createRole.PermissionsBoundary;
  if (boundary !== undefined) {
    const actual = role.PermissionsBoundary?.PermissionsBoundaryArn;
    parts.push(
      actual === boundary
        ? ok('role.permissionsBoundary', 'the permissions boundary is the configured one')
        : {
            part: 'role.permissionsBoundary',
            status: actual === undefined ? 'missing' : 'drifted',
            detail:
              actual === undefined
                ? 'the role has no permissions boundary'
                : 'the permissions boundary is not the configured one',
            repair: { type: 'putRolePermissionsBoundary', permissionsBoundaryArn: boundary },
          },
    );
  }

  const otherInline = role.RolePolicyList.map((p) => p.PolicyName).filter(
    (n) => n !== plan.putRolePolicy.PolicyName,
  );
  const attached = role.AttachedManagedPolicies.map((p) => p.PolicyArn);
  const added = [
    ...(otherInline.length > 0 ? [`inline ${otherInline.join(', ')}`] : []),
    ...(attached.length > 0 ? [`attached ${attached.join(', ')}`] : []),
  ];
  parts.push(
    added.length === 0
      ? ok('role.otherPolicies', 'no policies besides the planned one')
      : {
          part: 'role.otherPolicies',
          status: 'drifted',
          detail:
            `policies buildwarden did not create: ${added.join('; ')}; not removed, since that could take away ` +
            'access someone granted on purpose',
        },
  );
  return parts;
}

const variable = (project: Project, name: string) =>
  project.environment?.environmentVariables?.find((v) => v.name === name);

/** The project's own settings (those not in the spec) that differ from the plan, by field. */
function projectDrift(plan: ProvisioningPlan, project: Project): string[] {
  const want = plan.createProject;
  const env = (project.environment ?? {}) as Record<string, unknown>;
  const drift: string[] = [];
  if (project.serviceRole !== want.serviceRole) drift.push('serviceRole');
  if (env.type !== want.environment.type) drift.push('environment.type');
  if (env.privilegedMode !== want.environment.privilegedMode) drift.push('environment.privilegedMode');
  if (env.imagePullCredentialsType !== undefined && env.imagePullCredentialsType !== 'CODEBUILD') {
    drift.push('environment.imagePullCredentialsType');
  }
  for (const name of PROJECT_VARIABLES) {
    const planned = want.environment.environmentVariables.find((v) => v.name === name);
    const actual = variable(project, name);
    if (actual?.value !== planned?.value || (actual?.type ?? 'PLAINTEXT') !== planned?.type) {
      drift.push(`environmentVariables[${name}]`);
    }
  }
  const logs = project.logsConfig?.cloudWatchLogs;
  if (logs?.status !== 'ENABLED' || logs.groupName !== want.logsConfig.cloudWatchLogs.groupName) {
    drift.push('logsConfig.cloudWatchLogs');
  }
  if (project.artifacts?.type !== want.artifacts.type) drift.push('artifacts');
  for (const key of [DOCKER_BUILD_TAG, REPOSITORY_TAG]) {
    const planned = want.tags.find((t) => t.key === key)?.value;
    if (project.tags?.find((t) => t.key === key)?.value !== planned) drift.push(`tags[${key}]`);
  }
  return drift;
}

/**
 * UpdateProject's input that restores the plan's settings: the plan's create input, with the project's own
 * tags (its request token and the user's) and buildwarden's managed tags as planned.
 */
export function projectUpdate(plan: ProvisioningPlan, project: Project): ProjectUpdate {
  const managedKeys = new Set<string>([MANAGED_TAG.key, DOCKER_BUILD_TAG, REPOSITORY_TAG]);
  const { tags: plannedTags, ...settings } = structuredClone(plan.createProject);
  const kept = (project.tags ?? [])
    .filter((t) => !managedKeys.has(t.key))
    .map((t) => ({ key: t.key, value: t.value ?? '' }));
  const managed = plannedTags.filter((t) => managedKeys.has(t.key) && t.key !== REQUEST_TOKEN_TAG);
  return { ...settings, tags: [...managed, ...kept] };
}

function projectParts(plan: ProvisioningPlan, project: Project): CheckedPart[] {
  const drift = projectDrift(plan, project);
  if (drift.length === 0) return [ok('project', `project ${plan.projectName} has the planned settings`)];
  return [
    {
      part: 'project',
      status: 'drifted',
      detail: `project settings differ from the plan: ${drift.join(', ')}`,
      repair: { type: 'updateProject', update: projectUpdate(plan, project) },
    },
  ];
}

/**
 * Every part of a managed project, compared with its plan. The project itself exists (it is how a managed
 * project is found); its spec fields are compared by `diffSpecs`, not here.
 */
export function checkParts(
  plan: ProvisioningPlan,
  actual: ActualState,
  guardrails: Guardrails,
): CheckedPart[] {
  return [
    ...repositoryParts(plan, actual.repository, actual.registryScanning, guardrails),
    ...roleParts(plan, actual.role),
    ...projectParts(plan, actual.project),
  ];
}

/** Parts as the API shows them (without the planned writes). */
export function partStates(parts: readonly CheckedPart[]): PartState[] {
  return parts.map(({ part, status, detail }) => ({ part, status, detail }));
}

/**
 * Capturing an account into the snapshot format, with read-only calls only. A read that fails is recorded
 * where it failed (`unreadable`: the call and its error), so that the sandbox fails the same call with the
 * same error and an audit of the snapshot reports exactly what the live audit reports (not-visible).
 * Credentials in projects are redacted unless asked otherwise; the rules still report them (redaction.ts).
 */
import type { Snapshot } from '../policy/snapshot';
import { SNAPSHOT_FORMAT } from '../policy/snapshot';
import type { Project, Repository, Unreadable } from '../policy/model';
import { redactProject } from '../policy/redaction';
import { UnreadableError } from '../ports';
import { REGISTRY_SETTINGS, type Known, type RegistrySettingName } from '../policy/registry-settings';
import type { AuditDeps, AuditProgress } from './audit';
import { readRegistrySettings, REGISTRY_SETTING_READ_NAMES } from './registry-settings';
import { describeError } from './errors';
import { mapWithConcurrency } from '../concurrency';
import { readOrganization } from './organization';

export interface SnapshotOptions {
  now: Date;
  concurrency?: number;
  onProgress?: (progress: AuditProgress) => void;
  /** Called for each resource (or section) whose details could not be read: it is recorded as unreadable. */
  onUnreadable?: (name: string, reason: string) => void;
  /** Called when the account's organization could not be read (the snapshot then leaves organizationId out). */
  onOrganizationUnreadable?: (reason: string) => void;
  /**
   * Keep credential-looking values (PLAINTEXT variables, URL credentials, inline buildspec secrets) in clear.
   * Default false: they are replaced with `<redacted:REASON>` (lib/policy/redaction.ts).
   */
  includeSecrets?: boolean;
  /** Called for each value redacted: the project, the field and the reason (never the value). */
  onRedacted?: (project: string, field: string, reason: string) => void;
}

/** The call and error of a failed read, as the snapshot records them. */
function unreadableOf(error: unknown): Unreadable {
  return error instanceof UnreadableError
    ? { ...(error.call ? { call: error.call } : {}), error: error.reason }
    : { error: describeError(error) };
}

/**
 * The registry-level settings, each under its snapshot key in the API's shape. One whose read fails is left
 * out (reported through onUnreadable): an absent key means "not captured", which the rules say is not-visible.
 */
async function captureRegistrySettings(
  deps: AuditDeps,
  ecr: Snapshot['ecr'],
  options: SnapshotOptions,
): Promise<void> {
  const settings = await readRegistrySettings(deps.registry, new Set(REGISTRY_SETTING_READ_NAMES));
  for (const [name, setting] of Object.entries(settings ?? {}) as [RegistrySettingName, Known<never>][]) {
    if (setting.known) ecr[name] = setting.value;
    else options.onUnreadable?.(REGISTRY_SETTINGS[name].what, setting.reason);
  }
}

export async function captureSnapshot(deps: AuditDeps, options: SnapshotOptions): Promise<Snapshot> {
  const ecr: Snapshot['ecr'] = { repositories: [] };
  try {
    const scanning = await deps.registry.scanningConfiguration();
    if (scanning) ecr.registryScanningConfiguration = scanning;
  } catch (error) {
    ecr.unreadable = unreadableOf(error);
    options.onUnreadable?.('registry scanning configuration', describeError(error));
  }
  await captureRegistrySettings(deps, ecr, options);
  const organization = await readOrganization(deps.organization);
  if (organization.organizationUnreadable !== undefined)
    options.onOrganizationUnreadable?.(organization.organizationUnreadable);
  const listed: Repository[] = [];
  for await (const page of deps.registry.repositoryPages()) listed.push(...page);
  options.onProgress?.({ phase: 'repositories-listed', count: listed.length });
  let done = 0;
  ecr.repositories = await mapWithConcurrency(listed, options.concurrency ?? 8, async (repository) => {
    const result = await captureRepository(deps, repository, options);
    done += 1;
    options.onProgress?.({ phase: 'repository-read', done, total: listed.length });
    return result;
  });
  const projects: Project[] = [];
  if (deps.projects) {
    for await (const page of deps.projects.projectPages()) {
      projects.push(...(options.includeSecrets ? page : page.map((p) => redacted(p, options))));
    }
    options.onProgress?.({ phase: 'projects-listed', count: projects.length });
  }
  for (const project of projects) {
    if (project.unreadable) options.onUnreadable?.(`project ${project.name}`, project.unreadable.error);
  }
  let iam: Snapshot['iam'] = { roles: [], policies: [] };
  if (deps.identity) {
    try {
      iam = await deps.identity.authorizationDetails();
      options.onProgress?.({ phase: 'roles-read', count: iam.roles.length });
      for (const object of [...iam.roles, ...iam.policies]) {
        if (!object.unreadable) continue;
        const name = 'RoleName' in object ? `role ${object.RoleName}` : `managed policy ${object.Arn}`;
        options.onUnreadable?.(name, object.unreadable.error);
      }
    } catch (error) {
      iam = { roles: [], policies: [], unreadable: unreadableOf(error) };
      options.onUnreadable?.('IAM roles and policies', describeError(error));
    }
  }
  return {
    format: SNAPSHOT_FORMAT,
    accountId: deps.account.accountId,
    region: deps.account.region,
    capturedAt: options.now.toISOString(),
    ...(organization.organizationId !== undefined ? { organizationId: organization.organizationId } : {}),
    ecr,
    codebuild: { projects, builds: [] },
    iam,
  };
}

function redacted(project: Project, options: SnapshotOptions): Project {
  const result = redactProject(project);
  for (const { field, reason } of result.redacted) options.onRedacted?.(project.name, field, reason);
  return result.project;
}

/**
 * One repository with its details. When only its images could not be read, the other details are read again
 * without them and kept: the audit reads images only where a lifecycle policy exists, and must see the rest.
 */
async function captureRepository(
  deps: AuditDeps,
  repository: Repository,
  options: SnapshotOptions,
): Promise<Repository> {
  try {
    return { ...repository, ...(await deps.registry.repositoryDetails(repository, { images: true })) };
  } catch (error) {
    let unreadable = unreadableOf(error);
    let details = {};
    if (unreadable.call === 'ecr:DescribeImages') {
      try {
        details = await deps.registry.repositoryDetails(repository, { images: false });
      } catch (again) {
        unreadable = unreadableOf(again);
      }
    }
    options.onUnreadable?.(repository.repositoryName, describeError(error));
    return { ...repository, ...details, unreadable };
  }
}

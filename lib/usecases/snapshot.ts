/** Capturing an account into the snapshot format, with read-only calls only. */
import type { Snapshot } from '../policy/snapshot';
import { SNAPSHOT_FORMAT } from '../policy/snapshot';
import type { Repository } from '../policy/model';
import type { AuditDeps, AuditProgress } from './audit';
import { describeError } from './errors';
import { mapWithConcurrency } from './concurrency';
import { readOrganization } from './organization';

export interface SnapshotOptions {
  now: Date;
  concurrency?: number;
  onProgress?: (progress: AuditProgress) => void;
  /** Called for each repository whose details could not be read (it is kept without them). */
  onUnreadable?: (repositoryName: string, reason: string) => void;
  /** Called when the account's organization could not be read (the snapshot then leaves organizationId out). */
  onOrganizationUnreadable?: (reason: string) => void;
}

export async function captureSnapshot(deps: AuditDeps, options: SnapshotOptions): Promise<Snapshot> {
  const scanning = await deps.registry.scanningConfiguration();
  const organization = await readOrganization(deps.organization);
  if (organization.organizationUnreadable !== undefined)
    options.onOrganizationUnreadable?.(organization.organizationUnreadable);
  const listed: Repository[] = [];
  for await (const page of deps.registry.repositoryPages()) listed.push(...page);
  options.onProgress?.({ phase: 'repositories-listed', count: listed.length });
  let done = 0;
  const repositories = await mapWithConcurrency(listed, options.concurrency ?? 8, async (repository) => {
    let result = repository;
    try {
      result = { ...repository, ...(await deps.registry.repositoryDetails(repository, { images: true })) };
    } catch (error) {
      options.onUnreadable?.(repository.repositoryName, describeError(error));
    }
    done += 1;
    options.onProgress?.({ phase: 'repository-read', done, total: listed.length });
    return result;
  });
  const projects = [];
  if (deps.projects) {
    for await (const page of deps.projects.projectPages()) projects.push(...page);
    options.onProgress?.({ phase: 'projects-listed', count: projects.length });
  }
  const iam = deps.identity ? await deps.identity.authorizationDetails() : { roles: [], policies: [] };
  if (deps.identity) options.onProgress?.({ phase: 'roles-read', count: iam.roles.length });
  return {
    format: SNAPSHOT_FORMAT,
    accountId: deps.account.accountId,
    region: deps.account.region,
    capturedAt: options.now.toISOString(),
    ...(organization.organizationId !== undefined ? { organizationId: organization.organizationId } : {}),
    ecr: { ...(scanning ? { registryScanningConfiguration: scanning } : {}), repositories },
    codebuild: { projects, builds: [] },
    iam,
  };
}

/**
 * SandboxAccount: a SIMULATED AWS account held in memory, loaded from and saved to an account snapshot.
 * It implements the same ports as the SDK adapters so the use cases, the CLI and the demo run locally.
 * Nothing here talks to AWS. Pages are cut at the sizes the real APIs use, so call counts are comparable.
 */
import { readFileSync } from 'node:fs';
import {
  UnreadableError,
  type AccountInfo,
  type ImageLookup,
  type ImageRef,
  type ImagesOption,
  type IdentityReader,
  type NameClaim,
  type Notification,
  type Notifier,
  type OrganizationReader,
  type ProjectReader,
  type ProvisioningClaims,
  type RegistryReader,
  type Remediator,
  type RepositoryDetails,
  type Provisioner,
  type RepositoryRef,
  type ScanFindingsReader,
  type StoredVerdict,
  type VerdictStore,
  type VerdictWrite,
} from '../ports';
import type { ProjectUpdate } from '../policy/convergence';
import { staleVerdictReason } from '../policy/scan/verdict';
import type { ProvisioningPlan } from '../policy/provision';
import { ORGANIZATION_NOT_CAPTURED, partitionOf } from '../policy/snapshot';
import { projectSchema, repositorySchema, roleSchema } from '../policy/model';
import type { BuildRecord } from '../policy/builds';
import type { RemediationWrite } from '../policy/remediation';
import { defaultPolicyDocument } from '../policy/model';
import type {
  ManagedPolicy,
  Project,
  RegistryScanningConfiguration,
  Repository,
  Role,
} from '../policy/model';
import { parseSnapshot, type Snapshot } from '../policy/snapshot';
import { translated } from '../aws/errors';
import type { FaultInjector } from './faults';
import { writeFileAtomic } from './file-store';

export const DESCRIBE_REPOSITORIES_PAGE = 1000;
export const BATCH_GET_PROJECTS_MAX = 100;
export const LIST_ENTITIES_PAGE = 100;

/** Fields a snapshot repository holds that DescribeRepositories does not return (`unreadable` is a read outcome). */
const JOINED_FIELDS = [
  'lifecyclePolicyText',
  'repositoryPolicyText',
  'tags',
  'images',
  'scanFindings',
  'unreadable',
] as const;

/** The order in which repositoryDetails makes its calls; a recorded failure is raised at its call. */
const DETAIL_CALLS = [
  'ecr:GetLifecyclePolicy',
  'ecr:GetRepositoryPolicy',
  'ecr:ListTagsForResource',
  'ecr:DescribeImages',
] as const;

/** Counts simulated API calls by IAM action name, e.g. `ecr:DescribeRepositories`. */
export type CallLog = Map<string, number>;

export class SandboxAccount
  implements
    RegistryReader,
    ProjectReader,
    IdentityReader,
    OrganizationReader,
    Notifier,
    Remediator,
    ScanFindingsReader,
    ImageLookup,
    VerdictStore,
    Provisioner,
    ProvisioningClaims
{
  readonly calls: CallLog = new Map();
  /** SIMULATED throttling, server errors, latency and rate limits (lib/sandbox/faults.ts); none when unset. */
  faults: FaultInjector | undefined;

  constructor(
    readonly snapshot: Snapshot,
    options: { faults?: FaultInjector } = {},
  ) {
    this.faults = options.faults;
  }

  static fromFile(path: string): SandboxAccount {
    return new SandboxAccount(parseSnapshot(readFileSync(path, 'utf8'), path));
  }

  /**
   * Writes the account back in snapshot format, atomically (a crash never leaves half a file, and writers in
   * other threads or processes never share a temporary file).
   */
  saveTo(path: string): void {
    writeFileAtomic(path, `${JSON.stringify(this.snapshot, null, 2)}\n`);
  }

  get info(): AccountInfo {
    return { accountId: this.snapshot.accountId, region: this.snapshot.region };
  }

  /** Every port, each played by this account: what any use case's deps need from the sandbox. */
  ports() {
    return {
      account: this.info,
      registry: this,
      projects: this,
      identity: this,
      organization: this,
      remediator: this,
      notifier: this,
      findings: this,
      images: this,
      verdicts: this,
      provisioner: this,
      claims: this,
    } satisfies Record<string, unknown>;
  }

  /**
   * Every simulated API call goes through here. Every attempt is counted, throttled and failed ones too (AWS
   * meters and CloudTrail records them as well); an injected fault is raised before the call takes effect.
   */
  protected async call(action: string): Promise<void> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    if (this.faults) await this.faults.beforeCall(action);
  }

  /**
   * The snapshot's `organizationId`: an id, null (in no organization, as AWSOrganizationsNotInUseException says)
   * or absent (not captured, which reads like a call that was refused).
   */
  async organizationId(): Promise<string | undefined> {
    await this.call('organizations:DescribeOrganization');
    const id = this.snapshot.organizationId;
    if (id === undefined) throw simulatedAwsError('OrganizationNotCapturedError', ORGANIZATION_NOT_CAPTURED);
    return id ?? undefined;
  }

  async scanningConfiguration(): Promise<RegistryScanningConfiguration | undefined> {
    await this.call('ecr:GetRegistryScanningConfiguration');
    const unreadable = this.snapshot.ecr.unreadable;
    if (unreadable) throw new UnreadableError(unreadable.call, unreadable.error);
    return structuredClone(this.snapshot.ecr.registryScanningConfiguration);
  }

  repositoryPages(): AsyncIterable<Repository[]> {
    const all = this.snapshot.ecr.repositories;
    const pages = Math.max(1, Math.ceil(all.length / DESCRIBE_REPOSITORIES_PAGE));
    return resumablePages(async (page) => {
      if (page >= pages) return undefined;
      await this.call('ecr:DescribeRepositories');
      const start = page * DESCRIBE_REPOSITORIES_PAGE;
      return all.slice(start, start + DESCRIBE_REPOSITORIES_PAGE).map(withoutJoinedFields);
    });
  }

  async repository(name: string, options: { images?: boolean } = {}): Promise<Repository | undefined> {
    await this.call('ecr:DescribeRepositories');
    const found = this.findRepository(name);
    if (!found) return undefined;
    const base = withoutJoinedFields(found);
    return { ...base, ...(await this.repositoryDetails(base, { images: options.images ?? false })) };
  }

  async repositoryDetails(
    repository: Repository,
    options: { images: ImagesOption },
  ): Promise<RepositoryDetails> {
    const stored = this.findRepository(repository.repositoryName);
    await this.call('ecr:GetLifecyclePolicy');
    if (!stored) {
      throw UnreadableError.from(
        'ecr:GetLifecyclePolicy',
        simulatedAwsError(
          'RepositoryNotFoundException',
          `The repository '${repository.repositoryName}' does not exist`,
        ),
      );
    }
    const images =
      options.images === 'if-lifecycle-policy' ? stored.lifecyclePolicyText !== undefined : options.images;
    // A failure recorded by the snapshot is raised at the call that failed, as the live read raised it.
    const failed = stored.unreadable;
    const failedAt = failed
      ? Math.max(0, DETAIL_CALLS.indexOf(failed.call as (typeof DETAIL_CALLS)[number]))
      : undefined;
    const calls = DETAIL_CALLS.filter((call) => call !== 'ecr:DescribeImages' || images);
    for (const [index, call] of calls.entries()) {
      if (index > 0) await this.call(call);
      if (failed && DETAIL_CALLS.indexOf(call) === failedAt)
        throw new UnreadableError(failed.call, failed.error);
    }
    const details: RepositoryDetails = structuredClone({
      ...(stored.lifecyclePolicyText !== undefined
        ? { lifecyclePolicyText: stored.lifecyclePolicyText }
        : {}),
      ...(stored.repositoryPolicyText !== undefined
        ? { repositoryPolicyText: stored.repositoryPolicyText }
        : {}),
      tags: stored.tags ?? [],
    });
    if (images) details.images = structuredClone(stored.images ?? []);
    return details;
  }

  projectPages(): AsyncIterable<Project[]> {
    const all = this.snapshot.codebuild.projects;
    return resumablePages(async (page) => {
      const start = page * BATCH_GET_PROJECTS_MAX;
      // ListProjects returns at most 100 names a page, as many as one BatchGetProjects takes.
      if (start === 0 || start < all.length) await this.call('codebuild:ListProjects');
      if (start >= all.length) return undefined;
      await this.call('codebuild:BatchGetProjects');
      return structuredClone(all.slice(start, start + BATCH_GET_PROJECTS_MAX));
    });
  }

  async project(name: string): Promise<Project | undefined> {
    await this.call('codebuild:BatchGetProjects');
    return structuredClone(this.snapshot.codebuild.projects.find((p) => p.name === name));
  }

  /** Per-role reads, as the live adapter makes them for a single role. */
  async role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined> {
    await this.call('iam:GetRole');
    this.failIfIamUnreadable();
    const role = this.snapshot.iam.roles.find((r) => r.RoleName === name);
    if (!role) return undefined;
    await this.call('iam:ListRolePolicies');
    for (let i = 0; i < role.RolePolicyList.length; i++) await this.call('iam:GetRolePolicy');
    await this.call('iam:ListAttachedRolePolicies');
    const arns = [
      ...role.AttachedManagedPolicies.map((p) => p.PolicyArn),
      ...(role.PermissionsBoundary ? [role.PermissionsBoundary.PermissionsBoundaryArn] : []),
    ];
    const policies: ManagedPolicy[] = [];
    for (const arn of new Set(arns)) {
      await this.call('iam:GetPolicy');
      const policy = this.snapshot.iam.policies.find((p) => p.Arn === arn);
      if (policy && (defaultPolicyDocument(policy) || policy.unreadable)) {
        await this.call('iam:GetPolicyVersion');
        policies.push(policy);
      }
    }
    return structuredClone({ role, policies });
  }

  /** ListEntitiesForPolicy with EntityFilter Role: one page of at most 100 roles per call, as IAM's default. */
  async rolesUsingPolicy(policyArn: string): Promise<string[]> {
    const names = this.snapshot.iam.roles
      .filter(
        (r) =>
          r.AttachedManagedPolicies.some((p) => p.PolicyArn === policyArn) ||
          r.PermissionsBoundary?.PermissionsBoundaryArn === policyArn,
      )
      .map((r) => r.RoleName);
    for (let page = 0; page === 0 || page * LIST_ENTITIES_PAGE < names.length; page++) {
      await this.call('iam:ListEntitiesForPolicy');
    }
    return names;
  }

  /** As the AWS adapter: the simulated AWS errors are translated into domain errors (lib/aws/errors.ts). */
  async apply(write: RemediationWrite): Promise<void> {
    return translated(() => this.write(write));
  }

  /** One remediation or provisioning write, failing with the AWS error the API would raise. */
  private async write(write: RemediationWrite): Promise<void> {
    const service =
      write.type === 'UpdateProjectVisibility' ? 'codebuild' : 'roleName' in write ? 'iam' : 'ecr';
    await this.call(`${service}:${write.type}`);
    if (write.type === 'UpdateProjectVisibility') {
      const project = this.snapshot.codebuild.projects.find((p) => p.arn === write.projectArn);
      if (!project) {
        throw simulatedAwsError('ResourceNotFoundException', `Project not found: ${write.projectArn}`);
      }
      project.projectVisibility = write.projectVisibility;
      return;
    }
    if (write.type === 'PutRegistryScanningConfiguration') {
      this.snapshot.ecr.registryScanningConfiguration = {
        scanType: write.scanType,
        rules: structuredClone(write.rules),
      };
      return;
    }
    if (write.type === 'PutRolePolicy' || write.type === 'DetachRolePolicy') {
      const role = this.snapshot.iam.roles.find((r) => r.RoleName === write.roleName);
      if (!role)
        throw simulatedAwsError(
          'NoSuchEntityException',
          `The role with name ${write.roleName} cannot be found.`,
        );
      if (write.type === 'PutRolePolicy') {
        const document = JSON.parse(write.policyDocument) as Role['RolePolicyList'][number]['PolicyDocument'];
        const existing = role.RolePolicyList.find((p) => p.PolicyName === write.policyName);
        if (existing) existing.PolicyDocument = document;
        else role.RolePolicyList.push({ PolicyName: write.policyName, PolicyDocument: document });
      } else {
        role.AttachedManagedPolicies = role.AttachedManagedPolicies.filter(
          (p) => p.PolicyArn !== write.policyArn,
        );
      }
      return;
    }
    const repository = this.findRepository(write.repositoryName);
    if (!repository) {
      throw simulatedAwsError(
        'RepositoryNotFoundException',
        `The repository '${write.repositoryName}' does not exist`,
      );
    }
    switch (write.type) {
      case 'PutLifecyclePolicy':
        repository.lifecyclePolicyText = write.lifecyclePolicyText;
        break;
      case 'PutImageScanningConfiguration':
        repository.imageScanningConfiguration = { scanOnPush: write.scanOnPush };
        break;
      case 'PutImageTagMutability':
        repository.imageTagMutability = write.imageTagMutability;
        // As ECR does: the filters sent replace the old ones (none sent, none kept).
        if (write.imageTagMutabilityExclusionFilters) {
          repository.imageTagMutabilityExclusionFilters = structuredClone(
            write.imageTagMutabilityExclusionFilters,
          );
        } else {
          delete repository.imageTagMutabilityExclusionFilters;
        }
        break;
      case 'SetRepositoryPolicy':
        repository.repositoryPolicyText = write.policyText;
        break;
      case 'DeleteRepositoryPolicy':
        delete repository.repositoryPolicyText;
        break;
    }
  }

  /** The repository's stored DescribeImageScanFindings response for the digest, as one page. */
  async imageScanFindingsPages(repositoryName: string, imageDigest: string): Promise<unknown[]> {
    return translated(() => this.scanFindings(repositoryName, imageDigest));
  }

  private async scanFindings(repositoryName: string, imageDigest: string): Promise<unknown[]> {
    await this.call('ecr:DescribeImageScanFindings');
    const repository = this.findRepository(repositoryName);
    if (!repository)
      throw simulatedAwsError(
        'RepositoryNotFoundException',
        `The repository '${repositoryName}' does not exist`,
      );
    const stored = repository.scanFindings?.[imageDigest];
    if (!stored)
      throw simulatedAwsError(
        'ScanNotFoundException',
        `No scan findings for ${imageDigest} in ${repositoryName}`,
      );
    return [structuredClone(stored)];
  }

  /** DescribeImages by digest: does the image still exist? */
  async imageExists(repositoryName: string, imageDigest: string): Promise<boolean> {
    await this.call('ecr:DescribeImages');
    const repository = this.findRepository(repositoryName);
    return (repository?.images ?? []).some((image) => image.imageDigest === imageDigest);
  }

  private get own() {
    return (this.snapshot.buildwarden ??= { verdicts: [], builds: [] });
  }

  /**
   * The stored record of an image. Records are matched on registry, region, repository and digest; a record
   * without a registry (written before verdicts named one) matches nothing.
   */
  private record(image: ImageRef): Partial<StoredVerdict> | undefined {
    const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
    return list.find(
      (v) =>
        v.registryId === image.registryId &&
        v.region === image.region &&
        v.repositoryName === image.repositoryName &&
        v.imageDigest === image.imageDigest,
    );
  }

  /** Same rule as the DynamoDB condition expression: `staleVerdictReason`. */
  async putVerdict(verdict: StoredVerdict): Promise<VerdictWrite> {
    await this.call('dynamodb:UpdateItem');
    const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
    const found = this.record(verdict);
    const stale = staleVerdictReason(
      found?.scannedAt !== undefined ? (found as StoredVerdict) : undefined,
      verdict,
    );
    if (stale) return { written: false, reason: stale };
    const { deletedAt: _deletedAt, verdictBeforeDeletion: _before, ...fields } = verdict;
    const producedBy = verdict.producedBy ?? found?.producedBy;
    const record = structuredClone({ ...fields, ...(producedBy ? { producedBy } : {}) });
    if (found) list[list.indexOf(found)] = record;
    else list.push(record);
    return { written: true };
  }

  async getVerdict(image: ImageRef): Promise<StoredVerdict | undefined> {
    await this.call('dynamodb:GetItem');
    const found = this.record(image);
    return found && typeof found.verdict === 'string' ? (structuredClone(found) as StoredVerdict) : undefined;
  }

  async markDeleted(image: ImageRef, deletedAt: string): Promise<VerdictWrite> {
    await this.call('dynamodb:UpdateItem');
    const found = this.record(image);
    if (!found || typeof found.verdict !== 'string' || found.scannedAt === undefined)
      return { written: false, reason: 'no verdict is stored for the image' };
    if (found.verdict === 'deleted')
      return { written: false, reason: `the image is already marked deleted (at ${found.deletedAt})` };
    if (found.scannedAt > deletedAt) {
      return {
        written: false,
        reason: `the image was scanned again (${found.scannedAt}) after this deletion (${deletedAt})`,
      };
    }
    found.verdictBeforeDeletion = found.verdict;
    found.verdict = 'deleted';
    found.deletedAt = deletedAt;
    return { written: true };
  }

  async producerOf(image: ImageRef): Promise<StoredVerdict['producedBy']> {
    await this.call('dynamodb:GetItem');
    return structuredClone(this.record(image)?.producedBy);
  }

  async recordProducer(image: ImageRef, producedBy: NonNullable<StoredVerdict['producedBy']>): Promise<void> {
    await this.call('dynamodb:UpdateItem');
    const found = this.record(image);
    if (found) found.producedBy = structuredClone(producedBy);
    else {
      const { registryId, region, repositoryName, imageDigest } = image;
      const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
      list.push({ registryId, region, repositoryName, imageDigest, producedBy: structuredClone(producedBy) });
    }
  }

  async recordBuild(build: BuildRecord): Promise<void> {
    await this.call('dynamodb:PutItem');
    if (!build.registryId || !build.region || !build.repositoryName)
      throw new Error('a build is recorded under its target repository: registryId, region, repositoryName');
    const list = this.own.builds as unknown as BuildRecord[];
    const index = list.findIndex((b) => b.id === build.id);
    if (index >= 0) list[index] = structuredClone(build);
    else list.push(structuredClone(build));
  }

  async buildsFor(repository: RepositoryRef): Promise<BuildRecord[]> {
    await this.call('dynamodb:Query');
    return structuredClone(
      (this.own.builds as unknown as BuildRecord[]).filter(
        (b) =>
          b.registryId === repository.registryId &&
          b.region === repository.region &&
          b.repositoryName === repository.repositoryName,
      ),
    );
  }

  // -- Provisioner: creates and deletes as the AWS APIs do, including their "already exists" errors. --------

  private arn(service: string, resource: string, region = this.snapshot.region): string {
    return `arn:${partitionOf(this.snapshot.region)}:${service}:${region}:${this.snapshot.accountId}:${resource}`;
  }

  async createRepository(input: ProvisioningPlan['createRepository']): Promise<void> {
    return translated(() => this.createRepositoryAsEcr(input));
  }

  private async createRepositoryAsEcr(input: ProvisioningPlan['createRepository']): Promise<void> {
    await this.call('ecr:CreateRepository');
    if (this.findRepository(input.repositoryName)) {
      throw simulatedAwsError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${input.repositoryName}' already exists`,
      );
    }
    const { accountId, region } = this.snapshot;
    this.snapshot.ecr.repositories.push(
      repositorySchema.parse({
        repositoryArn: this.arn('ecr', `repository/${input.repositoryName}`),
        registryId: accountId,
        repositoryName: input.repositoryName,
        repositoryUri: `${accountId}.dkr.ecr.${region}.amazonaws.com/${input.repositoryName}`,
        createdAt: new Date().toISOString(),
        imageTagMutability: input.imageTagMutability,
        imageScanningConfiguration: input.imageScanningConfiguration,
        encryptionConfiguration: input.encryptionConfiguration,
        tags: input.tags,
        images: [],
      }),
    );
  }

  async putLifecyclePolicy(input: ProvisioningPlan['putLifecyclePolicy']): Promise<void> {
    await this.write({ type: 'PutLifecyclePolicy', ...input });
  }

  async putImageTagMutability(repositoryName: string, imageTagMutability: 'IMMUTABLE'): Promise<void> {
    await this.write({ type: 'PutImageTagMutability', repositoryName, imageTagMutability });
  }

  async putImageScanningConfiguration(repositoryName: string, scanOnPush: true): Promise<void> {
    await this.write({ type: 'PutImageScanningConfiguration', repositoryName, scanOnPush });
  }

  async putRegistryScanningConfiguration(configuration: RegistryScanningConfiguration): Promise<void> {
    await this.write({
      type: 'PutRegistryScanningConfiguration',
      scanType: configuration.scanType,
      rules: configuration.rules,
    });
  }

  async createRole(input: ProvisioningPlan['createRole']): Promise<void> {
    return translated(() => this.createRoleAsIam(input));
  }

  private async createRoleAsIam(input: ProvisioningPlan['createRole']): Promise<void> {
    await this.call('iam:CreateRole');
    if (this.snapshot.iam.roles.some((r) => r.RoleName === input.RoleName)) {
      throw simulatedAwsError(
        'EntityAlreadyExistsException',
        `Role with name ${input.RoleName} already exists.`,
      );
    }
    this.snapshot.iam.roles.push(
      roleSchema.parse({
        RoleName: input.RoleName,
        Path: input.Path,
        Arn: `arn:${partitionOf(this.snapshot.region)}:iam::${this.snapshot.accountId}:role${input.Path}${input.RoleName}`,
        AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
        RolePolicyList: [],
        AttachedManagedPolicies: [],
        ...(input.PermissionsBoundary
          ? {
              PermissionsBoundary: {
                PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
                PermissionsBoundaryArn: input.PermissionsBoundary,
              },
            }
          : {}),
        Tags: input.Tags,
      }),
    );
  }

  async putRolePolicy(input: ProvisioningPlan['putRolePolicy']): Promise<void> {
    await this.write({
      type: 'PutRolePolicy',
      roleName: input.RoleName,
      policyName: input.PolicyName,
      policyDocument: input.PolicyDocument,
    });
  }

  async updateAssumeRolePolicy(roleName: string, policyDocument: string): Promise<void> {
    await this.call('iam:UpdateAssumeRolePolicy');
    const role = this.existingRole(roleName);
    role.AssumeRolePolicyDocument = JSON.parse(policyDocument) as Role['AssumeRolePolicyDocument'];
  }

  async putRolePermissionsBoundary(roleName: string, permissionsBoundaryArn: string): Promise<void> {
    await this.call('iam:PutRolePermissionsBoundary');
    const role = this.existingRole(roleName);
    role.PermissionsBoundary = {
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: permissionsBoundaryArn,
    };
  }

  private existingRole(roleName: string): Role {
    const role = this.snapshot.iam.roles.find((r) => r.RoleName === roleName);
    if (!role)
      throw simulatedAwsError('NoSuchEntityException', `The role with name ${roleName} cannot be found.`);
    return role;
  }

  async createProject(input: ProvisioningPlan['createProject']): Promise<void> {
    return translated(() => this.createProjectAsCodeBuild(input));
  }

  private async createProjectAsCodeBuild(input: ProvisioningPlan['createProject']): Promise<void> {
    await this.call('codebuild:CreateProject');
    if (this.snapshot.codebuild.projects.some((p) => p.name === input.name)) {
      throw simulatedAwsError('ResourceAlreadyExistsException', `Project already exists: ${input.name}`);
    }
    const role = this.snapshot.iam.roles.find((r) => r.Arn === input.serviceRole);
    if (!role) {
      throw simulatedAwsError(
        'InvalidInputException',
        'CodeBuild is not authorized to perform: sts:AssumeRole on service role',
      );
    }
    const now = new Date().toISOString();
    this.snapshot.codebuild.projects.push(
      projectSchema.parse({
        ...structuredClone(input),
        arn: this.arn('codebuild', `project/${input.name}`),
        created: now,
        lastModified: now,
      }),
    );
  }

  /** As UpdateProject: each structure given replaces the project's; tags, when given, replace its tags. */
  async updateProject(input: ProjectUpdate): Promise<void> {
    return translated(() => this.updateProjectAsCodeBuild(input));
  }

  private async updateProjectAsCodeBuild(input: ProjectUpdate): Promise<void> {
    await this.call('codebuild:UpdateProject');
    const projects = this.snapshot.codebuild.projects;
    const index = projects.findIndex((p) => p.name === input.name);
    if (index < 0)
      throw simulatedAwsError('ResourceNotFoundException', `Project cannot be found: ${input.name}`);
    projects[index] = projectSchema.parse({
      ...projects[index],
      ...structuredClone(input),
      lastModified: new Date().toISOString(),
    });
  }

  async deleteProject(name: string): Promise<void> {
    await this.call('codebuild:DeleteProject');
    // DeleteProject succeeds for a project that does not exist.
    this.snapshot.codebuild.projects = this.snapshot.codebuild.projects.filter((p) => p.name !== name);
  }

  /**
   * As the AWS adapter does it: detach the managed policies, delete the inline ones, then DeleteRole, which
   * IAM refuses (DeleteConflict) while any policy remains. A role already gone counts as deleted.
   */
  async deleteRole(roleName: string): Promise<void> {
    await this.call('iam:ListAttachedRolePolicies');
    const role = this.snapshot.iam.roles.find((r) => r.RoleName === roleName);
    if (!role) return;
    for (const attached of [...role.AttachedManagedPolicies]) {
      await this.call('iam:DetachRolePolicy');
      role.AttachedManagedPolicies = role.AttachedManagedPolicies.filter(
        (p) => p.PolicyArn !== attached.PolicyArn,
      );
    }
    await this.call('iam:ListRolePolicies');
    for (const inline of [...role.RolePolicyList]) {
      await this.call('iam:DeleteRolePolicy');
      role.RolePolicyList = role.RolePolicyList.filter((p) => p.PolicyName !== inline.PolicyName);
    }
    await this.call('iam:DeleteRole');
    if (role.AttachedManagedPolicies.length > 0 || role.RolePolicyList.length > 0) {
      throw simulatedAwsError(
        'DeleteConflictException',
        'Cannot delete entity, must detach all policies first.',
      );
    }
    this.snapshot.iam.roles = this.snapshot.iam.roles.filter((r) => r.RoleName !== roleName);
  }

  /** A repository already gone counts as deleted, as in the AWS adapter. */
  async deleteRepository(repositoryName: string, force: boolean): Promise<void> {
    await this.call('ecr:DeleteRepository');
    const repository = this.findRepository(repositoryName);
    if (!repository) return;
    if (!force && (repository.images?.length ?? 0) > 0) {
      throw simulatedAwsError(
        'RepositoryNotEmptyException',
        `The repository '${repositoryName}' cannot be deleted because it still contains images`,
      );
    }
    this.snapshot.ecr.repositories = this.snapshot.ecr.repositories.filter(
      (r) => r.repositoryName !== repositoryName,
    );
  }

  async imageCount(repositoryName: string): Promise<number> {
    await this.call('ecr:DescribeImages');
    return this.findRepository(repositoryName)?.images?.length ?? 0;
  }

  // -- ProvisioningClaims: in memory, with the conditional write's semantics. The file-backed local stack
  // runs one invocation at a time (lib/sandbox/file-store.ts), so claims never outlive an invocation there.

  private readonly claims = new Map<string, NameClaim>();

  async claimName(
    claim: Omit<NameClaim, 'state'>,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: NameClaim }> {
    await this.call('dynamodb:PutItem');
    const held = this.claims.get(claim.name);
    if (held && held.state === 'in-progress' && held.expiresAt >= now) {
      await this.call('dynamodb:GetItem');
      return { claimed: false, holder: structuredClone(held) };
    }
    this.claims.set(claim.name, { ...claim, state: 'in-progress' });
    return { claimed: true };
  }

  async readClaim(name: string): Promise<NameClaim | undefined> {
    await this.call('dynamodb:GetItem');
    return structuredClone(this.claims.get(name));
  }

  async endClaim(
    name: string,
    token: string,
    state: 'succeeded' | 'failed',
    keepUntil: number,
  ): Promise<void> {
    await this.call('dynamodb:UpdateItem');
    const held = this.claims.get(name);
    if (held?.token === token) this.claims.set(name, { ...held, state, expiresAt: keepUntil });
  }

  async authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }> {
    await this.call('iam:GetAccountAuthorizationDetails');
    this.failIfIamUnreadable();
    return structuredClone({ roles: this.snapshot.iam.roles, policies: this.snapshot.iam.policies });
  }

  async publish(notification: Notification): Promise<void> {
    await this.call('sns:Publish');
    const sns = (this.snapshot.sns ??= { topics: [] });
    let topic = sns.topics[0];
    if (!topic) {
      topic = {
        TopicArn: `arn:aws:sns:${this.snapshot.region}:${this.snapshot.accountId}:buildwarden`,
        messages: [],
      };
      sns.topics.push(topic);
    }
    topic.messages.push(structuredClone(notification) as unknown as Record<string, unknown>);
  }

  /** A snapshot whose IAM data could not be read fails every IAM read the same way. */
  private failIfIamUnreadable(): void {
    const unreadable = this.snapshot.iam.unreadable;
    if (unreadable) throw new UnreadableError(unreadable.call, unreadable.error);
  }

  private indexed: { list: Repository[]; length: number; byName: Map<string, Repository> } | undefined;

  /** By name, through an index rebuilt whenever the repository list changes (a 10,000-repository audit stays linear). */
  protected findRepository(name: string): Repository | undefined {
    const list = this.snapshot.ecr.repositories;
    if (!this.indexed || this.indexed.list !== list || this.indexed.length !== list.length) {
      this.indexed = { list, length: list.length, byName: new Map(list.map((r) => [r.repositoryName, r])) };
    }
    return this.indexed.byName.get(name);
  }
}

/** An error named like the AWS service exception it stands for, as the SDK raises it. */
export function simulatedAwsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * Pages fetched one `next()` at a time whose cursor moves only when a fetch succeeds, as a paginator's token
 * does: a failed fetch (an injected fault) can be retried by calling `next()` again, and yields the same page
 * once. (An async generator would be finished by the first error.) `fetch` returns undefined past the end.
 */
function resumablePages<T>(fetch: (page: number) => Promise<T | undefined>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let page = 0;
      let done = false;
      return {
        async next(): Promise<IteratorResult<T>> {
          if (done) return { done: true, value: undefined };
          const value = await fetch(page);
          if (value === undefined) {
            done = true;
            return { done: true, value: undefined };
          }
          page += 1;
          return { done: false, value };
        },
        async return(): Promise<IteratorResult<T>> {
          done = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function withoutJoinedFields(repository: Repository): Repository {
  const copy: Record<string, unknown> = structuredClone(repository);
  for (const field of JOINED_FIELDS) delete copy[field];
  return copy as Repository;
}

/**
 * SandboxAccount: a SIMULATED AWS account held in memory, loaded from and saved to an account snapshot.
 * It implements the same ports as the SDK adapters so the use cases, the CLI and the demo run locally.
 * Nothing here talks to AWS. Pages are cut at the sizes the real APIs use, so call counts are comparable.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  AccountInfo,
  ImagesOption,
  IdentityReader,
  Notification,
  Notifier,
  ProjectReader,
  RegistryReader,
  Remediator,
  RepositoryDetails,
} from '../ports';
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

export const DESCRIBE_REPOSITORIES_PAGE = 1000;
export const BATCH_GET_PROJECTS_MAX = 100;

const JOINED_FIELDS = [
  'lifecyclePolicyText',
  'repositoryPolicyText',
  'tags',
  'images',
  'scanFindings',
] as const;

/** Counts simulated API calls by IAM action name, e.g. `ecr:DescribeRepositories`. */
export type CallLog = Map<string, number>;

export class SandboxAccount implements RegistryReader, ProjectReader, IdentityReader, Notifier, Remediator {
  readonly calls: CallLog = new Map();

  constructor(readonly snapshot: Snapshot) {}

  static fromFile(path: string): SandboxAccount {
    return new SandboxAccount(parseSnapshot(readFileSync(path, 'utf8'), path));
  }

  /** Writes the account back in snapshot format, atomically (a crash never leaves half a file). */
  saveTo(path: string): void {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.snapshot, null, 2)}\n`);
    renameSync(tmp, path);
  }

  get info(): AccountInfo {
    return { accountId: this.snapshot.accountId, region: this.snapshot.region };
  }

  protected async call(action: string): Promise<void> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
  }

  async scanningConfiguration(): Promise<RegistryScanningConfiguration | undefined> {
    await this.call('ecr:GetRegistryScanningConfiguration');
    return structuredClone(this.snapshot.ecr.registryScanningConfiguration);
  }

  async *repositoryPages(): AsyncIterable<Repository[]> {
    const all = this.snapshot.ecr.repositories;
    for (let start = 0; start === 0 || start < all.length; start += DESCRIBE_REPOSITORIES_PAGE) {
      await this.call('ecr:DescribeRepositories');
      yield all.slice(start, start + DESCRIBE_REPOSITORIES_PAGE).map(withoutJoinedFields);
    }
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
      throw simulatedAwsError(
        'RepositoryNotFoundException',
        `The repository '${repository.repositoryName}' does not exist`,
      );
    }
    await this.call('ecr:GetRepositoryPolicy');
    await this.call('ecr:ListTagsForResource');
    const images =
      options.images === 'if-lifecycle-policy' ? stored.lifecyclePolicyText !== undefined : options.images;
    if (images) await this.call('ecr:DescribeImages');
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

  async *projectPages(): AsyncIterable<Project[]> {
    const all = this.snapshot.codebuild.projects;
    await this.call('codebuild:ListProjects');
    for (let start = 0; start < all.length; start += BATCH_GET_PROJECTS_MAX) {
      await this.call('codebuild:BatchGetProjects');
      yield structuredClone(all.slice(start, start + BATCH_GET_PROJECTS_MAX));
    }
  }

  async project(name: string): Promise<Project | undefined> {
    await this.call('codebuild:BatchGetProjects');
    return structuredClone(this.snapshot.codebuild.projects.find((p) => p.name === name));
  }

  /** Per-role reads, as the live adapter makes them for a single role. */
  async role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined> {
    await this.call('iam:GetRole');
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
      if (policy && defaultPolicyDocument(policy)) {
        await this.call('iam:GetPolicyVersion');
        policies.push(policy);
      }
    }
    return structuredClone({ role, policies });
  }

  async apply(write: RemediationWrite): Promise<void> {
    await this.call(`${'roleName' in write ? 'iam' : 'ecr'}:${write.type}`);
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
        if (write.imageTagMutabilityExclusionFilters) {
          repository.imageTagMutabilityExclusionFilters = structuredClone(
            write.imageTagMutabilityExclusionFilters,
          );
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

  async authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }> {
    await this.call('iam:GetAccountAuthorizationDetails');
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

  protected findRepository(name: string): Repository | undefined {
    return this.snapshot.ecr.repositories.find((r) => r.repositoryName === name);
  }
}

/** An error named like the AWS service exception it stands for, as the SDK raises it. */
export function simulatedAwsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function withoutJoinedFields(repository: Repository): Repository {
  const copy: Record<string, unknown> = structuredClone(repository);
  for (const field of JOINED_FIELDS) delete copy[field];
  return copy as Repository;
}

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
  RepositoryDetails,
} from '../ports';
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

export class SandboxAccount implements RegistryReader, ProjectReader, IdentityReader, Notifier {
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
    if (!stored) throw new RepositoryNotFoundError(repository.repositoryName);
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

export class RepositoryNotFoundError extends Error {
  constructor(readonly repositoryName: string) {
    super(`repository ${repositoryName} does not exist`);
    this.name = 'RepositoryNotFoundError';
  }
}

function withoutJoinedFields(repository: Repository): Repository {
  const copy: Record<string, unknown> = structuredClone(repository);
  for (const field of JOINED_FIELDS) delete copy[field];
  return copy as Repository;
}

/** The sandbox's RegistryReader: ECR's read side, pages cut at DescribeRepositories' size. */
import {
  UnreadableError,
  type ImagesOption,
  type RegistryReader,
  type RepositoryDetails,
  type RepositoryPage,
} from '../ports';
import type { RegistryScanningConfiguration, Repository } from '../policy/model';
import type {
  PullThroughCacheRule,
  RegistrySettingName,
  ReplicationConfiguration,
  RepositoryCreationTemplate,
} from '../policy/registry-settings';
import { REGISTRY_SETTING_NOT_CAPTURED, type Snapshot } from '../policy/snapshot';
import { ECR_PAGE_MAX } from '../policy/aws-facts';
import { resumablePages, simulatedAwsError, type SandboxState } from './state';

/** Fields a snapshot repository holds that DescribeRepositories does not return (`unreadable` is a read outcome). */
const JOINED_FIELDS = [
  'lifecyclePolicyText',
  'repositoryPolicyText',
  'tags',
  'images',
  'scanFindings',
  'unreadable',
] as const;

/** The calls repositoryDetails makes; a failure the snapshot recorded is raised at its call. */
const DETAIL_CALLS = [
  'ecr:GetLifecyclePolicy',
  'ecr:GetRepositoryPolicy',
  'ecr:ListTagsForResource',
  'ecr:DescribeImages',
] as const;

export class SandboxRegistry implements RegistryReader {
  constructor(private readonly state: SandboxState) {}

  /**
   * A registry setting as its read returns it; one the snapshot did not capture is unreadable (the rules say
   * not-visible), never "none".
   */
  private async setting<K extends RegistrySettingName>(
    call: string,
    key: K,
  ): Promise<NonNullable<Snapshot['ecr'][K]> | null> {
    await this.state.call(call);
    const value = this.state.snapshot.ecr[key];
    if (value === undefined) throw new UnreadableError(call, REGISTRY_SETTING_NOT_CAPTURED);
    return structuredClone(value) as NonNullable<Snapshot['ecr'][K]> | null;
  }

  async replicationConfiguration(): Promise<ReplicationConfiguration> {
    return (await this.setting('ecr:DescribeRegistry', 'replicationConfiguration')) ?? { rules: [] };
  }

  async registryPolicyText(): Promise<string | null> {
    return this.setting('ecr:GetRegistryPolicy', 'registryPolicyText');
  }

  async pullThroughCacheRules(): Promise<PullThroughCacheRule[]> {
    return (await this.setting('ecr:DescribePullThroughCacheRules', 'pullThroughCacheRules')) ?? [];
  }

  async repositoryCreationTemplates(): Promise<RepositoryCreationTemplate[]> {
    return (
      (await this.setting('ecr:DescribeRepositoryCreationTemplates', 'repositoryCreationTemplates')) ?? []
    );
  }

  async scanningConfiguration(): Promise<RegistryScanningConfiguration | undefined> {
    await this.state.call('ecr:GetRegistryScanningConfiguration');
    const unreadable = this.state.snapshot.ecr.unreadable;
    if (unreadable) throw new UnreadableError(unreadable.call, unreadable.error);
    return structuredClone(this.state.snapshot.ecr.registryScanningConfiguration);
  }

  repositoryPages(): AsyncIterable<Repository[]> {
    const all = this.state.snapshot.ecr.repositories;
    const pages = Math.max(1, Math.ceil(all.length / ECR_PAGE_MAX));
    return resumablePages(async (page) => {
      if (page >= pages) return undefined;
      await this.state.call('ecr:DescribeRepositories');
      const start = page * ECR_PAGE_MAX;
      return all.slice(start, start + ECR_PAGE_MAX).map(withoutJoinedFields);
    });
  }

  /**
   * A page from an offset, its token opaque to callers (as ECR's is); a token this sandbox did not hand out,
   * or a page size outside 1–1000, is refused with ECR's InvalidParameterException.
   */
  async repositoryPage(options: { nextToken?: string; maxResults?: number } = {}): Promise<RepositoryPage> {
    await this.state.call('ecr:DescribeRepositories');
    const size = options.maxResults ?? ECR_PAGE_MAX;
    if (!Number.isInteger(size) || size < 1 || size > ECR_PAGE_MAX) {
      throw simulatedAwsError(
        'InvalidParameterException',
        `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and ${ECR_PAGE_MAX}'`,
      );
    }
    const start = options.nextToken === undefined ? 0 : offsetOf(options.nextToken);
    const all = this.state.snapshot.ecr.repositories;
    const end = start + size;
    return {
      repositories: all.slice(start, end).map(withoutJoinedFields),
      ...(end < all.length ? { nextToken: tokenOf(end) } : {}),
    };
  }

  /**
   * As the ECR adapter reads it: DescribeRepositories, then the details; with the ARN known, all in one round
   * (a repository that does not exist is undefined whatever the other reads said).
   */
  async repository(
    name: string,
    options: { images?: boolean; arn?: string } = {},
  ): Promise<Repository | undefined> {
    const images = options.images ?? false;
    if (options.arn === undefined) {
      await this.state.call('ecr:DescribeRepositories');
      const found = this.state.findRepository(name);
      if (!found) return undefined;
      const base = withoutJoinedFields(found);
      return { ...base, ...(await this.repositoryDetails(base, { images })) };
    }
    const probe = { repositoryName: name, repositoryArn: options.arn } as Repository;
    const [described, details] = await Promise.allSettled([
      this.state.call('ecr:DescribeRepositories').then(() => this.state.findRepository(name)),
      this.repositoryDetails(probe, { images }),
    ]);
    if (described.status === 'rejected') throw described.reason;
    if (!described.value) return undefined;
    const base = withoutJoinedFields(described.value);
    if (details.status === 'rejected') throw details.reason;
    if (base.repositoryArn === options.arn) return { ...base, ...details.value };
    return { ...base, ...(await this.repositoryDetails(base, { images })) };
  }

  /**
   * The ECR adapter's rounds: GetLifecyclePolicy, GetRepositoryPolicy, ListTagsForResource (and DescribeImages
   * when asked unconditionally) together; with `if-lifecycle-policy`, DescribeImages after them when there is
   * a lifecycle policy. A failure (one the snapshot recorded, at its call, or an injected fault) is the first
   * in call order, whichever answered first.
   */
  async repositoryDetails(
    repository: Repository,
    options: { images: ImagesOption },
  ): Promise<RepositoryDetails> {
    const failed = this.state.findRepository(repository.repositoryName)?.unreadable;
    // A recorded failure of another call stands for the first read.
    const failedAt =
      failed?.call !== undefined && (DETAIL_CALLS as readonly string[]).includes(failed.call)
        ? failed.call
        : 'ecr:GetLifecyclePolicy';
    const read = async (call: (typeof DETAIL_CALLS)[number]): Promise<Repository> => {
      await this.state.call(call);
      // Looked up when the call answers: a repository deleted meanwhile is gone for it.
      const stored = this.state.findRepository(repository.repositoryName);
      if (!stored) {
        throw UnreadableError.from(
          call,
          simulatedAwsError(
            'RepositoryNotFoundException',
            `The repository '${repository.repositoryName}' does not exist`,
          ),
        );
      }
      if (failed && failedAt === call) throw new UnreadableError(failed.call, failed.error);
      return stored;
    };
    const imagesNow = options.images === true;
    const settled = await Promise.allSettled([
      read('ecr:GetLifecyclePolicy'),
      read('ecr:GetRepositoryPolicy'),
      read('ecr:ListTagsForResource'),
      ...(imagesNow ? [read('ecr:DescribeImages')] : []),
    ]);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw failure.reason;
    const stored = (settled[0] as PromiseFulfilledResult<Repository>).value;
    const details: RepositoryDetails = structuredClone({
      ...(stored.lifecyclePolicyText !== undefined
        ? { lifecyclePolicyText: stored.lifecyclePolicyText }
        : {}),
      ...(stored.repositoryPolicyText !== undefined
        ? { repositoryPolicyText: stored.repositoryPolicyText }
        : {}),
      tags: stored.tags ?? [],
    });
    if (imagesNow) details.images = structuredClone(stored.images ?? []);
    else if (options.images === 'if-lifecycle-policy' && stored.lifecyclePolicyText !== undefined) {
      details.images = structuredClone((await read('ecr:DescribeImages')).images ?? []);
    }
    return details;
  }
}

const TOKEN_PREFIX = 'sandbox-repositories:';

function tokenOf(offset: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${offset}`).toString('base64url');
}

function offsetOf(token: string): number {
  const text = Buffer.from(token, 'base64url').toString();
  const offset = text.startsWith(TOKEN_PREFIX) ? Number(text.slice(TOKEN_PREFIX.length)) : NaN;
  if (!Number.isInteger(offset) || offset < 0) {
    throw simulatedAwsError('InvalidParameterException', "Invalid parameter at 'nextToken'");
  }
  return offset;
}

function withoutJoinedFields(repository: Repository): Repository {
  const copy: Record<string, unknown> = structuredClone(repository);
  for (const field of JOINED_FIELDS) delete copy[field];
  return copy as Repository;
}

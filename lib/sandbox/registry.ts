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

/** The order in which repositoryDetails makes its calls; a recorded failure is raised at its call. */
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

  async repository(name: string, options: { images?: boolean } = {}): Promise<Repository | undefined> {
    await this.state.call('ecr:DescribeRepositories');
    const found = this.state.findRepository(name);
    if (!found) return undefined;
    const base = withoutJoinedFields(found);
    return { ...base, ...(await this.repositoryDetails(base, { images: options.images ?? false })) };
  }

  async repositoryDetails(
    repository: Repository,
    options: { images: ImagesOption },
  ): Promise<RepositoryDetails> {
    const stored = this.state.findRepository(repository.repositoryName);
    await this.state.call('ecr:GetLifecyclePolicy');
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
      if (index > 0) await this.state.call(call);
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

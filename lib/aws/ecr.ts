/** ECR adapter (read side): implements RegistryReader with the fewest calls the API allows. */
import {
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryPolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  paginateDescribeImages,
  paginateDescribePullThroughCacheRules,
  paginateDescribeRepositories,
  paginateDescribeRepositoryCreationTemplates,
  type ImageDetail as SdkImageDetail,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import {
  UnreadableError,
  type ImagesOption,
  type RegistryReader,
  type RepositoryDetails,
  type RepositoryPage,
} from '../ports';
import { ECR_PAGE_MAX, REGISTRY_SETTINGS_PAGE_MAX } from '../policy/aws-facts';
import type {
  PullThroughCacheRule,
  ReplicationConfiguration,
  RepositoryCreationTemplate,
} from '../policy/registry-settings';
import type { ImageDetail, RegistryScanningConfiguration, Repository } from '../policy/model';
import { ecrClient } from './clients';
import { compact, isAwsError, iso } from './common';

export const ecrReadActions = [
  'ecr:GetRegistryScanningConfiguration',
  'ecr:DescribeRepositories',
  'ecr:GetLifecyclePolicy',
  'ecr:GetRepositoryPolicy',
  'ecr:ListTagsForResource',
  'ecr:DescribeImages',
  // Registry-level settings (the registry rules).
  'ecr:DescribeRegistry',
  'ecr:GetRegistryPolicy',
  'ecr:DescribePullThroughCacheRules',
  'ecr:DescribeRepositoryCreationTemplates',
] as const;

export function toRepository(r: SdkRepository): Repository {
  return compact({
    repositoryArn: r.repositoryArn ?? '',
    registryId: r.registryId,
    repositoryName: r.repositoryName ?? '',
    repositoryUri: r.repositoryUri,
    createdAt: iso(r.createdAt),
    imageTagMutability: r.imageTagMutability,
    imageTagMutabilityExclusionFilters:
      r.imageTagMutabilityExclusionFilters as Repository['imageTagMutabilityExclusionFilters'],
    imageScanningConfiguration: r.imageScanningConfiguration,
    encryptionConfiguration: r.encryptionConfiguration as Repository['encryptionConfiguration'],
  }) as Repository;
}

export function toImageDetail(i: SdkImageDetail): ImageDetail {
  return compact({
    registryId: i.registryId,
    repositoryName: i.repositoryName,
    imageDigest: i.imageDigest ?? '',
    imageTags: i.imageTags,
    imageSizeInBytes: i.imageSizeInBytes,
    imagePushedAt: iso(i.imagePushedAt),
    lastRecordedPullTime: iso(i.lastRecordedPullTime),
    imageManifestMediaType: i.imageManifestMediaType,
    artifactMediaType: i.artifactMediaType,
    ...pickOptional(i as Record<string, unknown>),
  }) as ImageDetail;
}

/** Newer DescribeImages fields (archive support) are passed through when the SDK returns them. */
function pickOptional(i: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof i.imageStatus === 'string') out.imageStatus = i.imageStatus;
  if (i.lastArchivedAt instanceof Date) out.lastArchivedAt = i.lastArchivedAt.toISOString();
  if (i.lastActivatedAt instanceof Date) out.lastActivatedAt = i.lastActivatedAt.toISOString();
  return out;
}

export class EcrRegistry implements RegistryReader {
  constructor(private readonly client: ECRClient = ecrClient()) {}

  async scanningConfiguration(): Promise<RegistryScanningConfiguration | undefined> {
    const out = await this.client
      .send(new GetRegistryScanningConfigurationCommand({}))
      .catch(failedCall('ecr:GetRegistryScanningConfiguration'));
    const config = out.scanningConfiguration;
    if (!config?.scanType) return undefined;
    return {
      scanType: config.scanType,
      rules: (config.rules ?? []).map((rule) => ({
        scanFrequency: rule.scanFrequency ?? 'MANUAL',
        repositoryFilters: (rule.repositoryFilters ?? []).map((f) => ({
          filter: f.filter ?? '',
          filterType: 'WILDCARD' as const,
        })),
      })),
    };
  }

  async *repositoryPages(): AsyncIterable<Repository[]> {
    for await (const page of paginateDescribeRepositories(
      { client: this.client, pageSize: ECR_PAGE_MAX },
      {},
    )) {
      yield (page.repositories ?? []).map(toRepository);
    }
  }

  async repositoryPage(options: { nextToken?: string; maxResults?: number } = {}): Promise<RepositoryPage> {
    const out = await this.client.send(
      new DescribeRepositoriesCommand({
        maxResults: options.maxResults ?? ECR_PAGE_MAX,
        ...(options.nextToken !== undefined ? { nextToken: options.nextToken } : {}),
      }),
    );
    return {
      repositories: (out.repositories ?? []).map(toRepository),
      ...(out.nextToken ? { nextToken: out.nextToken } : {}),
    };
  }

  async repository(
    name: string,
    options: { images?: boolean; arn?: string } = {},
  ): Promise<Repository | undefined> {
    if (options.arn !== undefined)
      return this.repositoryInOneRound(name, options.arn, options.images ?? false);
    let found: SdkRepository | undefined;
    try {
      const out = await this.client.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
      found = out.repositories?.[0];
    } catch (error) {
      if (isAwsError(error, 'RepositoryNotFoundException')) return undefined;
      throw error;
    }
    if (!found) return undefined;
    const repository = toRepository(found);
    return {
      ...repository,
      ...(await this.repositoryDetails(repository, { images: options.images ?? false })),
    };
  }

  /**
   * The repository and its joined fields in one round: with its ARN known, no read waits for
   * DescribeRepositories' answer (the others name the repository in the caller's registry). A repository that
   * does not exist is undefined, whatever the other reads said; otherwise the first failure in call order is
   * raised. Should DescribeRepositories name another ARN, the details are read again under it.
   */
  private async repositoryInOneRound(
    name: string,
    arn: string,
    images: boolean,
  ): Promise<Repository | undefined> {
    const described = this.client
      .send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))
      .then((o) => o.repositories?.[0])
      .catch((error: unknown) => {
        if (isAwsError(error, 'RepositoryNotFoundException')) return undefined;
        throw error;
      });
    // The registry is the ARN's account: the reads name it, as they do after DescribeRepositories.
    const probe = toRepository({ repositoryName: name, repositoryArn: arn, registryId: arn.split(':')[4] });
    const [first, details] = await Promise.allSettled([described, this.repositoryDetails(probe, { images })]);
    if (first.status === 'rejected') throw first.reason;
    if (!first.value) return undefined;
    const repository = toRepository(first.value);
    if (details.status === 'rejected') throw details.reason;
    if (repository.repositoryArn === arn) return { ...repository, ...details.value };
    return { ...repository, ...(await this.repositoryDetails(repository, { images })) };
  }

  async repositoryDetails(
    repository: Repository,
    options: { images: ImagesOption },
  ): Promise<RepositoryDetails> {
    const ids = { repositoryName: repository.repositoryName, registryId: repository.registryId };
    // Images asked for unconditionally depend on no other answer: they go out in the same round.
    const imagesNow = options.images === true;
    const settled = await Promise.allSettled([
      this.client
        .send(new GetLifecyclePolicyCommand(ids))
        .then((o) => o.lifecyclePolicyText)
        .catch(absentOn('LifecyclePolicyNotFoundException', 'ecr:GetLifecyclePolicy')),
      this.client
        .send(new GetRepositoryPolicyCommand(ids))
        .then((o) => o.policyText)
        .catch(absentOn('RepositoryPolicyNotFoundException', 'ecr:GetRepositoryPolicy')),
      this.client
        .send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn }))
        .then((o) => (o.tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })))
        .catch(failedCall('ecr:ListTagsForResource')),
      imagesNow
        ? this.images(repository).catch(failedCall('ecr:DescribeImages'))
        : Promise.resolve(undefined),
    ] as const);
    // The first failure in call order, whichever answered first: the same error as a read one call at a time.
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw failure.reason;
    const [lifecyclePolicyText, repositoryPolicyText, tags, images] = settled.map((s) =>
      s.status === 'fulfilled' ? s.value : undefined,
    ) as [string | undefined, string | undefined, RepositoryDetails['tags'], ImageDetail[] | undefined];
    const details: RepositoryDetails = compact({ lifecyclePolicyText, repositoryPolicyText, tags });
    if (images) details.images = images;
    else if (options.images === 'if-lifecycle-policy' && lifecyclePolicyText !== undefined) {
      details.images = await this.images(repository).catch(failedCall('ecr:DescribeImages'));
    }
    return details;
  }

  async replicationConfiguration(): Promise<ReplicationConfiguration> {
    const out = await this.client
      .send(new DescribeRegistryCommand({}))
      .catch(failedCall('ecr:DescribeRegistry'));
    return {
      rules: (out.replicationConfiguration?.rules ?? []).map((rule) =>
        compact({
          destinations: (rule.destinations ?? []).map((d) => ({
            region: d.region ?? '',
            registryId: d.registryId ?? '',
          })),
          repositoryFilters: rule.repositoryFilters?.map((f) => ({
            filter: f.filter ?? '',
            filterType: f.filterType ?? '',
          })),
        }),
      ),
    };
  }

  async registryPolicyText(): Promise<string | null> {
    try {
      const out = await this.client.send(new GetRegistryPolicyCommand({}));
      return out.policyText ?? null;
    } catch (error) {
      // A registry without a policy is a normal state.
      if (isAwsError(error, 'RegistryPolicyNotFoundException')) return null;
      throw UnreadableError.from('ecr:GetRegistryPolicy', error);
    }
  }

  async pullThroughCacheRules(): Promise<PullThroughCacheRule[]> {
    const rules: PullThroughCacheRule[] = [];
    try {
      for await (const page of paginateDescribePullThroughCacheRules(
        { client: this.client, pageSize: REGISTRY_SETTINGS_PAGE_MAX },
        {},
      )) {
        for (const r of page.pullThroughCacheRules ?? []) {
          rules.push(
            compact({
              ecrRepositoryPrefix: r.ecrRepositoryPrefix ?? '',
              upstreamRegistryUrl: r.upstreamRegistryUrl,
              createdAt: iso(r.createdAt),
              registryId: r.registryId,
              credentialArn: r.credentialArn,
              customRoleArn: r.customRoleArn,
              upstreamRepositoryPrefix: r.upstreamRepositoryPrefix,
              upstreamRegistry: r.upstreamRegistry,
              updatedAt: iso(r.updatedAt),
            }),
          );
        }
      }
    } catch (error) {
      throw UnreadableError.from('ecr:DescribePullThroughCacheRules', error);
    }
    return rules;
  }

  async repositoryCreationTemplates(): Promise<RepositoryCreationTemplate[]> {
    const templates: RepositoryCreationTemplate[] = [];
    try {
      for await (const page of paginateDescribeRepositoryCreationTemplates(
        { client: this.client, pageSize: REGISTRY_SETTINGS_PAGE_MAX },
        {},
      )) {
        for (const t of page.repositoryCreationTemplates ?? []) {
          templates.push(
            compact({
              prefix: t.prefix ?? '',
              description: t.description,
              encryptionConfiguration: t.encryptionConfiguration?.encryptionType
                ? compact({
                    encryptionType: t.encryptionConfiguration.encryptionType,
                    kmsKey: t.encryptionConfiguration.kmsKey,
                  })
                : undefined,
              resourceTags: t.resourceTags?.map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' })),
              imageTagMutability: t.imageTagMutability,
              imageTagMutabilityExclusionFilters: t.imageTagMutabilityExclusionFilters?.map((f) => ({
                filterType: f.filterType ?? '',
                filter: f.filter ?? '',
              })),
              repositoryPolicy: t.repositoryPolicy,
              lifecyclePolicy: t.lifecyclePolicy,
              appliedFor: t.appliedFor,
              customRoleArn: t.customRoleArn,
              createdAt: iso(t.createdAt),
              updatedAt: iso(t.updatedAt),
            }),
          );
        }
      }
    } catch (error) {
      throw UnreadableError.from('ecr:DescribeRepositoryCreationTemplates', error);
    }
    return templates;
  }

  async images(repository: Repository): Promise<ImageDetail[]> {
    const images: ImageDetail[] = [];
    const input = { repositoryName: repository.repositoryName, registryId: repository.registryId };
    for await (const page of paginateDescribeImages({ client: this.client, pageSize: ECR_PAGE_MAX }, input)) {
      images.push(...(page.imageDetails ?? []).map(toImageDetail));
    }
    return images;
  }
}

/** "Not found" means "not set"; any other error fails the read, naming the call. */
function absentOn(name: string, call: string) {
  return (error: unknown): undefined => {
    if (isAwsError(error, name)) return undefined;
    throw UnreadableError.from(call, error);
  };
}

function failedCall(call: string) {
  return (error: unknown): never => {
    throw UnreadableError.from(call, error);
  };
}

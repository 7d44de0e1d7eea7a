/**
 * AWS naming facts, each stated once with its source: partitions and their DNS suffixes, ARNs, the name
 * grammars of ECR repositories, CodeBuild projects and IAM roles, the page sizes of the list APIs, and the IAM
 * actions `docker push` and `docker pull` call. Pure: the adapters, the sandbox and the core all read them here.
 * tests/unit/policy/aws-facts.test.ts states each fact against its source (the SDK's endpoint data, the
 * botocore models in tests/fixtures/aws-samples/api-contracts).
 */

// ---------------------------------------------------------------------------------------------------------
// Partitions

/**
 * Every AWS partition, with the regions it holds (its `regionRegex`) and the domain of its service endpoints
 * (`dnsSuffix`): the SDK's endpoint-rules partition data (@aws-sdk/core, util-endpoints partitions). The
 * region patterns do not overlap; a region none of them matches is in `aws`, as the SDK resolves it.
 */
export const PARTITIONS = [
  { id: 'aws', regions: /^(?:us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, dnsSuffix: 'amazonaws.com' },
  { id: 'aws-cn', regions: /^cn-\w+-\d+$/, dnsSuffix: 'amazonaws.com.cn' },
  { id: 'aws-eusc', regions: /^eusc-de-\w+-\d+$/, dnsSuffix: 'amazonaws.eu' },
  { id: 'aws-iso', regions: /^us-iso-\w+-\d+$/, dnsSuffix: 'c2s.ic.gov' },
  { id: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/, dnsSuffix: 'sc2s.sgov.gov' },
  { id: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/, dnsSuffix: 'cloud.adc-e.uk' },
  { id: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/, dnsSuffix: 'csp.hci.ic.gov' },
  { id: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/, dnsSuffix: 'amazonaws.com' },
] as const;

export type PartitionId = (typeof PARTITIONS)[number]['id'];

/** The partition a region belongs to (`aws` for a region no partition names, as the SDK does). */
export function partitionOf(region: string): PartitionId {
  return PARTITIONS.find((p) => p.regions.test(region))?.id ?? 'aws';
}

export function isPartition(id: string): id is PartitionId {
  return PARTITIONS.some((p) => p.id === id);
}

/** The domain of the partition's service endpoints (`<service>.<region>.<dnsSuffix>`); undefined when unknown. */
export function dnsSuffixOf(partition: string): string | undefined {
  return PARTITIONS.find((p) => p.id === partition)?.dnsSuffix;
}

/**
 * The shape of a region name in every partition: a two-letter geography (`us`, `cn`, `eu` …) or the European
 * Sovereign Cloud's `eusc`, words, and a number (`us-east-1`, `us-isob-east-1`, `eusc-de-east-1`).
 */
export const REGION = /^(?:[a-z]{2}|eusc)(?:-[a-z]+)+-\d+$/;
/** The same shape, to embed in a larger pattern (no anchors, no groups that capture). */
export const REGION_SOURCE = REGION.source.slice(1, -1);

/** A 12-digit AWS account id (botocore ecr RegistryId `[0-9]{12}`). */
export const ACCOUNT_ID = /^\d{12}$/;

// ---------------------------------------------------------------------------------------------------------
// ARNs

/** Where a resource lives: the partition, region and account of its ARN. */
export interface AwsScope {
  partition: string;
  region: string;
  accountId: string;
}

export interface ArnParts extends AwsScope {
  service: string;
  /** Everything after the account, e.g. `repository/team/app` or `role/service-role/build`. */
  resource: string;
}

/** `arn:partition:service:region:account-id:resource` (AWS General Reference, "Amazon Resource Names"). */
export function buildArn(parts: ArnParts): string {
  return `arn:${parts.partition}:${parts.service}:${parts.region}:${parts.accountId}:${parts.resource}`;
}

/** The parts of an ARN; undefined when the text is not one (fewer than six `:`-separated parts). */
export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[1] === '' || parts[2] === '') return undefined;
  const [, partition, service, region, accountId] = parts as [string, string, string, string, string];
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

/** `arn:<partition>:ecr:<region>:<account>:repository/<name>`. */
export function repositoryArnOf(scope: AwsScope, repositoryName: string): string {
  return buildArn({ ...scope, service: 'ecr', resource: `repository/${repositoryName}` });
}

/** `arn:<partition>:codebuild:<region>:<account>:project/<name>`. */
export function projectArnOf(scope: AwsScope, projectName: string): string {
  return buildArn({ ...scope, service: 'codebuild', resource: `project/${projectName}` });
}

/** `arn:<partition>:iam::<account>:role<path><name>` (IAM is global: no region). */
export function roleArnOf(scope: Omit<AwsScope, 'region'>, path: string, roleName: string): string {
  return buildArn({ ...scope, region: '', service: 'iam', resource: `role${path}${roleName}` });
}

/** The host of an account's private registry: `<account>.dkr.ecr.<region>.<partition's DNS suffix>`. */
export function registryHostOf(scope: AwsScope): string {
  return `${scope.accountId}.dkr.ecr.${scope.region}.${dnsSuffixOf(scope.partition) ?? 'amazonaws.com'}`;
}

/** `<registry host>/<repository name>`, as DescribeRepositories reports `repositoryUri`. */
export function repositoryUriOf(scope: AwsScope, repositoryName: string): string {
  return `${registryHostOf(scope)}/${repositoryName}`;
}

export interface RepositoryArnParts extends AwsScope {
  /** The repository name; for an image ARN (`…:repository/<name>/sha256:…`) the part before the digest. */
  repositoryName: string;
  /** Present for an image ARN as Amazon Inspector names ECR images. */
  imageDigest?: string;
}

const ECR_ARN = new RegExp(`^arn:(aws[a-z-]*):ecr:(${REGION_SOURCE}):(\\d{12}):repository\\/(.+)$`);
const DIGEST_SUFFIX = /^(.+)\/([A-Za-z0-9_+.-]+:[A-Za-z0-9]+)$/;

/**
 * `arn:aws:ecr:us-east-1:123456789012:repository/team/app`, or the image form Amazon Inspector uses,
 * `…:repository/team/app/sha256:…`. Undefined for anything else (an instance id, a Lambda function ARN …).
 * The name is not checked against the repository-name grammar: callers that need that check it.
 */
export function parseRepositoryArn(arn: string): RepositoryArnParts | undefined {
  const match = ECR_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, accountId, rest] = match as unknown as [string, string, string, string, string];
  const image = DIGEST_SUFFIX.exec(rest);
  return image
    ? { partition, region, accountId, repositoryName: image[1]!, imageDigest: image[2]! }
    : { partition, region, accountId, repositoryName: rest };
}

// ---------------------------------------------------------------------------------------------------------
// Name grammars (botocore service models: tests/fixtures/aws-samples/api-contracts)

/** ECR RepositoryName (ecr 2015-09-21): its pattern, without its length bounds. */
const REPOSITORY_NAME_SHAPE =
  '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:\\/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*';
/** ECR RepositoryName's length bounds. */
export const REPOSITORY_NAME_LENGTH = { min: 2, max: 256 } as const;
/** ECR RepositoryName: the pattern and its 2–256 length bounds. */
export const REPOSITORY_NAME = new RegExp(
  `^(?=.{${REPOSITORY_NAME_LENGTH.min},${REPOSITORY_NAME_LENGTH.max}}$)${REPOSITORY_NAME_SHAPE}$`,
);
/** ECR RepositoryName's pattern alone (a name of any length), for messages that state the length apart. */
export const REPOSITORY_NAME_PATTERN = new RegExp(`^${REPOSITORY_NAME_SHAPE}$`);

/** CodeBuild ProjectName (codebuild 2016-10-06): a letter or digit, then letters, digits, - and _; 2–150. */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9\-_]{1,149}$/;

/** IAM roleNameType (iam 2010-05-08): `[\w+=,.@-]+`, 1–64 characters. */
export const ROLE_NAME_MAX = 64;
export const ROLE_NAME = new RegExp(`^[\\w+=,.@-]{1,${ROLE_NAME_MAX}}$`);

/**
 * IAM quota "Role policy size": a role's inline policies together hold at most 10,240 characters, white space
 * not counted (IAM User Guide, "IAM and AWS STS quotas").
 */
export const ROLE_INLINE_POLICIES_MAX = 10240;

/** A CodeBuild project holds at most 50 tags (codebuild TagList max 50). */
export const PROJECT_TAGS_MAX = 50;

// ---------------------------------------------------------------------------------------------------------
// Page sizes: the largest page each list API gives

/** DescribeRepositories, DescribeImages and DescribeImageScanFindings: maxResults 1–1000 (ecr MaxResults). */
export const ECR_PAGE_MAX = 1000;
/** GetLifecyclePolicyPreview: maxResults 1–100 (ecr LifecyclePreviewMaxResults). */
export const LIFECYCLE_PREVIEW_PAGE_MAX = 100;
/** BatchGetProjects: 1–100 names a call (codebuild ProjectNames). */
export const BATCH_GET_PROJECTS_MAX = 100;
/**
 * ListProjects: "if there are more than 100 items in the list, only the first 100 items are returned, along with
 * a unique string called a nextToken" (CodeBuild API Reference, ListProjects); it takes no page size.
 */
export const LIST_PROJECTS_PAGE = 100;
/** GetAccountAuthorizationDetails and the other IAM list calls: MaxItems 1–1000 (iam maxItemsType). */
export const IAM_PAGE_MAX = 1000;
/** IAM list calls without MaxItems: "If you do not include this parameter, the number of items defaults to 100". */
export const IAM_DEFAULT_PAGE = 100;
/**
 * ListAccounts, ListAccountsForParent and ListOrganizationalUnitsForParent: MaxResults 1–20 (Organizations API
 * Reference). Organizations "might return fewer results than the maximum even when there are more": only a
 * missing NextToken ends a listing.
 */
export const ORGANIZATIONS_PAGE_MAX = 20;

// ---------------------------------------------------------------------------------------------------------
// The IAM actions of docker push and pull (ECR User Guide, "Private repository policy examples"; CodeBuild
// User Guide, Docker sample service-role statement in tests/fixtures/aws-samples)

/** `docker login`'s token: only grantable on `*` (ECR has no resource-level permissions for it). */
export const ECR_AUTH_ACTION = 'ecr:GetAuthorizationToken';
/** What `docker push` calls on the repository (besides ECR_AUTH_ACTION on `*`). */
export const ECR_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
] as const;
/**
 * What pulling an image of the repository (a build's `docker build --cache-from`) calls on it beyond
 * ECR_PUSH_ACTIONS, which hold the third pull action, BatchCheckLayerAvailability.
 */
export const ECR_CACHE_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;

/** The service principal CodeBuild assumes a project's service role as. */
export const CODEBUILD_SERVICE_PRINCIPAL = 'codebuild.amazonaws.com';

// ---------------------------------------------------------------------------------------------------------
// Registry-level settings (botocore ecr 2015-09-21, tests/fixtures/aws-samples/api-contracts; ECR User Guide)

/**
 * A repository creation template's prefix (ecr Prefix): a repository namespace, `/`-separated, or `ROOT`, which
 * applies to every repository no other template covers. ECR treats a prefix as ending in `/`.
 */
export const TEMPLATE_PREFIX =
  /^(?:[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$/;
/** ecr Prefix: 1–256 characters. */
export const TEMPLATE_PREFIX_MAX = 256;
/** The template prefix that covers every repository no other template covers. */
export const ROOT_TEMPLATE_PREFIX = 'ROOT';

/** What ECR creates repositories for, as a template's `appliedFor` says (ecr RCTAppliedFor). */
export const CREATION_PATHS = ['PULL_THROUGH_CACHE', 'REPLICATION', 'CREATE_ON_PUSH'] as const;
export type CreationPath = (typeof CREATION_PATHS)[number];

/**
 * The upstream registries a pull through cache rule may name (ecr UpstreamRegistry), the host of the
 * `upstreamRegistryUrl` each one takes (CreatePullThroughCacheRule, upstreamRegistryUrl) and how ECR
 * authenticates to it (ECR User Guide, "Sync an upstream registry with an Amazon ECR private registry": Amazon
 * ECR Public, Kubernetes and Quay need none; Docker Hub, Microsoft Azure Container Registry, GitHub Container
 * Registry, GitLab Container Registry and Chainguard a Secrets Manager secret; Amazon ECR an IAM role when the
 * upstream registry is another account's). `host` is undefined where the API reference names no URL.
 */
export const PULL_THROUGH_CACHE_UPSTREAMS = {
  ecr: { host: /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/, authentication: 'role' },
  'ecr-public': { host: /^public\.ecr\.aws$/, authentication: 'none' },
  quay: { host: /^quay\.io$/, authentication: 'none' },
  k8s: { host: /^registry\.k8s\.io$/, authentication: 'none' },
  'docker-hub': { host: /^registry-1\.docker\.io$/, authentication: 'secret' },
  'github-container-registry': { host: /^ghcr\.io$/, authentication: 'secret' },
  'azure-container-registry': { host: /^[a-z0-9-]+\.azurecr\.io$/, authentication: 'secret' },
  'gitlab-container-registry': { host: /^registry\.gitlab\.com$/, authentication: 'secret' },
  chainguard: { host: undefined, authentication: 'secret' },
} as const satisfies Record<string, { host: RegExp | undefined; authentication: 'none' | 'secret' | 'role' }>;
export type UpstreamRegistry = keyof typeof PULL_THROUGH_CACHE_UPSTREAMS;
export const UPSTREAM_REGISTRIES = Object.keys(PULL_THROUGH_CACHE_UPSTREAMS) as UpstreamRegistry[];

/**
 * The name every Secrets Manager secret of a pull through cache rule starts with (ecr CredentialArn
 * `…:secret:ecr-pullthroughcache/…`; ECR User Guide, "Creating a pull through cache rule": the secret must be in
 * the account and Region of the rule).
 */
export const PULL_THROUGH_CACHE_SECRET_PREFIX = 'ecr-pullthroughcache/';

/** DescribePullThroughCacheRules and DescribeRepositoryCreationTemplates: maxResults 1–1000 (ecr MaxResults). */
export const REGISTRY_SETTINGS_PAGE_MAX = 1000;

/**
 * Which image a verdict is about: an ECR image is named by its registry (the owning account), its region, its
 * repository and its digest. A repository name alone is not enough: the same name exists in every account and
 * region, and a verdict stored under the bare name would answer for images of any of them. Pure.
 */

export interface RepositoryRef {
  /** The registry id: the 12-digit account that owns the repository. */
  registryId: string;
  region: string;
  repositoryName: string;
}

export interface ImageRef extends RepositoryRef {
  imageDigest: string;
}

export interface RepositoryArnParts {
  partition: string;
  region: string;
  accountId: string;
  /** The repository name; for an image ARN (`…:repository/<name>/sha256:…`) the part before the digest. */
  repositoryName: string;
  /** Present for an image ARN as Amazon Inspector names ECR images. */
  imageDigest?: string;
}

const ECR_ARN = /^arn:(aws[a-z-]*):ecr:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):repository\/(.+)$/;
const DIGEST_SUFFIX = /^(.+)\/([A-Za-z0-9_+.-]+:[A-Za-z0-9]+)$/;

/**
 * `arn:aws:ecr:us-east-1:123456789012:repository/team/app`, or the image form Amazon Inspector uses,
 * `…:repository/team/app/sha256:…`. Undefined for anything else (an instance id, a Lambda function ARN …).
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

/** The account and region a deployment serves. */
export interface OwnScope {
  accountId: string;
  region: string;
}

/** The EventBridge envelope's account and region, and the registry and region of the image it names. */
export interface ImageEventOrigin {
  account: string;
  region: string;
  registryId: string;
  repositoryRegion: string;
}

/**
 * Why an event about an image is not this deployment's to act on, or undefined when it is. Both the envelope
 * (which account's event bus it came from) and the image (whose registry it lives in) must be the deployment's
 * own: a verdict stored for another registry would answer the gate's question for an image it never scanned.
 */
export function foreignImageReason(origin: ImageEventOrigin, own: OwnScope): string | undefined {
  if (origin.account !== own.accountId)
    return `the event is from account ${origin.account}, not ${own.accountId}`;
  if (origin.region !== own.region) return `the event is from region ${origin.region}, not ${own.region}`;
  if (origin.registryId !== own.accountId)
    return `the image is in registry ${origin.registryId}, not this account's (${own.accountId})`;
  if (origin.repositoryRegion !== own.region)
    return `the image is in region ${origin.repositoryRegion}, not ${own.region}`;
  return undefined;
}

/** `web/frontend@sha256:…` in registry and region, for log lines and reasons. */
export function describeImage(image: ImageRef): string {
  return `${image.repositoryName}@${image.imageDigest} (registry ${image.registryId}, ${image.region})`;
}

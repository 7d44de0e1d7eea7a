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

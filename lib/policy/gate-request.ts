/**
 * The gate API's path: `GET /images/{repository}/{digest}/verdict`. Repository names may contain `/`; they go
 * into the path as they are (`/images/team/app/sha256:…/verdict`) or percent-encoded as one segment
 * (`/images/team%2Fapp/sha256:…/verdict`). The digest is always the segment before `/verdict`. In organization
 * mode `?account=&region=` name the member account and Region of the image (default: the deployment's own).
 */
import { ACCOUNT_ID, REGION, REPOSITORY_NAME } from './aws-facts';
import { InvalidInputError } from './validation';

/** ECR's image digest pattern (ImageIdentifier.imageDigest). */
export const IMAGE_DIGEST = /^[a-z0-9]+(?:[.+-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export interface VerdictQuery {
  repositoryName: string;
  imageDigest: string;
}

function decode(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidInputError('request', [`${field}: not valid percent-encoding`]);
  }
}

/** Parses the part of the path after `/images/`. */
export function parseVerdictPath(proxy: string): VerdictQuery {
  const segments = proxy.split('/').filter((s) => s !== '');
  if (segments.length < 3 || segments[segments.length - 1] !== 'verdict') {
    throw new InvalidInputError('request', ['path: expected /images/{repository}/{digest}/verdict']);
  }
  const imageDigest = decode(segments[segments.length - 2]!, 'digest');
  const repositoryName = segments
    .slice(0, -2)
    .map((s) => decode(s, 'repository'))
    .join('/');
  const problems: string[] = [];
  if (!REPOSITORY_NAME.test(repositoryName))
    problems.push(`repository: "${repositoryName.slice(0, 300)}" is not an ECR repository name`);
  if (!IMAGE_DIGEST.test(imageDigest))
    problems.push(`digest: "${imageDigest.slice(0, 300)}" is not an image digest (sha256:<hex>)`);
  if (problems.length > 0) throw new InvalidInputError('request', problems);
  return { repositoryName, imageDigest };
}

/** Whose verdict the gate asks for: `?account=&region=`; absent, the deployment's own. */
export interface VerdictPlace {
  accountId?: string;
  region?: string;
}

/** Parses the gate's `account` and `region` query parameters, naming the one that is malformed. */
export function parseVerdictPlace(account: string | undefined, region: string | undefined): VerdictPlace {
  const problems: string[] = [];
  if (account !== undefined && !ACCOUNT_ID.test(account))
    problems.push(`account: "${account.slice(0, 100)}" is not a 12-digit AWS account id`);
  if (region !== undefined && !REGION.test(region))
    problems.push(`region: "${region.slice(0, 100)}" is not an AWS Region name (such as us-east-1)`);
  if (problems.length > 0) throw new InvalidInputError('request', problems);
  return {
    ...(account !== undefined ? { accountId: account } : {}),
    ...(region !== undefined ? { region } : {}),
  };
}

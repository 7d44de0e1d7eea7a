/** The sandbox's ScanFindingsReader: the stored DescribeImageScanFindings answer of an image. */
import { translated } from '../aws/errors';
import type { ScanFindingsReader } from '../ports';
import { simulatedAwsError, type SandboxState } from './state';

export class SandboxScanFindings implements ScanFindingsReader {
  constructor(private readonly state: SandboxState) {}

  /** The repository's stored DescribeImageScanFindings response for the digest, as one page. */
  async imageScanFindingsPages(repositoryName: string, imageDigest: string): Promise<unknown[]> {
    return translated(() => this.scanFindings(repositoryName, imageDigest));
  }

  private async scanFindings(repositoryName: string, imageDigest: string): Promise<unknown[]> {
    await this.state.call('ecr:DescribeImageScanFindings');
    const repository = this.state.findRepository(repositoryName);
    if (!repository)
      throw simulatedAwsError(
        'RepositoryNotFoundException',
        `The repository '${repositoryName}' does not exist`,
      );
    const stored = repository.scanFindings?.[imageDigest];
    // As ECR answers: an image the repository's (recorded) images do not hold is not found, before its scan.
    if (!stored && repository.images && !repository.images.some((i) => i.imageDigest === imageDigest)) {
      throw simulatedAwsError(
        'ImageNotFoundException',
        `The image with imageId {imageDigest:'${imageDigest}'} does not exist within the repository with name '${repositoryName}'`,
      );
    }
    if (!stored)
      throw simulatedAwsError(
        'ScanNotFoundException',
        `No scan findings for ${imageDigest} in ${repositoryName}`,
      );
    return [structuredClone(stored)];
  }
}

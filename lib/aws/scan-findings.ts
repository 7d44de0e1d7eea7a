/** DescribeImageScanFindings, every page (basic `findings` and enhanced `enhancedFindings`). */
import { paginateDescribeImageScanFindings, type ECRClient } from '@aws-sdk/client-ecr';
import type { ScanFindingsReader } from '../ports';
import { ECR_PAGE_MAX } from '../policy/aws-facts';
import { ecrClient } from './clients';
import { translated } from './errors';

export const scanFindingsActions = ['ecr:DescribeImageScanFindings'] as const;

export class EcrScanFindings implements ScanFindingsReader {
  constructor(private readonly client: ECRClient = ecrClient()) {}

  /** A repository, image or scan that does not exist is a NotFoundError naming which (lib/aws/errors.ts). */
  async imageScanFindingsPages(repositoryName: string, imageDigest: string): Promise<unknown[]> {
    return translated(async () => {
      const pages: unknown[] = [];
      const input = { repositoryName, imageId: { imageDigest } };
      for await (const page of paginateDescribeImageScanFindings(
        { client: this.client, pageSize: ECR_PAGE_MAX },
        input,
      )) {
        // Dates become ISO strings, the shape a snapshot stores.
        pages.push(JSON.parse(JSON.stringify({ ...page, $metadata: undefined })));
      }
      return pages;
    });
  }
}

/** DescribeImageScanFindings, every page (basic `findings` and enhanced `enhancedFindings`). */
import { ECRClient, paginateDescribeImageScanFindings } from '@aws-sdk/client-ecr';
import type { ScanFindingsReader } from '../ports';
import { ECR_PAGE_MAX } from '../policy/aws-facts';
import { clientConfig } from './common';

export const scanFindingsActions = ['ecr:DescribeImageScanFindings'] as const;

const ecr = new ECRClient(clientConfig);

export class EcrScanFindings implements ScanFindingsReader {
  constructor(private readonly client: ECRClient = ecr) {}

  async imageScanFindingsPages(repositoryName: string, imageDigest: string): Promise<unknown[]> {
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
  }
}

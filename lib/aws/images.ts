/** Whether an image still exists: DescribeImages by digest. */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { ImageLookup } from '../ports';
import { clientConfig } from './common';

export const imageLookupActions = ['ecr:DescribeImages'] as const;

const ecr = new ECRClient(clientConfig);

/** ECR's answers for a repository or an image that does not exist. */
const GONE = new Set(['RepositoryNotFoundException', 'ImageNotFoundException']);

export class EcrImages implements ImageLookup {
  constructor(private readonly client: ECRClient = ecr) {}

  async imageExists(repositoryName: string, imageDigest: string): Promise<boolean> {
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }),
      );
      return (out.imageDetails ?? []).some((image) => image.imageDigest === imageDigest);
    } catch (error) {
      if (error instanceof Error && GONE.has(error.name)) return false;
      throw error;
    }
  }
}

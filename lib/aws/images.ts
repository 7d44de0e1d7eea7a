/** Whether an image still exists: DescribeImages by digest. */
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ImageLookup } from '../ports';
import { ecrClient } from './clients';

export const imageLookupActions = ['ecr:DescribeImages'] as const;

/** ECR's answers for a repository or an image that does not exist. */
const GONE = new Set(['RepositoryNotFoundException', 'ImageNotFoundException']);

export class EcrImages implements ImageLookup {
  constructor(private readonly client: ECRClient = ecrClient()) {}

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

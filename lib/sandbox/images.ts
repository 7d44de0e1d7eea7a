/** The sandbox's ImageLookup: DescribeImages by digest. */
import type { ImageLookup } from '../ports';
import type { SandboxState } from './state';

export class SandboxImages implements ImageLookup {
  constructor(private readonly state: SandboxState) {}

  /** DescribeImages by digest: does the image still exist? */
  async imageExists(repositoryName: string, imageDigest: string): Promise<boolean> {
    await this.state.call('ecr:DescribeImages');
    const repository = this.state.findRepository(repositoryName);
    return (repository?.images ?? []).some((image) => image.imageDigest === imageDigest);
  }
}

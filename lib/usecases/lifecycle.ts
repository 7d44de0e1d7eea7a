/** Lifecycle policy preview against a repository's current images (live account or sandbox). */
import { NotFoundError } from '../errors';
import type { RegistryReader } from '../ports';
import type { ImageDetail } from '../policy/model';
import type { LifecyclePolicy } from '../policy/lifecycle/grammar';
import { simulateLifecyclePolicy, type LifecycleSimulation } from '../policy/lifecycle/simulate';

export class RepositoryNotFoundError extends NotFoundError {
  constructor(readonly repositoryName: string) {
    super(`repository ${repositoryName} does not exist`, { resource: 'repository' });
  }
}

export async function repositoryImages(
  registry: RegistryReader,
  repositoryName: string,
): Promise<ImageDetail[]> {
  const repository = await registry.repository(repositoryName, { images: true });
  if (!repository) throw new RepositoryNotFoundError(repositoryName);
  return repository.images ?? [];
}

export async function previewRepositoryLifecycle(
  registry: RegistryReader,
  repositoryName: string,
  policy: LifecyclePolicy,
  now: Date,
): Promise<LifecycleSimulation> {
  return simulateLifecyclePolicy(policy, await repositoryImages(registry, repositoryName), now);
}

import type { Repository } from '../../model';

/** The `registryId` a write to the repository names: the repository's own, when known. */
export function registryOf(repository: Repository): { registryId?: string } {
  return repository.registryId ? { registryId: repository.registryId } : {};
}

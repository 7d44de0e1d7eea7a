/**
 * Lifecycle policy preview against a repository's current images (live account or sandbox), and the comparison of
 * our simulator with ECR's own preview of the same policy (live accounts only).
 */
import { DomainError, InvalidInputError, NotFoundError } from '../errors';
import type { LifecyclePreviewer, LifecyclePreviewProgress, RegistryReader } from '../ports';
import type { ImageDetail, Repository } from '../policy/model';
import { compareLifecyclePreviews, type LifecycleComparison } from '../policy/lifecycle/compare';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../policy/lifecycle/grammar';
import { simulateLifecyclePolicy, type LifecycleSimulation } from '../policy/lifecycle/simulate';

export class RepositoryNotFoundError extends NotFoundError {
  override readonly name: string = 'RepositoryNotFoundError';
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

/** The repository has no lifecycle policy and none was given to compare. */
export class NoLifecyclePolicyError extends DomainError {
  override readonly name: string = 'NoLifecyclePolicyError';
  readonly kind = 'invalid-input';

  constructor(readonly repositoryName: string) {
    super(`repository ${repositoryName} has no lifecycle policy: give the policy to compare (--policy FILE)`);
  }
}

export interface CompareDeps {
  registry: RegistryReader;
  lifecyclePreviewer: LifecyclePreviewer;
}

/** A lifecycle policy with the exact text it was read from (the text is what ECR is sent). */
export interface PolicyText {
  text: string;
  policy: LifecyclePolicy;
}

/**
 * Runs ECR's own preview of a policy — the one given, else the repository's current one — on the repository,
 * and our simulator on the repository's images as of the instant ECR's preview started, and compares both.
 */
export async function compareWithEcrPreview(
  deps: CompareDeps,
  repositoryName: string,
  options: {
    policy?: PolicyText;
    timeoutMs: number;
    onProgress?: (progress: LifecyclePreviewProgress) => void;
  },
): Promise<LifecycleComparison> {
  const repository = await deps.registry.repository(repositoryName, { images: true });
  if (!repository) throw new RepositoryNotFoundError(repositoryName);
  const { text, policy } = options.policy ?? currentPolicy(repository);
  const images = repository.images ?? [];
  const aws = await deps.lifecyclePreviewer.preview(repositoryName, text, {
    timeoutMs: options.timeoutMs,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const ours = simulateLifecyclePolicy(policy, images, new Date(aws.startedAt));
  return compareLifecyclePreviews({ policy, images, ours, aws });
}

function currentPolicy(repository: Repository): PolicyText {
  const text = repository.lifecyclePolicyText;
  if (text === undefined) throw new NoLifecyclePolicyError(repository.repositoryName);
  const parsed = parseLifecyclePolicy(text);
  if (!parsed.ok) {
    throw new InvalidInputError(
      `the lifecycle policy of repository ${repository.repositoryName}`,
      parsed.errors,
    );
  }
  return { text, policy: parsed.policy };
}

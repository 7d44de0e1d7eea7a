/**
 * The sandbox's LifecyclePreviewer: there is none. ECR's own lifecycle policy preview exists on a live account
 * only, and answering with our simulator's result would make a comparison against "ECR" compare the simulator
 * with itself. Every call is refused as bad input, before any simulated call.
 */
import { DomainError } from '../errors';
import type { LifecyclePreviewer } from '../ports';
import type { EcrLifecyclePreview } from '../policy/lifecycle/compare';

export class NoAwsPreviewError extends DomainError {
  override readonly name: string = 'NoAwsPreviewError';
  readonly kind = 'invalid-input';

  constructor() {
    super(
      "ECR's own lifecycle policy preview runs on a live account only: the sandbox (--snapshot) has no AWS preview",
    );
  }
}

export class SandboxLifecyclePreviewer implements LifecyclePreviewer {
  async preview(): Promise<EcrLifecyclePreview> {
    throw new NoAwsPreviewError();
  }
}

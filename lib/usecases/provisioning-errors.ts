/**
 * The provisioning use cases' refusals and failures, each a DomainError of its kind (lib/errors.ts): the
 * front doors map the kind, and show `details` and `override` in their own terms.
 */
import { ConflictError, NotFoundError, UpstreamError } from '../errors';

/** Same name, different spec: the differences by field. */
export class ProjectConflictError extends ConflictError {
  override readonly name: string = 'ProjectConflictError';
  constructor(
    message: string,
    readonly differences: string[],
  ) {
    super(message, { details: { differences } });
  }
}

export class ProjectNotFoundError extends NotFoundError {
  override readonly name: string = 'ProjectNotFoundError';
  constructor(name: string) {
    super(`no managed project named ${name}`, { resource: 'project' });
  }
}

/** The resource exists but buildwarden did not create it: never changed or deleted. */
export class NotManagedError extends ConflictError {
  override readonly name: string = 'NotManagedError';
}

/** Each front door says how to force the delete in its own terms (`--force`, `?force=true`). */
export class RepositoryNotEmptyError extends ConflictError {
  override readonly name: string = 'RepositoryNotEmptyError';
  constructor(
    readonly repositoryName: string,
    readonly images: number,
  ) {
    super(`repository ${repositoryName} holds ${images} image(s)`, {
      override: { option: 'force', effect: 'delete them too' },
    });
  }
}

/**
 * A step failed; everything this request created was removed again (unless `leftovers` says otherwise).
 * `reason` is the failed call's error (`Name: message`): logged and shown by the CLI, never in an HTTP body.
 */
export class ProvisioningFailedError extends UpstreamError {
  override readonly name: string = 'ProvisioningFailedError';
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly leftovers: string[],
    extra: { message?: string; repaired?: string[] } = {},
  ) {
    super(
      extra.message ??
        `provisioning failed at step ${step}` +
          (leftovers.length === 0
            ? '; everything this request created was removed'
            : `; could not remove: ${leftovers.join(', ')}`),
      { details: { step, leftovers, ...(extra.repaired ? { repaired: extra.repaired } : {}) } },
    );
  }
}

/**
 * Another request is provisioning the same name: with a different spec, or an identical one that is still in
 * progress or failed while this one waited; or it created a resource of that name while this one ran.
 */
export class ConcurrentProvisioningError extends ConflictError {
  override readonly name: string = 'ConcurrentProvisioningError';
}

/** Under enhanced scanning the repository cannot be covered by a registry rule (refused before creating). */
export class RegistryCoverageError extends ConflictError {
  override readonly name: string = 'RegistryCoverageError';
}

/** Restoring a drifted project failed at a step; what was restored stays, and the same request finishes it. */
export class RepairFailedError extends ProvisioningFailedError {
  override readonly name: string = 'RepairFailedError';
  constructor(
    step: string,
    reason: string,
    readonly repaired: string[],
  ) {
    super(step, reason, [], {
      message: `repairing failed at step ${step}; what was repaired stays: send the same request again to finish`,
      repaired,
    });
  }
}

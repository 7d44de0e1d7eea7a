/** The provisioning use cases' refusals and failures (kept apart so the HTTP error mapping stays light). */

/** Same name, different spec: the differences by field. */
export class ProjectConflictError extends Error {
  constructor(
    message: string,
    readonly differences: string[],
  ) {
    super(message);
    this.name = 'ProjectConflictError';
  }
}

export class ProjectNotFoundError extends Error {
  constructor(name: string) {
    super(`no managed project named ${name}`);
    this.name = 'ProjectNotFoundError';
  }
}

/** The resource exists but buildwarden did not create it: never changed or deleted. */
export class NotManagedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotManagedError';
  }
}

/** Each front door says how to force the delete in its own terms (`--force`, `?force=true`). */
export class RepositoryNotEmptyError extends Error {
  constructor(
    readonly repositoryName: string,
    readonly images: number,
  ) {
    super(`repository ${repositoryName} holds ${images} image(s)`);
    this.name = 'RepositoryNotEmptyError';
  }
}

/** A step failed; everything this request created was removed again (unless `leftovers` says otherwise). */
export class ProvisioningFailedError extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly leftovers: string[],
  ) {
    super(
      `provisioning failed at step ${step}` +
        (leftovers.length === 0
          ? '; everything this request created was removed'
          : `; could not remove: ${leftovers.join(', ')}`),
    );
    this.name = 'ProvisioningFailedError';
  }
}

/**
 * Another request is provisioning the same name: with a different spec, or an identical one that is still in
 * progress or failed while this one waited; or it created a resource of that name while this one ran.
 */
export class ConcurrentProvisioningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentProvisioningError';
  }
}

/** Under enhanced scanning the repository cannot be covered by a registry rule (refused before creating). */
export class RegistryCoverageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryCoverageError';
  }
}

/** Restoring a drifted project failed at a step; what was restored stays, and the same request finishes it. */
export class RepairFailedError extends ProvisioningFailedError {
  constructor(
    step: string,
    reason: string,
    readonly repaired: string[],
  ) {
    super(step, reason, []);
    this.message = `repairing failed at step ${step}; what was repaired stays: send the same request again to finish`;
    this.name = 'RepairFailedError';
  }
}

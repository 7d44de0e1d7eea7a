/**
 * The error taxonomy of the house: every error a use case, a port or a front door gives a meaning to is a
 * DomainError with a `kind`. The front doors map kinds once each — the HTTP API to a status code
 * (lib/runtime/http-handler.ts), the CLI to an exit status (lib/cli/main.ts) — and adapters translate the AWS exceptions
 * they give a meaning to into these classes (lib/aws/errors.ts), so use cases branch on classes and kinds,
 * never on AWS exception names or message text. An error that is not a DomainError is `internal`: nobody
 * expected it (an AWS error no adapter translates, a defect), and it propagates — Lambda retries it, the HTTP
 * API answers a generic 500, the CLI exits 4.
 *
 * Pure: no I/O, importable from lib/policy.
 */

export type ErrorKind =
  /** The caller's input is wrong (a schema, a flag, a path): fixing the input fixes it. */
  | 'invalid-input'
  /** What the caller asked about does not exist. */
  | 'not-found'
  /** The request cannot be done in the current state (a different spec, something not ours, a race). */
  | 'conflict'
  /** The caller may not do this. */
  | 'forbidden'
  /**
   * A service the work depends on failed and the work stopped cleanly; the message and `details` say what
   * the caller can do, and never carry the service's error text (that is in `reason`, for logs and the CLI).
   */
  | 'upstream'
  /** Anything else: a defect, a misconfigured deployment, an AWS error nobody translated. */
  | 'internal';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'invalid-input',
  'not-found',
  'conflict',
  'forbidden',
  'upstream',
  'internal',
];

/**
 * A way the caller can make a refused request go through, named per front door: the HTTP API says
 * `repeat with ?force=true to delete them too`, the CLI `run again with --force to delete them too`.
 */
export interface Override {
  /** The query parameter and flag name (`force`). */
  option: string;
  /** What it does (`delete them too`). */
  effect: string;
}

/**
 * An error of the house. Each concrete class states its own `name` (its class name) rather than reading it
 * from the constructor: the function bundles are minified without keeping class names, and the logs and
 * HTTP answers name errors by it.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** Structured facts the caller may see beside the message (HTTP body fields): never AWS error text. */
  readonly details: Readonly<Record<string, unknown>>;
  /** How to make a refused request go through, when there is a way. */
  readonly override: Override | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown>; override?: Override } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
    this.override = options.override;
  }
}

/** Input that failed a schema; `problems` holds one `path: message` line per problem. */
export class InvalidInputError extends DomainError {
  override readonly name: string = 'InvalidInputError';
  readonly kind = 'invalid-input';

  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Something does not exist. `resource` says what (a `repository`, an `image`, a `scan`, a `role`, a
 * `project` …) when an adapter knows it; `cause` is the service's own error when it came from one.
 */
export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'not-found';
  readonly resource: string | undefined;

  constructor(message: string, options: { resource?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.resource = options.resource;
  }
}

export class ConflictError extends DomainError {
  override readonly name: string = 'ConflictError';
  readonly kind = 'conflict';
}

/** A create met a resource of that name (AWS `…AlreadyExists…`): someone else created it meanwhile. */
export class AlreadyExistsError extends ConflictError {
  override readonly name: string = 'AlreadyExistsError';
}

export class ForbiddenError extends DomainError {
  override readonly name: string = 'ForbiddenError';
  readonly kind = 'forbidden';
}

export class UpstreamError extends DomainError {
  override readonly name: string = 'UpstreamError';
  readonly kind = 'upstream';
}

/**
 * CodeBuild refused a service role it cannot assume yet: IAM has not propagated a role created moments ago.
 * Asking again after a pause succeeds; the provisioning use case does so, bounded.
 */
export class RoleNotAssumableYetError extends UpstreamError {
  override readonly name: string = 'RoleNotAssumableYetError';
}

/**
 * The deployment's or the command's configuration is wrong (a setting, the guardrails file, a table it names):
 * a defect of the deployment, never the caller's, so `internal`. The message names the setting.
 */
export class ConfigError extends DomainError {
  override readonly name: string = 'ConfigError';
  readonly kind = 'internal';
}

/** The kind of any error: a DomainError's own, else `internal`. */
export function kindOf(error: unknown): ErrorKind {
  return error instanceof DomainError ? error.kind : 'internal';
}

/**
 * `Name: message` of the error a failure comes from: for a DomainError translated from a service's error, that
 * error (`RepositoryNotFoundException: …`), so a reason reads the same whichever side raised it. Never a stack.
 */
export function describeFailure(error: unknown): string {
  const source = error instanceof DomainError && error.cause instanceof Error ? error.cause : error;
  if (source instanceof Error) return `${source.name}: ${source.message}`;
  return String(source);
}

/** The name of the service error a DomainError was translated from, else the error's own name. */
export function sourceName(error: Error): string {
  return error instanceof DomainError && error.cause instanceof Error ? error.cause.name : error.name;
}

/**
 * Retries for the ports of the sandbox composition (here, beside the faults it is the answer to; its users are
 * the sandbox's fault tests and the benchmarks), modelled on the AWS SDK v3 standard retry strategy:
 * throttling and transient server errors are retried with capped exponential backoff and full jitter
 * (delay = random × min(cap, base × 2^(attempt−1)), base 100 ms, 500 ms after throttling, cap 20 s).
 *
 * The SDK adapters in lib/aws need none of this: their clients already retry every request
 * (`retryMode: 'adaptive'`, lib/aws/common.ts). It exists so that the sandbox, with SIMULATED faults
 * injected (lib/sandbox/faults.ts), can be composed the way the live account is and show that the use cases
 * reach the same results under throttling.
 *
 * Differences from the SDK, on purpose:
 * - The unit retried is one port operation, not one HTTP request. A port operation that makes several
 *   simulated requests (repositoryDetails: 3–4, role: 3 or more) is retried as a whole, which is safe because
 *   reads are pure and every write is a single idempotent request, but it needs a larger attempt budget than
 *   the SDK's per-request one under the same fault rate: with per-request failure probability p, an operation
 *   of k requests succeeds per attempt with probability (1−p)^k.
 * - Async iterables are retried page by page: a failed `next()` is retried on the same iterator, whose cursor
 *   must not have moved (the sandbox's pages behave like a paginator's token). A page is yielded once, because
 *   only a successful `next()` yields. An async generator is finished by its first error, so its pages cannot
 *   be retried: its errors are passed through rather than retried into a silently truncated iteration.
 * - No client-side retry quota (the SDK's token bucket of retry capacity): attempts are bounded per operation.
 */

export interface RetryOptions {
  /** Attempts per port operation (or per page), the first included. Default 8, as lib/aws/common.ts. */
  maxAttempts?: number;
  /** Backoff base after a transient error, ms. Default 100 (SDK standard). */
  baseDelayMs?: number;
  /** Backoff base after throttling, ms. Default 500 (SDK standard). */
  throttlingBaseDelayMs?: number;
  /** Upper bound of one backoff, ms. Default 20,000 (SDK standard). */
  maxDelayMs?: number;
  /** Jitter source in [0, 1); inject a seeded one for reproducible delays. Default Math.random. */
  random?: () => number;
  /** Waits between attempts; inject a fake in tests (no real sleeps in unit tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Told about every retry (what failed, which attempt comes next, how long it waits). */
  onRetry?: (retry: RetryEvent) => void;
}

export interface RetryEvent {
  operation: string;
  /** The attempt about to be made (2 for the first retry). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

const DEFAULTS = {
  maxAttempts: 8,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 20_000,
};

/** Error codes the SDK treats as throttling (@smithy/service-error-classification, THROTTLING_ERROR_CODES). */
const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

interface AwsLikeError {
  name?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

function asAwsLike(error: unknown): AwsLikeError | undefined {
  return typeof error === 'object' && error !== null ? (error as AwsLikeError) : undefined;
}

export function isThrottlingError(error: unknown): boolean {
  const e = asAwsLike(error);
  if (!e) return false;
  return e.$retryable?.throttling === true || (typeof e.name === 'string' && THROTTLING_NAMES.has(e.name));
}

/** Server-side and transient failures: `*ServerException`, `ServiceUnavailable*`, timeouts, HTTP 500/502/503/504. */
export function isTransientError(error: unknown): boolean {
  const e = asAwsLike(error);
  if (!e) return false;
  const name = typeof e.name === 'string' ? e.name : '';
  return (
    e.$retryable !== undefined ||
    name.endsWith('ServerException') ||
    name.startsWith('ServiceUnavailable') ||
    TRANSIENT_NAMES.has(name) ||
    TRANSIENT_STATUS.has(e.$metadata?.httpStatusCode ?? 0)
  );
}

export function isRetryableError(error: unknown): boolean {
  return isThrottlingError(error) || isTransientError(error);
}

/** Full-jitter exponential backoff before `attempt` (2 = first retry), capped. */
export function backoffDelayMs(attempt: number, error: unknown, options: RetryOptions = {}): number {
  const base = isThrottlingError(error)
    ? (options.throttlingBaseDelayMs ?? DEFAULTS.throttlingBaseDelayMs)
    : (options.baseDelayMs ?? DEFAULTS.baseDelayMs);
  const cap = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(cap, base * 2 ** Math.max(0, attempt - 2)));
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or has used `maxAttempts`;
 * then the last error is rethrown unchanged. `first` is an attempt already under way.
 */
export async function retrying<T>(
  operation: string,
  attempt: () => Promise<T>,
  options: RetryOptions = {},
  first?: Promise<T>,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1))
    throw new RangeError('maxAttempts must be a positive integer');
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    try {
      return await (n === 1 && first ? first : attempt());
    } catch (error) {
      if (n >= maxAttempts || !isRetryableError(error)) throw error;
      const delayMs = backoffDelayMs(n + 1, error, options);
      options.onRetry?.({ operation, attempt: n + 1, delayMs, error });
      await sleep(delayMs);
    }
  }
}

function isPromiseLike(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}

/** Native async generator objects carry this tag; they cannot resume after an error. */
function isAsyncGenerator(iterator: AsyncIterator<unknown>): boolean {
  return (iterator as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncGenerator';
}

/** Retries each page fetch (`next()`) of the source, never the iteration as a whole. */
export function retryingPages<P>(
  operation: string,
  source: AsyncIterable<P>,
  options: RetryOptions = {},
): AsyncIterable<P> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<P> {
      const iterator = source[Symbol.asyncIterator]();
      const resumable = !isAsyncGenerator(iterator);
      let page = 1;
      let fetching = false;
      return {
        async next(): Promise<IteratorResult<P>> {
          if (!resumable) return iterator.next();
          // Two overlapping next() calls could both retry the same cursor position: refuse, as for-await never does.
          if (fetching) throw new Error(`${operation}: next() called while a page fetch is in flight`);
          fetching = true;
          try {
            const result = await retrying(`${operation} page ${page}`, () => iterator.next(), options);
            if (!result.done) page += 1;
            return result;
          } finally {
            fetching = false;
          }
        },
        async return(value?: unknown): Promise<IteratorResult<P>> {
          if (iterator.return) return iterator.return(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * The port with every method retried: methods returning a promise are retried as a whole, methods returning
 * an async iterable are retried page by page. Other properties (an account's `info`, `calls`) pass through.
 */
export function withRetries<T extends object>(port: T, options: RetryOptions = {}): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, property) {
      // Getters and methods run on the port itself, so its own internal calls are not retried twice over.
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'constructor') return value;
      let method = wrapped.get(property);
      if (!method) {
        const original = value as (...args: unknown[]) => unknown;
        const name = `${target.constructor?.name ?? 'port'}.${String(property)}`;
        method = (...args: unknown[]): unknown => {
          const result = original.apply(target, args);
          if (isPromiseLike(result)) {
            return retrying(name, () => original.apply(target, args) as Promise<unknown>, options, result);
          }
          if (isAsyncIterable(result)) return retryingPages(name, result, options);
          return result;
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}

/** The ports a use case composition holds; each present one is wrapped (account info and loaders pass through). */
const PORT_KEYS = [
  'registry',
  'projects',
  'identity',
  'organization',
  'remediator',
  'notifier',
  'findingsStore',
  'securityHub',
  'reports',
] as const;

/** A copy of `deps` (AuditDeps, ChangeDeps …) whose ports retry as withRetries does. */
export function withRetriedPorts<D extends object>(deps: D, options: RetryOptions = {}): D {
  const copy = { ...deps } as Record<string, unknown>;
  for (const key of PORT_KEYS) {
    const port = copy[key];
    if (typeof port === 'object' && port !== null) copy[key] = withRetries(port, options);
  }
  return copy as D;
}

/**
 * Full-jitter exponential backoff for the retries the SDK does not make itself: items a batch API answered
 * as unprocessed or failed (DynamoDB BatchWriteItem, Security Hub BatchImportFindings) come back in a
 * successful response, so the client's own retry strategy never sees them.
 */

export interface BackoffOptions {
  /** Requests, the first included, before what is still pending is given up. */
  maxAttempts?: number;
  /** Backoff base, ms. */
  baseDelayMs?: number;
  /** Upper bound of one backoff, ms. Default 5,000. */
  maxDelayMs?: number;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Waits between attempts; tests inject a fake. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Backoff {
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: BackoffOptions, defaults: { maxAttempts: number; baseDelayMs: number }) {
    this.maxAttempts = options.maxAttempts ?? defaults.maxAttempts;
    this.baseDelayMs = options.baseDelayMs ?? defaults.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Waits after failed attempt number `attempt` (1-based): a random share of min(max, base·2^(attempt−1)). */
  wait(attempt: number): Promise<void> {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return this.sleep(Math.floor(this.random() * ceiling));
  }
}

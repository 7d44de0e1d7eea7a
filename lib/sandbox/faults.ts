/**
 * SIMULATED faults for the sandbox account: throttling, server errors, per-call latency and per-API rate
 * limits, injected into every simulated API call (the sandbox state's `call(action)` consults `faults`).
 * Nothing here talks to AWS. It exists to test retry and idempotence under failure, and to benchmark the
 * audit against the call pattern and rate limits of a real account without one.
 *
 * A `FaultPlan` maps an IAM action name (`ecr:DescribeRepositories`) or `*` to the faults of that API. The
 * settings of an action's own entry win over `*`, field by field. Decisions are drawn from a seeded PRNG,
 * so one seed and one call order give the same faults on every run.
 */

/** What one simulated API suffers. Rates are probabilities per attempt (0–1). */
export interface ApiFaults {
  /** Share of attempts answered with ThrottlingException (HTTP 400, retryable as throttling). */
  throttleRate?: number;
  /** Share of attempts answered with InternalServerException (500) or ServiceUnavailableException (503). */
  serverErrorRate?: number;
  /** Delay of every attempt, failed ones included (a real request takes a round trip either way). */
  latencyMs?: number;
  /**
   * Sustained requests per second of this API, enforced as a token bucket: an attempt waits for a token, as
   * a client-side limiter in front of a throttled API would be forced to. Each action has its own bucket (a
   * `*` rate gives every action its own bucket of that rate, as AWS quotas are per API).
   */
  ratePerSecond?: number;
  /** Tokens the bucket holds (requests allowed back to back); default 1, i.e. strict pacing. */
  burst?: number;
}

export type FaultPlan = Record<string, ApiFaults>;

/** What the sandbox consults before every simulated API call. */
export interface FaultInjector {
  /** Waits (rate limit, latency), then resolves, or rejects with a simulated AWS error. */
  beforeCall(action: string): Promise<void>;
}

export interface SimulatedFaultOptions {
  /** PRNG seed: same seed and call order, same faults. */
  seed?: number;
  /** Injectable for tests; defaults to a real `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock for the token buckets; defaults to `performance.now()`. */
  now?: () => number;
}

/** What was injected, by action. */
export interface FaultStats {
  attempts: number;
  throttled: number;
  serverErrors: number;
  /** Total time spent waiting for a rate-limit token, in ms. */
  rateLimitWaitMs: number;
}

/** A simulated AWS service error, shaped like the SDK v3 raises it (`name`, `$metadata`, `$retryable`). */
export class SimulatedAwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, httpStatusCode: number, throttling?: boolean) {
    super(message);
    this.name = name;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode };
    if (throttling !== undefined) this.$retryable = { throttling };
  }
}

export function simulatedThrottling(action: string): SimulatedAwsServiceError {
  return new SimulatedAwsServiceError(
    'ThrottlingException',
    `Rate exceeded (simulated, ${action})`,
    400,
    true,
  );
}

export function simulatedServerError(action: string, unavailable: boolean): SimulatedAwsServiceError {
  return unavailable
    ? new SimulatedAwsServiceError(
        'ServiceUnavailableException',
        `Service unavailable (simulated, ${action})`,
        503,
      )
    : new SimulatedAwsServiceError('InternalServerException', `Internal error (simulated, ${action})`, 500);
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Generic cell rate algorithm: the token bucket as a schedule. Each attempt reserves the next slot
 * synchronously, so concurrent callers are paced in arrival order without polling.
 */
class TokenBucket {
  private theoreticalArrival = -Infinity;
  private readonly interval: number;
  private readonly tolerance: number;

  constructor(ratePerSecond: number, burst: number) {
    this.interval = 1000 / ratePerSecond;
    this.tolerance = (Math.max(1, burst) - 1) * this.interval;
  }

  /** Milliseconds to wait before the attempt may go. */
  reserve(now: number): number {
    const arrival = Math.max(this.theoreticalArrival, now);
    const start = Math.max(now, arrival - this.tolerance);
    this.theoreticalArrival = arrival + this.interval;
    return start - now;
  }
}

const FAULT_KEYS = ['throttleRate', 'serverErrorRate', 'latencyMs', 'ratePerSecond', 'burst'] as const;

/** The effective faults of an action: its own entry over `*`, field by field. */
export function faultsFor(plan: FaultPlan, action: string): ApiFaults {
  const merged: ApiFaults = {};
  for (const source of [plan['*'], plan[action]]) {
    if (!source) continue;
    for (const key of FAULT_KEYS) if (source[key] !== undefined) merged[key] = source[key];
  }
  return merged;
}

/** Validates a plan up front, so a typo'd rate fails loudly instead of silently injecting nothing. */
export function checkFaultPlan(plan: FaultPlan): void {
  for (const [action, faults] of Object.entries(plan)) {
    if (action !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
      throw new RangeError(
        `fault plan: "${action}" is not an IAM action name such as ecr:DescribeRepositories`,
      );
    }
    for (const key of Object.keys(faults)) {
      if (!(FAULT_KEYS as readonly string[]).includes(key))
        throw new RangeError(`fault plan ${action}: unknown setting ${key}`);
    }
    const rates = (faults.throttleRate ?? 0) + (faults.serverErrorRate ?? 0);
    for (const key of ['throttleRate', 'serverErrorRate'] as const) {
      const value = faults[key];
      if (value !== undefined && !(value >= 0 && value <= 1))
        throw new RangeError(`fault plan ${action}.${key}: expected a probability between 0 and 1`);
    }
    if (rates > 1) throw new RangeError(`fault plan ${action}: throttleRate + serverErrorRate exceeds 1`);
    if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0))
      throw new RangeError(`fault plan ${action}.latencyMs: expected a non-negative number`);
    if (faults.ratePerSecond !== undefined && !(faults.ratePerSecond > 0))
      throw new RangeError(`fault plan ${action}.ratePerSecond: expected a positive number`);
    if (faults.burst !== undefined && !(Number.isInteger(faults.burst) && faults.burst >= 1))
      throw new RangeError(`fault plan ${action}.burst: expected a positive integer`);
  }
}

/**
 * The SIMULATED fault injector. Order per attempt: wait for a rate-limit token, wait the latency, then draw
 * one number that decides throttled / server error / success. Faults are raised before the call takes
 * effect, so a failed write changed nothing (the idempotence of remediation is tested by replays instead).
 */
export class SimulatedFaultInjector implements FaultInjector {
  readonly stats = new Map<string, FaultStats>();
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly resolved = new Map<string, ApiFaults>();

  constructor(
    readonly plan: FaultPlan,
    options: SimulatedFaultOptions = {},
  ) {
    checkFaultPlan(plan);
    this.random = seededRandom(options.seed ?? 1);
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? (() => performance.now());
  }

  async beforeCall(action: string): Promise<void> {
    let faults = this.resolved.get(action);
    if (!faults) {
      faults = faultsFor(this.plan, action);
      this.resolved.set(action, faults);
    }
    const stats = this.statsOf(action);
    stats.attempts += 1;
    if (faults.ratePerSecond !== undefined) {
      let bucket = this.buckets.get(action);
      if (!bucket) {
        bucket = new TokenBucket(faults.ratePerSecond, faults.burst ?? 1);
        this.buckets.set(action, bucket);
      }
      const wait = bucket.reserve(this.now());
      stats.rateLimitWaitMs += wait;
      if (wait > 0) await this.sleep(wait);
    }
    if (faults.latencyMs) await this.sleep(faults.latencyMs);
    const throttleRate = faults.throttleRate ?? 0;
    const serverErrorRate = faults.serverErrorRate ?? 0;
    if (throttleRate === 0 && serverErrorRate === 0) return;
    const draw = this.random();
    if (draw < throttleRate) {
      stats.throttled += 1;
      throw simulatedThrottling(action);
    }
    if (draw < throttleRate + serverErrorRate) {
      stats.serverErrors += 1;
      // The upper half of the server-error band is "unavailable": no second draw, so the sequence is stable.
      throw simulatedServerError(action, draw >= throttleRate + serverErrorRate / 2);
    }
  }

  /** Totals over every action. */
  totals(): FaultStats {
    const total: FaultStats = { attempts: 0, throttled: 0, serverErrors: 0, rateLimitWaitMs: 0 };
    for (const s of this.stats.values()) {
      total.attempts += s.attempts;
      total.throttled += s.throttled;
      total.serverErrors += s.serverErrors;
      total.rateLimitWaitMs += s.rateLimitWaitMs;
    }
    return total;
  }

  private statsOf(action: string): FaultStats {
    let stats = this.stats.get(action);
    if (!stats) {
      stats = { attempts: 0, throttled: 0, serverErrors: 0, rateLimitWaitMs: 0 };
      this.stats.set(action, stats);
    }
    return stats;
  }
}

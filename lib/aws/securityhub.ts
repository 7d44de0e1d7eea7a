/**
 * AWS Security Hub adapter: imports ASFF documents with BatchImportFindings, at most 100 a call (the API's
 * limit), three calls at a time. Findings the response lists in `FailedFindings` are sent again, with capped exponential backoff, a
 * bounded number of times — except those refused for a reason a retry cannot change (`InvalidInput`: the
 * document breaks the format; `InvalidAccess`: Security Hub or the integration is not enabled) — and what still
 * failed is returned with Security Hub's error code and message. Throttling of a whole call is retried by the
 * SDK client itself (lib/aws/common.ts).
 */
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AsffFinding } from '../policy/asff';
import type { ImportFailure, SecurityHubPublisher } from '../ports';
import { clientConfig } from './common';
import { Backoff, type BackoffOptions } from './backoff';
import { instrumented } from './instrument';
import { mapWithConcurrency } from '../concurrency';

export const securityHubActions = ['securityhub:BatchImportFindings'] as const;

/** BatchImportFindings takes at most 100 findings a request. */
export const IMPORT_BATCH_MAX = 100;
/**
 * Import requests in flight at once. Security Hub's guidelines for BatchImportFindings give its throttle as
 * 10 TPS per account and Region with a burst of 30; three requests of up to 100 findings at a time stay
 * within it at the latencies the API answers with, and the SDK client retries a throttled request itself.
 */
const IMPORT_CONCURRENCY = 3;
/** Error codes of FailedFindings that a retry cannot change. */
const PERMANENT_ERRORS = new Set(['InvalidInput', 'InvalidAccess']);

/** Defaults: 3 imports of a failed finding, 200 ms backoff base. */
export type ImportRetryOptions = BackoffOptions;

let shared: SecurityHubClient | undefined;

export class SecurityHubFindings implements SecurityHubPublisher {
  private readonly client: SecurityHubClient;
  private readonly retry: Backoff;

  constructor(client?: SecurityHubClient, retry: ImportRetryOptions = {}) {
    this.client = client ?? (shared ??= instrumented(new SecurityHubClient(clientConfig)));
    this.retry = new Backoff(retry, { maxAttempts: 3, baseDelayMs: 200 });
  }

  async importFindings(
    findings: readonly AsffFinding[],
  ): Promise<{ imported: number; failed: ImportFailure[] }> {
    const batches: (readonly AsffFinding[])[] = [];
    for (let start = 0; start < findings.length; start += IMPORT_BATCH_MAX) {
      batches.push(findings.slice(start, start + IMPORT_BATCH_MAX));
    }
    // A few batches at once (results in batch order), within the API's rate limit.
    const outcomes = await mapWithConcurrency(batches, IMPORT_CONCURRENCY, (batch) =>
      this.importBatch(batch),
    );
    return {
      imported: outcomes.reduce((sum, o) => sum + o.imported, 0),
      failed: outcomes.flatMap((o) => o.failed),
    };
  }

  private async importBatch(
    batch: readonly AsffFinding[],
  ): Promise<{ imported: number; failed: ImportFailure[] }> {
    let pending = [...batch];
    let imported = 0;
    const failed: ImportFailure[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.client.send(new BatchImportFindingsCommand({ Findings: pending }));
      const failures = (out.FailedFindings ?? []).map((f) => ({
        id: f.Id ?? '',
        errorCode: f.ErrorCode ?? 'Unknown',
        errorMessage: f.ErrorMessage ?? '',
      }));
      const failedIds = new Set(failures.map((f) => f.id));
      imported += pending.filter((f) => !failedIds.has(f.Id)).length;
      const retryable = failures.filter((f) => !PERMANENT_ERRORS.has(f.errorCode));
      failed.push(...failures.filter((f) => PERMANENT_ERRORS.has(f.errorCode)));
      if (retryable.length === 0) break;
      if (attempt >= this.retry.maxAttempts) {
        failed.push(...retryable);
        break;
      }
      const again = new Set(retryable.map((f) => f.id));
      pending = pending.filter((f) => again.has(f.Id));
      await this.retry.wait(attempt);
    }
    return { imported, failed };
  }
}

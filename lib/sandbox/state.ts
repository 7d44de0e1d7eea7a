/**
 * What every port of the SIMULATED sandbox account shares: the snapshot it reads and changes, the count of
 * simulated API calls, the injected faults, and the helpers the simulated APIs have in common (the AWS errors
 * they raise, pages cut as the real APIs cut them, repositories found by name in linear time).
 */
import type { Repository } from '../policy/model';
import { buildArn, partitionOf } from '../policy/aws-facts';
import type { Snapshot } from '../policy/snapshot';
import type { FaultInjector } from './faults';

/** Counts simulated API calls by IAM action name, e.g. `ecr:DescribeRepositories`. */
export type CallLog = Map<string, number>;

export class SandboxState {
  readonly calls: CallLog = new Map();
  /** SIMULATED throttling, server errors, latency and rate limits (lib/sandbox/faults.ts); none when unset. */
  faults: FaultInjector | undefined;

  constructor(
    readonly snapshot: Snapshot,
    faults?: FaultInjector,
  ) {
    this.faults = faults;
  }

  /**
   * Every simulated API call goes through here. Every attempt is counted, throttled and failed ones too (AWS
   * meters and CloudTrail records them as well); an injected fault is raised before the call takes effect.
   */
  async call(action: string): Promise<void> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    if (this.faults) await this.faults.beforeCall(action);
  }

  /** Where this account's resources live: its partition, region and account. */
  get scope(): { partition: string; region: string; accountId: string } {
    const { accountId, region } = this.snapshot;
    return { partition: partitionOf(region), region, accountId };
  }

  /** The ARN of a resource of this account, in its region unless another is given. */
  arn(service: string, resource: string, region = this.snapshot.region): string {
    return buildArn({ ...this.scope, region, service, resource });
  }

  private indexed: { list: Repository[]; length: number; byName: Map<string, Repository> } | undefined;

  /** By name, through an index rebuilt whenever the repository list changes (a 10,000-repository audit stays linear). */
  findRepository(name: string): Repository | undefined {
    const list = this.snapshot.ecr.repositories;
    if (!this.indexed || this.indexed.list !== list || this.indexed.length !== list.length) {
      this.indexed = { list, length: list.length, byName: new Map(list.map((r) => [r.repositoryName, r])) };
    }
    return this.indexed.byName.get(name);
  }
}

/** An error named like the AWS service exception it stands for, as the SDK raises it. */
export function simulatedAwsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * Pages fetched one `next()` at a time whose cursor moves only when a fetch succeeds, as a paginator's token
 * does: a failed fetch (an injected fault) can be retried by calling `next()` again, and yields the same page
 * once. (An async generator would be finished by the first error.) `fetch` returns undefined past the end.
 */
export function resumablePages<T>(fetch: (page: number) => Promise<T | undefined>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let page = 0;
      let done = false;
      return {
        async next(): Promise<IteratorResult<T>> {
          if (done) return { done: true, value: undefined };
          const value = await fetch(page);
          if (value === undefined) {
            done = true;
            return { done: true, value: undefined };
          }
          page += 1;
          return { done: false, value };
        },
        async return(): Promise<IteratorResult<T>> {
          done = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

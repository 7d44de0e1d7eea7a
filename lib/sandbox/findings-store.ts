/**
 * The findings state of the SIMULATED account, kept in its snapshot (`buildwarden.findings`), so that the
 * history of an account's findings lives in the snapshot file and survives `--save`. Same behaviour as the
 * DynamoDB adapter (lib/aws/findings-store.ts): one record per account, region, resource and rule, a write
 * replaces the whole record, records come back in key order, BatchWriteItem takes 25 items a request, and a
 * conditional write loses to a record observed later.
 */
import type { FindingRecord, Scope } from '../policy/finding-state';
import type { Snapshot } from '../policy/snapshot';
import type { FindingsStore, RecordWrite } from '../ports';

/** BatchWriteItem's items per request, as the adapter batches them. */
const BATCH_WRITE_MAX_ITEMS = 25;
/** A Query page holds at most 1 MB of items. */
const QUERY_PAGE_BYTES = 1024 * 1024;

const sortKey = (r: Pick<FindingRecord, 'resourceArn' | 'ruleId'>) => `${r.resourceArn} ${r.ruleId}`;
const observedAt = (r: FindingRecord) => Date.parse(r.resolvedAt ?? r.lastSeen);
const identity = (r: FindingRecord) => JSON.stringify([r.accountId, r.region, r.resourceArn, r.ruleId]);

export class SandboxFindingsStore implements FindingsStore {
  /**
   * @param snapshot the account's snapshot, read each time (the account may replace its sections)
   * @param call counts one simulated API call (and raises an injected fault)
   */
  constructor(
    private readonly snapshot: () => Snapshot,
    private readonly call: (action: string) => Promise<void>,
  ) {}

  private get list(): FindingRecord[] {
    const snapshot = this.snapshot();
    const own = (snapshot.buildwarden ??= { verdicts: [], builds: [] });
    return (own.findings ??= []);
  }

  async records(scope: Scope): Promise<FindingRecord[]> {
    return this.query(scope, () => true);
  }

  async recordsOf(scope: Scope, resourceArn: string): Promise<FindingRecord[]> {
    return this.query(scope, (r) => r.resourceArn === resourceArn);
  }

  private async query(scope: Scope, match: (r: FindingRecord) => boolean): Promise<FindingRecord[]> {
    const found = this.list
      .filter((r) => r.accountId === scope.accountId && r.region === scope.region && match(r))
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    const bytes = found.reduce((sum, r) => sum + JSON.stringify(r).length, 0);
    for (let page = 0; page === 0 || page * QUERY_PAGE_BYTES < bytes; page++)
      await this.call('dynamodb:Query');
    return structuredClone(found);
  }

  async writeRecords(records: readonly FindingRecord[]): Promise<void> {
    // An index by key keeps an audit of many thousands of records linear.
    const list = this.list;
    const index = new Map(list.map((r, i) => [identity(r), i]));
    for (let start = 0; start < records.length; start += BATCH_WRITE_MAX_ITEMS) {
      await this.call('dynamodb:BatchWriteItem');
      for (const record of records.slice(start, start + BATCH_WRITE_MAX_ITEMS)) {
        const at = index.get(identity(record));
        if (at !== undefined) list[at] = structuredClone(record);
        else index.set(identity(record), list.push(structuredClone(record)) - 1);
      }
    }
  }

  async putRecord(record: FindingRecord): Promise<RecordWrite> {
    await this.call('dynamodb:PutItem');
    const stored = this.find(record);
    if (stored && observedAt(stored) > observedAt(record)) {
      return { written: false, reason: 'a newer observation of this finding is stored' };
    }
    this.store(record);
    return { written: true };
  }

  private find(key: FindingRecord): FindingRecord | undefined {
    return this.list.find((r) => identity(r) === identity(key));
  }

  private store(record: FindingRecord): void {
    const list = this.list;
    const stored = this.find(record);
    const copy = structuredClone(record);
    if (stored) list[list.indexOf(stored)] = copy;
    else {
      // DynamoDB keeps no write order: a new record goes before the first with a greater key, so records put
      // together end in the same places whichever answered first.
      const before = list.findIndex((r) => sortKey(r) > sortKey(record));
      if (before === -1) list.push(copy);
      else list.splice(before, 0, copy);
    }
  }
}

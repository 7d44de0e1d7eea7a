/**
 * Keeping the findings state, and Security Hub, up to date after an evaluation: the scheduled audit (every
 * record of the account and region, written in batches) and the change handler (the records of the resources
 * it evaluated, each written only if nothing newer is stored). The transitions are lib/policy/finding-state.ts,
 * the documents lib/policy/asff.ts.
 *
 * Security Hub is sent the documents before the state is written. A resolved finding's ARCHIVED document is
 * sent once, when it is resolved: when Security Hub did not take it, the record is not written as resolved, so
 * the next evaluation resolves it (and sends it) again. Open findings are sent at every evaluation anyway.
 */
import { asffDocuments, asffId, type AsffFinding } from '../policy/asff';
import {
  identityKey,
  reconcile,
  type FindingRecord,
  type Reconciliation,
  type RecordChange,
  type Scope,
  type ScopedFinding,
} from '../policy/finding-state';
import type { Finding } from '../policy/findings';
import type { FindingsStore, ImportFailure, RecordWrite, SecurityHubPublisher } from '../ports';
import { mapWithConcurrency } from '../concurrency';
import { describeError } from './errors';

export interface FindingsStateDeps {
  findingsStore: FindingsStore;
  /** Present when findings go to Security Hub (`securityHub: true`). */
  securityHub?: SecurityHubPublisher;
}

export interface FindingsStateSettings {
  /** Days a resolved record is kept (`findingsRetentionDays`). */
  retentionDays: number;
}

export interface SecurityHubOutcome {
  /** Documents sent. */
  documents: number;
  imported: number;
  /** Documents Security Hub did not take, after retries, with its error code and message. */
  failed: ImportFailure[];
  /** Why the import failed as a whole (no permission, Security Hub not enabled …), when it did. */
  error?: string;
}

export interface FindingsStateResult {
  /** What changed, worst first. */
  changes: RecordChange[];
  /** Records written. */
  written: number;
  /** Records not written, and why (a newer observation is stored; Security Hub did not take the archive). */
  notWritten: { record: FindingRecord; reason: string }[];
  /** Open records this evaluation could not confirm or resolve (their rule did not run). */
  unchecked: number;
  /** Absent when findings do not go to Security Hub. */
  securityHub?: SecurityHubOutcome;
}

/** What an audit report holds that the state needs. */
export interface AuditFindings {
  accountId: string;
  region: string;
  /** When the account was read: the time of every record and document of this evaluation. */
  generatedAt: string;
  findings: readonly ScopedFinding[];
}

export interface AuditStateOptions {
  /** The rules the audit ran (`activeRules`): open records of other rules are left as they are. */
  evaluatedRules: ReadonlySet<string>;
  /**
   * ARNs of every resource the audit read: an open record of a resource not among them is resolved as
   * `deleted`. Default: the resources the audit's findings name (a service role no project uses any more then
   * counts as gone too).
   */
  existingResources?: ReadonlySet<string>;
}

/** The transitions and documents of an audit, from the records stored before it; writes nothing. */
export function planAuditState(
  previous: readonly FindingRecord[],
  report: AuditFindings,
  options: AuditStateOptions & FindingsStateSettings,
): { reconciliation: Reconciliation; documents: AsffFinding[] } {
  const now = new Date(report.generatedAt);
  const reconciliation = reconcile({
    scope: { accountId: report.accountId, region: report.region },
    previous,
    findings: report.findings,
    evaluatedRules: options.evaluatedRules,
    ...(options.existingResources ? { existingResources: options.existingResources } : {}),
    now,
    retentionDays: options.retentionDays,
  });
  return { reconciliation, documents: asffDocuments(reconciliation.changes, now) };
}

/**
 * After the scheduled audit: every record of the account and region, written in batches. `previous`: the
 * records stored before the audit, when the caller has read them already (for the delta); else they are read.
 */
export async function recordAuditFindings(
  deps: FindingsStateDeps,
  report: AuditFindings,
  options: AuditStateOptions & FindingsStateSettings & { previous?: readonly FindingRecord[] },
): Promise<FindingsStateResult> {
  const scope = { accountId: report.accountId, region: report.region };
  const previous = options.previous ?? (await deps.findingsStore.records(scope));
  const { reconciliation, documents } = planAuditState(previous, report, options);
  const securityHub = deps.securityHub ? await publish(deps.securityHub, documents) : undefined;
  const { writes, notWritten } = recordsToWrite(reconciliation.writes, securityHub);
  await deps.findingsStore.writeRecords(writes);
  return {
    changes: reconciliation.changes,
    written: writes.length,
    notWritten,
    unchecked: reconciliation.unchecked.length,
    ...(securityHub ? { securityHub } : {}),
  };
}

export interface ResourceFindings {
  scope: Scope;
  /** When the resources were read. */
  now: Date;
  /** The resources evaluated, and whether each still exists. */
  resources: readonly { resourceArn: string; exists: boolean }[];
  /** Their findings, as judged before any remediation. */
  findings: readonly Finding[];
  /** The rules that ran for them. */
  evaluatedRules: ReadonlySet<string>;
  /** Fixes buildwarden applied to them, by resource and rule. */
  remediated?: readonly { resourceArn: string; ruleId: string }[];
  /** The records stored for these resources, when the caller has read them already; else they are read. */
  previous?: readonly FindingRecord[];
}

/** At most this many reads or writes of the findings state in flight for one evaluation. */
const STATE_CONCURRENCY = 8;

/**
 * After the change handler: the records of the resources it evaluated, each unless a newer one is stored. The
 * records that do not wait for Security Hub's answer (all but the resolved ones) are written while it is sent
 * the documents (bounded); a resolved record follows the import, which decides whether it is written.
 */
export async function recordResourceFindings(
  deps: FindingsStateDeps,
  input: ResourceFindings,
  settings: FindingsStateSettings,
): Promise<FindingsStateResult> {
  const { scope } = input;
  const previous =
    input.previous ??
    (
      await mapWithConcurrency(input.resources, STATE_CONCURRENCY, (r) =>
        deps.findingsStore.recordsOf(scope, r.resourceArn),
      )
    ).flat();
  const reconciliation = reconcile({
    scope,
    previous,
    findings: input.findings,
    evaluatedRules: input.evaluatedRules,
    evaluatedResources: new Set(input.resources.map((r) => r.resourceArn)),
    existingResources: new Set(input.resources.filter((r) => r.exists).map((r) => r.resourceArn)),
    remediated: new Set((input.remediated ?? []).map((r) => identityKey({ ...scope, ...r }))),
    now: input.now,
    retentionDays: settings.retentionDays,
  });
  const documents = asffDocuments(reconciliation.changes, input.now);
  const put = (records: readonly FindingRecord[]) =>
    mapWithConcurrency(records, STATE_CONCURRENCY, (record) => deps.findingsStore.putRecord(record));
  const early = deps.securityHub ? reconciliation.writes.filter((r) => r.state !== 'resolved') : [];
  const [securityHub, earlyWrites] = await Promise.all([
    deps.securityHub ? publish(deps.securityHub, documents) : Promise.resolve(undefined),
    put(early),
  ]);
  const { writes, notWritten } = recordsToWrite(reconciliation.writes, securityHub);
  const late = writes.filter((r) => !early.includes(r));
  const lateWrites = await put(late);
  const outcome = new Map<FindingRecord, RecordWrite>([
    ...early.map((r, i) => [r, earlyWrites[i]!] as const),
    ...late.map((r, i) => [r, lateWrites[i]!] as const),
  ]);
  let written = 0;
  for (const record of writes) {
    const write = outcome.get(record)!;
    if (write.written) written += 1;
    else notWritten.push({ record, reason: write.reason });
  }
  return {
    changes: reconciliation.changes,
    written,
    notWritten,
    unchecked: reconciliation.unchecked.length,
    ...(securityHub ? { securityHub } : {}),
  };
}

async function publish(hub: SecurityHubPublisher, documents: AsffFinding[]): Promise<SecurityHubOutcome> {
  if (documents.length === 0) return { documents: 0, imported: 0, failed: [] };
  try {
    return { documents: documents.length, ...(await hub.importFindings(documents)) };
  } catch (error) {
    // The state is still kept; the findings are sent again with the next evaluation.
    const reason = describeError(error);
    return {
      documents: documents.length,
      imported: 0,
      failed: documents.map((d) => ({ id: d.Id, errorCode: 'ImportFailed', errorMessage: reason })),
      error: reason,
    };
  }
}

/** The records to write: all but the resolved ones whose archive Security Hub did not take. */
function recordsToWrite(
  writes: readonly FindingRecord[],
  securityHub: SecurityHubOutcome | undefined,
): { writes: FindingRecord[]; notWritten: { record: FindingRecord; reason: string }[] } {
  const failed = new Map((securityHub?.failed ?? []).map((f) => [f.id, f]));
  const kept: FindingRecord[] = [];
  const notWritten: { record: FindingRecord; reason: string }[] = [];
  for (const record of writes) {
    const failure = record.state === 'resolved' ? failed.get(asffId(record)) : undefined;
    if (failure) {
      notWritten.push({
        record,
        reason: `Security Hub did not archive it (${failure.errorCode}): it is resolved again next time`,
      });
    } else kept.push(record);
  }
  return { writes: kept, notWritten };
}

/**
 * The ASFF documents an audit sends Security Hub (`buildwarden audit --format asff`): from the records in
 * `store` when there is one (the sandbox's history), else as if nothing had been recorded yet. Writes nothing.
 */
export async function auditDocuments(
  store: FindingsStore | undefined,
  report: AuditFindings,
  options: AuditStateOptions,
): Promise<AsffFinding[]> {
  const previous = store ? await store.records({ accountId: report.accountId, region: report.region }) : [];
  // How long resolved records are kept changes no document.
  return planAuditState(previous, report, { ...options, retentionDays: 1 }).documents;
}

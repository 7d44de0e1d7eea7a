/**
 * The scheduled organization-wide audit as steps a state machine runs (deploy/organization-audit.asl.json):
 *
 * 1. `listRunTargets`: every target (account × region) the TargetLister names, as the Map's items.
 * 2. `auditShard` (organization-shard.ts, the one step that audits: the targets and summary steps' bundles carry
 *    no audit): one account-region, at most `pageBudget` DescribeRepositories pages per invocation. The
 *    findings go to the run store as JSON lines under `runs/<run id>/<account>/<region>.jsonl` (a continuation
 *    writes `<region>.<part>.jsonl`); when repositories remain, the result carries the page token and the state
 *    machine invokes the shard again from there (no invocation runs long: the single-account audit is unchanged,
 *    this mode is separate). Projects and roles are read in the first part only. A target whose deps cannot be
 *    had (the member role cannot be assumed) is one not-visible finding, never a failed shard.
 * 3. `summarizeRun`: streams every object of the run line by line — it never holds the organization's findings,
 *    only counts per account and status — and publishes one organization-wide notification.
 */
import type { Notification, Notifier, RunStore, Target, TargetLister } from '../ports';
import type { FindingStatus, Severity } from '../policy/findings';

/** The rule id of the one not-visible finding of an account-region that could not be audited. */
export const ACCOUNT_NOT_AUDITED = 'organization.account-audited';

/** The run store's key for a part of a target's findings (part 0: `<region>.jsonl`). */
export function shardKey(runId: string, target: Target, part = 0): string {
  return `runs/${runId}/${target.accountId}/${target.region}${part === 0 ? '' : `.${part}`}.jsonl`;
}

const RUN_ID = /^[A-Za-z0-9_.=-]{1,80}$/;

export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new RangeError('runId: expected letters, digits and _.=- (at most 80)');
}

/** What the state machine passes to the shard, and gets back. */
export interface ShardInput {
  runId: string;
  target: Target;
  /** Where the previous part stopped; absent for the first part. */
  nextToken?: string;
  part?: number;
}

export interface ShardResult extends ShardInput {
  /** True when repositories remain: invoke again with this result (nextToken, part). */
  more: boolean;
  counts: Record<FindingStatus, number>;
  repositories: number;
  notAudited?: string;
}

export /** Counts by status, all zero. */
const zero = (): Record<FindingStatus, number> => ({
  violation: 0,
  'not-visible': 0,
  exempt: 0,
  compliant: 0,
});

/** The run's list of targets, kept beside its findings so the summary knows which never reported. */
export const targetsKey = (runId: string) => `runs/${runId}/targets.json`;

/** Step 1: the targets of the run (the Map's items), kept in the run store. */
export async function listRunTargets(
  lister: TargetLister,
  runs: RunStore,
  runId: string,
): Promise<{ runId: string; targets: Target[] }> {
  checkRunId(runId);
  const targets = await lister.targets();
  await runs.put(targetsKey(runId), JSON.stringify(targets));
  return { runId, targets };
}

/** Why a listed target has no findings in the run. */
export const SHARD_DID_NOT_FINISH =
  "its audit did not finish (the audit-shard failed: see the execution's Map run)";

export interface RunSummary {
  runId: string;
  targets: number;
  byStatus: Record<FindingStatus, number>;
  byAccount: Record<string, { name?: string; byStatus: Record<FindingStatus, number>; score: number }>;
  notAudited: { accountId: string; region: string; reason: string }[];
  /** Accounts by severity-weighted violations, worst first. */
  worst: { accountId: string; name?: string; violations: number; score: number }[];
}

const WEIGHT: Record<Severity, number> = { critical: 1000, high: 100, medium: 10, low: 1, info: 0 };

/**
 * Streams every object of the run: memory grows with the number of accounts (counts), never with the number
 * of findings. A line that is not a finding is skipped and counted in `malformed`.
 */
export async function summarizeRun(
  runs: RunStore,
  lister: Pick<TargetLister, 'accountName'>,
  runId: string,
  options: { top?: number } = {},
): Promise<RunSummary & { malformed: number }> {
  checkRunId(runId);
  const byStatus = zero();
  const byAccount: RunSummary['byAccount'] = {};
  const notAudited: RunSummary['notAudited'] = [];
  const targets = new Set<string>();
  let malformed = 0;
  for await (const key of runs.keys(`runs/${runId}/`)) {
    if (!key.endsWith('.jsonl')) continue;
    const [, , accountId, file] = key.split('/');
    if (accountId === undefined || file === undefined) continue;
    targets.add(`${accountId}/${file.split('.')[0]}`);
    const account = (byAccount[accountId] ??= { byStatus: zero(), score: 0 });
    for await (const line of runs.lines(key)) {
      if (line === '') continue;
      let f: {
        status?: FindingStatus;
        severity?: Severity;
        ruleId?: string;
        region?: string;
        details?: { reason?: string };
      };
      try {
        f = JSON.parse(line) as typeof f;
      } catch {
        malformed += 1;
        continue;
      }
      if (f.status === undefined || !(f.status in byStatus)) {
        malformed += 1;
        continue;
      }
      byStatus[f.status] += 1;
      account.byStatus[f.status] += 1;
      if (f.status === 'violation') account.score += WEIGHT[f.severity ?? 'info'] ?? 0;
      if (f.ruleId === ACCOUNT_NOT_AUDITED) {
        notAudited.push({ accountId, region: f.region ?? '', reason: f.details?.reason ?? '' });
      }
    }
  }
  const listed = await runs.text(targetsKey(runId));
  for (const target of listed === undefined ? [] : (JSON.parse(listed) as Target[])) {
    if (targets.has(`${target.accountId}/${target.region}`)) continue;
    targets.add(`${target.accountId}/${target.region}`);
    byAccount[target.accountId] ??= { byStatus: zero(), score: 0 };
    notAudited.push({ accountId: target.accountId, region: target.region, reason: SHARD_DID_NOT_FINISH });
  }
  for (const [id, account] of Object.entries(byAccount)) {
    const name = await lister.accountName(id).catch(() => undefined);
    if (name !== undefined) account.name = name;
  }
  const worst = Object.entries(byAccount)
    .filter(([, a]) => a.byStatus.violation > 0)
    .map(([accountId, { name, byStatus: counts, score }]) => ({
      accountId,
      ...(name === undefined ? {} : { name }),
      violations: counts.violation,
      score,
    }))
    .sort((a, b) => b.score - a.score || (a.accountId < b.accountId ? -1 : 1))
    .slice(0, options.top ?? 10);
  return { runId, targets: targets.size, byStatus, byAccount, notAudited, worst, malformed };
}

/** The one organization-wide notification of a run. */
export function runNotification(summary: RunSummary): Notification {
  const s = summary.byStatus;
  const accounts = Object.keys(summary.byAccount).length;
  const label = (id: string, name?: string) => (name ? `${id} (${name})` : id);
  const message = [
    `Organization audit ${summary.runId}: ${accounts} accounts, ${summary.targets} account-regions.`,
    `Findings: ${s.violation} violations, ${s['not-visible']} not visible, ${s.exempt} exempt, ${s.compliant} compliant.`,
    '',
    'Per account:',
    ...Object.entries(summary.byAccount).map(
      ([id, a]) =>
        `  ${label(id, a.name).padEnd(40)} ${String(a.byStatus.violation).padStart(6)} violation  ${String(a.byStatus['not-visible']).padStart(5)} not-visible`,
    ),
    '',
    'Worst offenders:',
    ...(summary.worst.length
      ? summary.worst.map((w) => `  ${label(w.accountId, w.name)} — ${w.violations} violations`)
      : ['  none']),
    ...(summary.notAudited.length
      ? ['', 'Not audited:', ...summary.notAudited.map((n) => `  ${n.accountId} ${n.region}: ${n.reason}`)]
      : []),
  ].join('\n');
  const subject = `buildwarden organization audit: ${s.violation} violations, ${s['not-visible']} not visible in ${accounts} accounts`;
  return {
    subject: subject.slice(0, 99),
    message,
    attributes: { kind: 'organization-audit-summary', severity: s.violation > 0 ? 'high' : 'none' },
  };
}

export async function summarizeAndNotify(
  runs: RunStore,
  lister: Pick<TargetLister, 'accountName'>,
  notifier: Notifier,
  runId: string,
  options: { top?: number } = {},
): Promise<RunSummary> {
  const summary = await summarizeRun(runs, lister, runId, options);
  await notifier.publish(runNotification(summary));
  return summary;
}

/**
 * The delta of an audit against an earlier one: what is new, what was resolved, what is still open and for how
 * long. Findings are matched by account, region, resource and rule. Pure: `now` is the current report's time.
 *
 * The earlier report is an `audit --format json` output. Open findings in it carry `firstSeen`, the time the
 * chain of reports first saw them open; an older output has neither `firstSeen` nor `generatedAt` and still
 * works as a baseline: an open finding's age is then "at least since" the baseline's `generatedAt`, or unknown.
 */
import * as z from 'zod';
import {
  compareFindings,
  SEVERITIES,
  STATUSES,
  type Finding,
  type FindingStatus,
  type Severity,
} from './findings';
import { resourceName, truncateLines } from './notifications';
import { parseWith } from './validation';

/** A finding as reports carry it: open findings have the time they were first seen open. */
export type TrackedFinding = Finding & { firstSeen?: string };

/** Statuses that need someone's attention: a violation, or a resource that could not be judged. */
const OPEN: ReadonlySet<FindingStatus> = new Set<FindingStatus>(['violation', 'not-visible']);
export const isOpen = (finding: { status: FindingStatus }): boolean => OPEN.has(finding.status);

const timestamp = z.iso.datetime({ offset: true });

const previousFindingSchema = z.looseObject({
  ruleId: z.string().min(1),
  resourceArn: z.string().min(1),
  resourceType: z.string().optional(),
  status: z.enum(STATUSES),
  severity: z.enum(SEVERITIES),
  message: z.string().optional(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  firstSeen: timestamp.optional(),
});

const previousReportSchema = z.looseObject({
  accountId: z.string().optional(),
  region: z.string().optional(),
  generatedAt: timestamp.optional(),
  findings: z.array(previousFindingSchema),
});

export type PreviousReport = z.infer<typeof previousReportSchema>;
type PreviousFinding = z.infer<typeof previousFindingSchema>;

/** Parses an earlier `audit --format json` output; anything else is InvalidInputError naming `source`. */
export function parsePreviousReport(value: unknown, source: string): PreviousReport {
  return parseWith(previousReportSchema, value, source);
}

export interface Scope {
  accountId: string;
  region: string;
}

/** Why a baseline cannot be compared with this audit (another account or region), or undefined. */
export function baselineScopeProblem(previous: PreviousReport, current: Scope): string | undefined {
  const other =
    (previous.accountId !== undefined && previous.accountId !== current.accountId) ||
    (previous.region !== undefined && previous.region !== current.region);
  if (!other) return undefined;
  return `it is a report of account ${previous.accountId ?? '(unknown)'} in ${previous.region ?? '(unknown region)'}, this audit is of account ${current.accountId} in ${current.region}`;
}

type Keyed = { ruleId: string; resourceArn: string; accountId?: string; region?: string };

/** The identity of a finding across reports: account, region, resource and rule. */
export function findingKey(finding: Keyed, scope: Scope): string {
  return JSON.stringify([
    finding.accountId ?? scope.accountId,
    finding.region ?? scope.region,
    finding.resourceArn,
    finding.ruleId,
  ]);
}

/**
 * One finding per key, the worst first: a rule may report one resource more than once (a service role judged
 * for each repository its projects push to); the key is open while any of them is.
 */
function byKey<F extends Keyed & { status: FindingStatus; severity: Severity }>(
  findings: readonly F[],
  scope: Scope,
): Map<string, F> {
  const sorted = [...findings].sort((a, b) => compareFindings(a, b));
  const map = new Map<string, F>();
  for (const f of sorted) {
    const key = findingKey(f, scope);
    if (!map.has(key)) map.set(key, f);
  }
  return map;
}

export interface DeltaEntry {
  accountId: string;
  region: string;
  ruleId: string;
  resourceArn: string;
  severity: Severity;
  /** The status now (for resolved findings: `compliant`, `exempt`, or the status before when it is gone). */
  status: FindingStatus;
  message?: string;
}

export interface OpenEntry extends DeltaEntry {
  /** When the chain of reports first saw it open; absent when the baseline does not say (an older report). */
  firstSeen?: string;
  /** False when `firstSeen` is only the baseline's time (it was open then already, since when is unknown). */
  firstSeenExact: boolean;
  /** Whole days from `firstSeen` to now. */
  ageDays?: number;
}

/** How a finding stopped being open: now compliant, now exempt, or no longer reported (the resource is gone). */
export type Resolution = 'fixed' | 'exempted' | 'gone';

export interface ResolvedEntry extends DeltaEntry {
  resolution: Resolution;
}

export interface AuditDelta {
  /** The baseline's time, when it says. */
  since?: string;
  generatedAt: string;
  /** Open now, not open in the baseline. */
  newFindings: OpenEntry[];
  resolved: ResolvedEntry[];
  /** Open in the baseline and now, oldest first within each severity. */
  stillOpen: OpenEntry[];
  /** Every open critical finding, oldest first. */
  oldestCritical: OpenEntry[];
  /** Open in the baseline, of a rule this audit did not run: neither resolved nor confirmed. */
  unchecked: number;
}

export interface DeltaOptions {
  now: Date;
  scope: Scope;
  /** The rules this audit ran (default: every rule); open findings of other rules are not called resolved. */
  evaluatedRules?: ReadonlySet<string>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const severityRank = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

function entry(f: Keyed & { status: FindingStatus; severity: Severity; message?: string }, scope: Scope) {
  return {
    accountId: f.accountId ?? scope.accountId,
    region: f.region ?? scope.region,
    ruleId: f.ruleId,
    resourceArn: f.resourceArn,
    severity: f.severity,
    status: f.status,
    ...(f.message !== undefined ? { message: f.message } : {}),
  };
}

/** When an open finding was first seen: carried from the baseline, or now when it is new. */
function firstSeenFor(
  before: PreviousFinding | undefined,
  previous: PreviousReport | undefined,
  now: string,
): { firstSeen?: string; firstSeenExact: boolean } {
  if (!before || !isOpen(before)) return { firstSeen: now, firstSeenExact: true };
  if (before.firstSeen) return { firstSeen: before.firstSeen, firstSeenExact: true };
  return previous?.generatedAt
    ? { firstSeen: previous.generatedAt, firstSeenExact: false }
    : { firstSeenExact: false };
}

function openEntry(
  f: Finding,
  before: PreviousFinding | undefined,
  previous: PreviousReport | undefined,
  options: DeltaOptions,
): OpenEntry {
  const seen = firstSeenFor(before, previous, options.now.toISOString());
  const age =
    seen.firstSeen === undefined
      ? undefined
      : Math.max(0, Math.floor((options.now.getTime() - Date.parse(seen.firstSeen)) / DAY_MS));
  return { ...entry(f, options.scope), ...seen, ...(age !== undefined ? { ageDays: age } : {}) };
}

/** Oldest first (unknown = before the baseline = oldest), then by rule and resource. */
function compareAge(a: OpenEntry, b: OpenEntry): number {
  const at = a.firstSeen === undefined ? -Infinity : Date.parse(a.firstSeen);
  const bt = b.firstSeen === undefined ? -Infinity : Date.parse(b.firstSeen);
  return (
    (at === bt ? 0 : at < bt ? -1 : 1) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceArn.localeCompare(b.resourceArn)
  );
}

const bySeverityThenAge = (a: OpenEntry, b: OpenEntry) =>
  severityRank[a.severity] - severityRank[b.severity] || compareAge(a, b);

const bySeverity = (a: DeltaEntry, b: DeltaEntry) =>
  severityRank[a.severity] - severityRank[b.severity] ||
  a.ruleId.localeCompare(b.ruleId) ||
  a.resourceArn.localeCompare(b.resourceArn);

/** The delta of the current findings against a previous report. */
export function computeDelta(
  previous: PreviousReport,
  findings: readonly Finding[],
  options: DeltaOptions,
): AuditDelta {
  const scope = options.scope;
  const previousScope = {
    accountId: previous.accountId ?? scope.accountId,
    region: previous.region ?? scope.region,
  };
  const before = byKey(previous.findings, previousScope);
  const now = byKey(findings, scope);

  const newFindings: OpenEntry[] = [];
  const stillOpen: OpenEntry[] = [];
  for (const [key, f] of now) {
    if (!isOpen(f)) continue;
    const was = before.get(key);
    const open = openEntry(f, was, previous, options);
    if (was && isOpen(was)) stillOpen.push(open);
    else newFindings.push(open);
  }

  const resolved: ResolvedEntry[] = [];
  let unchecked = 0;
  for (const [key, was] of before) {
    if (!isOpen(was)) continue;
    const current = now.get(key);
    if (current && isOpen(current)) continue;
    if (current) {
      resolved.push({
        ...entry({ ...was, status: current.status }, previousScope),
        resolution: current.status === 'exempt' ? 'exempted' : 'fixed',
      });
    } else if (options.evaluatedRules && !options.evaluatedRules.has(was.ruleId)) {
      unchecked += 1;
    } else {
      resolved.push({ ...entry(was, previousScope), resolution: 'gone' });
    }
  }

  const open = [...newFindings, ...stillOpen];
  return {
    ...(previous.generatedAt ? { since: previous.generatedAt } : {}),
    generatedAt: options.now.toISOString(),
    newFindings: newFindings.sort(bySeverity),
    resolved: resolved.sort(bySeverity),
    stillOpen: stillOpen.sort(bySeverityThenAge),
    oldestCritical: open.filter((f) => f.severity === 'critical').sort(compareAge),
    unchecked,
  };
}

/**
 * The findings with `firstSeen` on the open ones, for the next report to carry: from the baseline when it
 * was open there, else now.
 */
export function trackFindings(
  findings: readonly Finding[],
  previous: PreviousReport | undefined,
  options: { now: Date; scope: Scope },
): TrackedFinding[] {
  const before = previous
    ? byKey(previous.findings, {
        accountId: previous.accountId ?? options.scope.accountId,
        region: previous.region ?? options.scope.region,
      })
    : new Map<string, PreviousFinding>();
  const now = options.now.toISOString();
  return findings.map((f) => {
    if (!isOpen(f)) return f;
    const { firstSeen } = firstSeenFor(before.get(findingKey(f, options.scope)), previous, now);
    return firstSeen === undefined ? f : { ...f, firstSeen };
  });
}

/** "nothing new", or how many are new and resolved: the start of a subject line. */
export function deltaHeadline(delta: AuditDelta): string {
  const parts = [delta.newFindings.length === 0 ? 'nothing new' : `${delta.newFindings.length} new`];
  if (delta.resolved.length > 0) parts.push(`${delta.resolved.length} resolved`);
  return parts.join(', ');
}

/** "open 12 days (since 2026-01-02)", "open at least 3 days (…)", or "open since before the baseline". */
export function describeAge(entry: OpenEntry): string {
  if (entry.firstSeen === undefined || entry.ageDays === undefined) return 'open since before the baseline';
  const days = entry.ageDays === 1 ? '1 day' : `${entry.ageDays} days`;
  const date = entry.firstSeen.slice(0, 10);
  return entry.firstSeenExact
    ? `open ${days} (since ${date})`
    : `open at least ${days} (since ${date} or earlier)`;
}

const RESOLUTION_WORDS: Record<Resolution, string> = {
  fixed: 'fixed (now compliant)',
  exempted: 'exempted',
  gone: 'no longer reported (resource deleted or out of scope)',
};

export function describeResolution(resolution: Resolution): string {
  return RESOLUTION_WORDS[resolution];
}

function where(e: DeltaEntry, scope?: Scope): string {
  const elsewhere = scope && (e.accountId !== scope.accountId || e.region !== scope.region);
  return `${resourceName(e.resourceArn)}${elsewhere ? ` (${e.accountId}/${e.region})` : ''}`;
}

/**
 * The delta as plain text lines, for the audit summary and the CLI: new findings (rule and resource), resolved,
 * still open with their age, the oldest open critical ones. `top` bounds each list (the rest are counted).
 */
export function deltaLines(delta: AuditDelta, options: { top?: number; scope?: Scope } = {}): string[] {
  const top = options.top ?? Infinity;
  const list = (lines: string[]) => truncateLines(lines, top);
  const open = (e: OpenEntry) =>
    `  ${e.severity.padEnd(8)} ${e.ruleId} on ${where(e, options.scope)}${e.status === 'not-visible' ? ' (not visible)' : ''}`;
  const lines = [
    `Since the last audit${delta.since ? ` (${delta.since})` : ''}: ${deltaHeadline(delta)}; ${delta.stillOpen.length} still open.`,
  ];
  if (delta.newFindings.length > 0) {
    lines.push('', `New (${delta.newFindings.length}):`, ...list(delta.newFindings.map(open)));
  }
  if (delta.resolved.length > 0) {
    lines.push(
      '',
      `Resolved (${delta.resolved.length}):`,
      ...list(
        delta.resolved.map(
          (e) =>
            `  ${e.severity.padEnd(8)} ${e.ruleId} on ${where(e, options.scope)} — ${describeResolution(e.resolution)}`,
        ),
      ),
    );
  }
  if (delta.stillOpen.length > 0) {
    lines.push(
      '',
      `Still open (${delta.stillOpen.length}):`,
      ...list(delta.stillOpen.map((e) => `${open(e)} — ${describeAge(e)}`)),
    );
  }
  if (delta.oldestCritical.length > 0) {
    lines.push(
      '',
      `Oldest open critical (${delta.oldestCritical.length}):`,
      ...truncateLines(
        delta.oldestCritical.map((e) => `${open(e)} — ${describeAge(e)}`),
        Math.min(top, 5),
      ),
    );
  }
  if (delta.unchecked > 0) {
    lines.push('', `${delta.unchecked} open before, of rules this audit did not run: not checked.`);
  }
  return lines;
}

/** The delta for the audit summary notification: its subject's headline and the lines that lead the message. */
export function deltaText(
  delta: AuditDelta,
  options: { top?: number; scope?: Scope } = {},
): { headline: string; lines: string[] } {
  return { headline: deltaHeadline(delta), lines: deltaLines(delta, options) };
}

/** What the delta reads of a findings state record (lib/policy/finding-state.ts). */
interface StateRecord {
  accountId: string;
  region: string;
  resourceArn: string;
  resourceType?: string;
  ruleId: string;
  state: 'open' | 'resolved';
  status: FindingStatus;
  severity: Severity;
  message: string;
  firstSeen: string;
  lastSeen: string;
}

/**
 * The findings state as a baseline, so that the scheduled audit's delta is the same delta (and the same text)
 * as `--baseline`'s: its open records, each with its `firstSeen`, as of the latest evaluation it remembers.
 * No records: a baseline with no findings and no time (every open finding is new).
 */
export function baselineFromRecords(records: readonly StateRecord[], scope: Scope): PreviousReport {
  const latest = records.reduce<string | undefined>(
    (max, r) => (max === undefined || Date.parse(r.lastSeen) > Date.parse(max) ? r.lastSeen : max),
    undefined,
  );
  return {
    accountId: scope.accountId,
    region: scope.region,
    ...(latest ? { generatedAt: latest } : {}),
    findings: records
      .filter((r) => r.state === 'open')
      .map((r) => ({
        accountId: r.accountId,
        region: r.region,
        ruleId: r.ruleId,
        resourceArn: r.resourceArn,
        ...(r.resourceType ? { resourceType: r.resourceType } : {}),
        status: r.status,
        severity: r.severity,
        message: r.message,
        firstSeen: r.firstSeen,
      })),
  };
}

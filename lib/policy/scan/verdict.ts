/**
 * The scan gate's decision for one image: pass, fail (a threshold exceeded after the allowlist) or
 * scan-failed (the scan did not complete, so nothing is known and the image is never passed).
 *
 * The counts come from the findings API (`scanFactsFromFindings`: its `findingSeverityCounts`, never fewer than
 * the findings it lists), not from the scan event, which is only the hint that something changed: an event can
 * arrive late, twice, or describe an older scan than the one the API now reports.
 *
 * Reconciling the counts with the findings list:
 * - For a severity the counts report, the count is the truth (it covers every finding, while the findings list
 *   may be partial: paging stopped, findings unreadable). Allowlisted findings are subtracted from it only as
 *   far as the list identifies them: each listed finding with an allowlisted CVE removes one from its severity,
 *   never below zero. A finding the list does not show is never assumed to be allowlisted.
 * - For a severity the counts do not report (an enhanced scan event breaks out only critical, high and medium),
 *   the list supplies the count; the part of the TOTAL the list does not account for is `unclassified`, and a
 *   finite threshold on such a severity is checked as if every unclassified finding had it.
 * Adding a finding therefore never lowers a checked count, so it never turns a fail into a pass.
 */
import { matchesAny } from '../wildcard';
import type { AllowlistEntry, ScanGateConfig, Thresholds } from './scan-gate-config';
import { thresholdsFor } from './scan-gate-config';
import type { ScanFinding, ScanFindingsReading, TopFinding } from './image-scan-findings';
import { rankFindings } from './image-scan-findings';
import type { ScanSeverity, SeverityCounts } from './severity';
import { SCAN_SEVERITIES, zeroCounts } from './severity';

/** What a verdict is decided from; a ScanEvent is one (its counts), `scanFactsFromFindings` makes another. */
export interface ScanFacts {
  repositoryName: string;
  status: 'complete' | 'failed';
  /** Per severity; a severity not reported counts zero. */
  counts: SeverityCounts;
  /** Severities `counts` gives a count for; the findings list supplies the others. */
  reportedSeverities: readonly ScanSeverity[];
  /** All findings counted (at least the sum of `counts`). */
  total: number;
}

export interface VerdictInput {
  scan: ScanFacts;
  /** Every finding known for the image (all pages, see `collectScanFindings`); `[]` when none could be read. */
  findings: readonly ScanFinding[];
  config: ScanGateConfig;
  now: Date;
}

export interface ExceededThreshold {
  severity: ScanSeverity;
  /** The count checked: after the allowlist, plus any unclassified findings for an unreported severity. */
  count: number;
  max: number;
}

export interface AppliedAllowlistEntry {
  cve: string;
  reason: string;
  expires: string;
  /** Listed findings of this CVE taken out of the counts. */
  findings: number;
}

export interface ExpiredAllowlistEntry {
  cve: string;
  /** The entry's `expires` value. */
  expired: string;
}

export interface Verdict {
  verdict: 'pass' | 'fail' | 'scan-failed';
  /** Per severity, after the allowlist. */
  counts: SeverityCounts;
  /** Per severity, before the allowlist. */
  rawCounts: SeverityCounts;
  /** Findings in the event's total that neither the event's breakdown nor the findings list classify. */
  unclassified: number;
  exceeded: ExceededThreshold[];
  thresholds: Thresholds;
  /** Where the thresholds came from: `thresholds` or `repositoryOverrides[i]`. */
  thresholdSource: string;
  allowlisted: AppliedAllowlistEntry[];
  /** Entries for this repository and a CVE present in the image that have expired: reported, not applied. */
  expiredAllowlist: ExpiredAllowlistEntry[];
  /** The worst findings not allowlisted, at most `config.topFindings`. */
  topFindings: TopFinding[];
  /** How many finding/package entries `topFindings` was chosen from. */
  rankedFindings: number;
}

const DAY_MS = 86_400_000;

/** A date-only expiry is valid through the end of that day (UTC); a date-time until that instant. */
export function isAllowlistEntryExpired(expires: string, now: Date): boolean {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(expires);
  const end = dateOnly ? Date.parse(`${expires}T00:00:00Z`) + DAY_MS : Date.parse(expires);
  return !(now.getTime() < end);
}

const appliesTo = (entry: AllowlistEntry, repositoryName: string) =>
  entry.repositories === undefined || matchesAny(repositoryName, entry.repositories);

const normaliseId = (id: string) => id.trim().toUpperCase();

export function decideVerdict(input: VerdictInput): Verdict {
  const { scan: event, findings, config, now } = input;
  const { thresholds, source: thresholdSource } = thresholdsFor(config, event.repositoryName);

  // Allowlist entries for this repository whose CVE the image has; an active entry wins over an expired one.
  const present = new Set(findings.map((f) => normaliseId(f.id)));
  const active = new Map<string, AllowlistEntry>();
  const expired = new Map<string, AllowlistEntry>();
  for (const entry of config.allowlist) {
    const cve = normaliseId(entry.cve);
    if (!present.has(cve) || !appliesTo(entry, event.repositoryName)) continue;
    const bucket = isAllowlistEntryExpired(entry.expires, now) ? expired : active;
    if (!bucket.has(cve)) bucket.set(cve, entry);
  }
  for (const cve of active.keys()) expired.delete(cve);

  const listed = zeroCounts();
  const suppressed = zeroCounts();
  const suppressedByCve = new Map<string, number>();
  for (const f of findings) {
    listed[f.severity] += 1;
    const cve = normaliseId(f.id);
    if (active.has(cve)) {
      suppressed[f.severity] += 1;
      suppressedByCve.set(cve, (suppressedByCve.get(cve) ?? 0) + 1);
    }
  }

  const reported = new Set(event.reportedSeverities);
  const rawCounts = zeroCounts();
  for (const s of SCAN_SEVERITIES) rawCounts[s] = reported.has(s) ? event.counts[s] : listed[s];
  const reportedTotal = SCAN_SEVERITIES.reduce((n, s) => n + (reported.has(s) ? event.counts[s] : 0), 0);
  const listedUnreported = SCAN_SEVERITIES.reduce((n, s) => n + (reported.has(s) ? 0 : listed[s]), 0);
  const unclassified = Math.max(0, event.total - reportedTotal - listedUnreported);

  const counts = zeroCounts();
  for (const s of SCAN_SEVERITIES) counts[s] = Math.max(0, rawCounts[s] - suppressed[s]);

  const exceeded: ExceededThreshold[] = [];
  for (const s of SCAN_SEVERITIES) {
    const max = thresholds[s];
    if (max === null) continue;
    const checked = counts[s] + (reported.has(s) ? 0 : unclassified);
    if (checked > max) exceeded.push({ severity: s, count: checked, max });
  }

  const ranked = rankFindings(findings.filter((f) => !active.has(normaliseId(f.id))));
  return {
    verdict: event.status === 'failed' ? 'scan-failed' : exceeded.length > 0 ? 'fail' : 'pass',
    counts,
    rawCounts,
    unclassified,
    exceeded,
    thresholds,
    thresholdSource,
    allowlisted: [...active.entries()].map(([cve, e]) => ({
      cve,
      reason: e.reason,
      expires: e.expires,
      findings: suppressedByCve.get(cve) ?? 0,
    })),
    expiredAllowlist: [...expired.entries()].map(([cve, e]) => ({ cve, expired: e.expires })),
    topFindings: ranked.slice(0, config.topFindings),
    rankedFindings: ranked.length,
  };
}

// ---- the findings API as the source of truth ------------------------------------------------------------------

/** ECR ScanStatus values whose findings are a finished scan's (ACTIVE: enhanced continuous scanning). */
export const COMPLETE_SCAN_STATUSES: readonly string[] = ['COMPLETE', 'ACTIVE'];
/** ECR ScanStatus values of a scan that has not finished: its findings are not a verdict yet. */
export const PENDING_SCAN_STATUSES: readonly string[] = ['IN_PROGRESS', 'PENDING'];

/**
 * What the findings API's scan status means for the gate: `complete` (decide from the findings), `pending`
 * (a scan is running; its completion decides) or `failed` (FAILED, UNSUPPORTED_IMAGE, SCAN_ELIGIBILITY_EXPIRED,
 * FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED, IMAGE_ARCHIVED or anything unknown: the image is not verified). A
 * response without a status counts as complete only when it carries findings.
 */
export function scanStateOf(reading: Pick<ScanFindingsReading, 'status' | 'hasFindings'>): ScanState {
  if (reading.status === undefined) return reading.hasFindings ? 'complete' : 'failed';
  if (COMPLETE_SCAN_STATUSES.includes(reading.status)) return 'complete';
  if (PENDING_SCAN_STATUSES.includes(reading.status)) return 'pending';
  return 'failed';
}
export type ScanState = 'complete' | 'pending' | 'failed';

/**
 * The facts of a verdict from the findings API: per severity the larger of the API's count and the number of
 * findings it lists (so a listed CRITICAL can never sit next to a count of zero), every severity reported.
 */
export function scanFactsFromFindings(
  repositoryName: string,
  reading: Pick<ScanFindingsReading, 'counts' | 'findings'>,
  status: 'complete' | 'failed',
): ScanFacts {
  const listed = zeroCounts();
  for (const f of reading.findings) listed[f.severity] += 1;
  const counts = zeroCounts();
  for (const s of SCAN_SEVERITIES) counts[s] = Math.max(reading.counts[s], listed[s]);
  return {
    repositoryName,
    status,
    counts,
    reportedSeverities: [...SCAN_SEVERITIES],
    total: SCAN_SEVERITIES.reduce((n, s) => n + counts[s], 0),
  };
}

// ---- newest truth wins --------------------------------------------------------------------------------------

/** Any date-time text → ISO 8601 with milliseconds in UTC, so that stored times compare as strings. */
export function isoMillis(time: string): string {
  return new Date(Date.parse(time)).toISOString();
}

/** When a stored verdict's truth was established (all ISO 8601 with milliseconds, see `isoMillis`). */
export interface VerdictTimes {
  /** When the scan completed. */
  scannedAt: string;
  /** When buildwarden read the scan's findings (orders two readings of one scan). */
  evaluatedAt?: string;
  /** When the image was deleted, if it was. */
  deletedAt?: string;
}

/**
 * Why a verdict may not replace the stored one, or undefined when it may: an older scan never replaces a newer
 * scan's verdict, an older reading of the same scan never replaces a newer reading, and a scan that completed
 * before the image was deleted never revives it. The DynamoDB condition expression of the verdict store and the
 * sandbox apply this same rule.
 */
export function staleVerdictReason(
  stored: VerdictTimes | undefined,
  candidate: VerdictTimes,
): string | undefined {
  if (!stored) return undefined;
  if (stored.deletedAt !== undefined && !(candidate.scannedAt > stored.deletedAt)) {
    return `the image was deleted at ${stored.deletedAt}, after this scan completed (${candidate.scannedAt})`;
  }
  if (stored.scannedAt > candidate.scannedAt) {
    return `a newer scan's verdict is stored (scan completed ${stored.scannedAt}; this one ${candidate.scannedAt})`;
  }
  if (
    stored.scannedAt === candidate.scannedAt &&
    stored.evaluatedAt !== undefined &&
    candidate.evaluatedAt !== undefined &&
    stored.evaluatedAt > candidate.evaluatedAt
  ) {
    return `a later reading of the same scan is stored (read ${stored.evaluatedAt}; this one ${candidate.evaluatedAt})`;
  }
  return undefined;
}

/**
 * Why the deletion of an image at `deletedAt` may not mark its stored verdict deleted, or undefined when it
 * may: no verdict is stored, it is already marked, or the image was scanned again after this deletion. The
 * verdict store and the sandbox apply this same rule.
 */
export function deletionRefusal(
  stored: (VerdictTimes & { verdict: string }) | undefined,
  deletedAt: string,
): string | undefined {
  if (!stored) return 'no verdict is stored for the image';
  if (stored.verdict === 'deleted') return `the image is already marked deleted (at ${stored.deletedAt})`;
  if (stored.scannedAt > deletedAt) {
    return `the image was scanned again (${stored.scannedAt}) after this deletion (${deletedAt})`;
  }
  return undefined;
}

/**
 * How a new verdict relates to the one stored before it: `first` (nothing stored, or the image was deleted),
 * `flipped` (another verdict), `changed` (the same verdict from other findings) or `unchanged` (the same
 * verdict from the same findings: a re-scan that found exactly the same, or another event about one truth).
 * Only `unchanged` is not news.
 */
export type VerdictChange = 'first' | 'flipped' | 'changed' | 'unchanged';

export function verdictChange(
  previous: { verdict: string; fingerprint?: string } | undefined,
  next: { verdict: string; fingerprint?: string },
): VerdictChange {
  if (!previous || previous.verdict === 'deleted') return 'first';
  if (previous.verdict !== next.verdict) return 'flipped';
  const sameFindings = next.fingerprint !== undefined && previous.fingerprint === next.fingerprint;
  return sameFindings ? 'unchanged' : 'changed';
}

/** The worst finding not among the previous verdict's top findings; else the worst finding. */
export function worstNewFinding(
  previousTop: readonly unknown[],
  nextTop: readonly TopFinding[],
): TopFinding | undefined {
  const known = new Set(
    previousTop.flatMap((f) =>
      typeof f === 'object' && f !== null && typeof (f as { id?: unknown }).id === 'string'
        ? [(f as { id: string }).id]
        : [],
    ),
  );
  return nextTop.find((f) => !known.has(f.id)) ?? nextTop[0];
}

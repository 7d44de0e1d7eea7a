/**
 * The scan gate's decision for one image: pass, fail (a threshold exceeded after the allowlist) or
 * scan-failed (the scan did not complete, so nothing is known and the image is never passed).
 *
 * Reconciling the event's counts with the findings list:
 * - For a severity the event reports, the event's count is the truth (it covers every finding, while the
 *   findings list may be partial: paging stopped, findings unreadable). Allowlisted findings are subtracted
 *   from it only as far as the list identifies them: each listed finding with an allowlisted CVE removes one
 *   from its severity, never below zero. A finding the list does not show is never assumed to be allowlisted.
 * - For a severity the event does not report (enhanced scans break out only critical, high and medium), the
 *   list supplies the count; the part of the event's TOTAL the list does not account for is `unclassified`,
 *   and a finite threshold on such a severity is checked as if every unclassified finding had it.
 * Adding a finding therefore never lowers a checked count, so it never turns a fail into a pass.
 */
import { matchesAny } from '../wildcard';
import type { AllowlistEntry, ScanGateConfig, Thresholds } from './config';
import { thresholdsFor } from './config';
import type { ScanEvent } from './events';
import type { ScanFinding, TopFinding } from './findings';
import { rankFindings } from './findings';
import type { ScanSeverity, SeverityCounts } from './severity';
import { SCAN_SEVERITIES, zeroCounts } from './severity';

export interface VerdictInput {
  event: ScanEvent;
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
  const { event, findings, config, now } = input;
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

/**
 * Vulnerability severities as image scanners report them. ECR basic scanning uses the FindingSeverity enum
 * (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNDEFINED; botocore ecr 2015-09-21); Amazon Inspector uses
 * free text (INFORMATIONAL … CRITICAL, UNTRIAGED), mapped here onto the same six levels.
 */

export const SCAN_SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational', 'undefined'] as const;
export type ScanSeverity = (typeof SCAN_SEVERITIES)[number];

export type SeverityCounts = Record<ScanSeverity, number>;

export const zeroCounts = (): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  informational: 0,
  undefined: 0,
});

/** 0 for critical, 5 for undefined: sort ascending for worst first. */
export const severityRank = (severity: ScanSeverity): number => SCAN_SEVERITIES.indexOf(severity);

/** `CRITICAL` → critical; Inspector's UNTRIAGED and anything unknown → undefined. */
export function toScanSeverity(text: string | undefined): ScanSeverity {
  const lower = (text ?? '').trim().toLowerCase();
  return (SCAN_SEVERITIES as readonly string[]).includes(lower) ? (lower as ScanSeverity) : 'undefined';
}

/** The worst severity with a non-zero count, or undefined when every count is zero. */
export function worstSeverity(counts: SeverityCounts): ScanSeverity | undefined {
  return SCAN_SEVERITIES.find((s) => counts[s] > 0);
}

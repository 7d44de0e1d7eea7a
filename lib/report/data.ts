/** What every report format renders: one audit's findings, their summary and, with a baseline, the delta. */
import {
  computeDelta,
  trackFindings,
  type AuditDelta,
  type PreviousReport,
  type TrackedFinding,
} from '../policy/delta';
import type { AuditSummary } from '../policy/findings';

export interface ReportData {
  accountId: string;
  region: string;
  generatedAt: string;
  /** Worst first; open findings carry `firstSeen`. */
  findings: TrackedFinding[];
  summary: AuditSummary;
  delta?: AuditDelta;
}

/**
 * The `--format json` document. It is also the next audit's `--baseline`: `accountId`, `region`, `generatedAt`
 * and each open finding's `firstSeen` are what the delta reads back.
 */
export function reportJson(data: ReportData): string {
  const document = {
    accountId: data.accountId,
    region: data.region,
    generatedAt: data.generatedAt,
    findings: data.findings,
    summary: data.summary,
    ...(data.delta ? { delta: data.delta } : {}),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The report of an audit, with `firstSeen` on its open findings and, given an earlier report, the delta. */
export function buildReportData(
  report: Omit<ReportData, 'delta'>,
  previous: PreviousReport | undefined,
  options: { evaluatedRules?: ReadonlySet<string> } = {},
): ReportData {
  const now = new Date(report.generatedAt);
  const scope = { accountId: report.accountId, region: report.region };
  return {
    accountId: report.accountId,
    region: report.region,
    generatedAt: report.generatedAt,
    findings: trackFindings(report.findings, previous, { now, scope }),
    summary: report.summary,
    ...(previous
      ? {
          delta: computeDelta(previous, report.findings, {
            now,
            scope,
            ...(options.evaluatedRules ? { evaluatedRules: options.evaluatedRules } : {}),
          }),
        }
      : {}),
  };
}

/**
 * The findings as CSV (RFC 4180): a header row, one row per finding, CRLF line ends, every field quoted.
 * Findings hold names and messages from the account, so a cell that a spreadsheet would read as a formula
 * (starting with =, +, -, @, a tab or a carriage return) is prefixed with a single quote, as OWASP recommends.
 */
import { findingKey, isOpen } from '../policy/delta';
import { resourceName } from '../policy/notifications';
import type { ReportData } from './data';
import { exemptionReason, remediationHint } from './hints';

export const CSV_COLUMNS = [
  'accountId',
  'region',
  'status',
  'severity',
  'ruleId',
  'resourceType',
  'resourceName',
  'resourceArn',
  'message',
  'remediable',
  'remediation',
  'exemptionReason',
  'notes',
  'firstSeen',
  'change',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: quoted, inner quotes doubled, formula-looking text made inert. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function renderCsv(data: ReportData): string {
  const scope = { accountId: data.accountId, region: data.region };
  const isNew = new Set((data.delta?.newFindings ?? []).map((e) => findingKey(e, scope)));
  const stillOpen = new Set((data.delta?.stillOpen ?? []).map((e) => findingKey(e, scope)));
  const change = (key: string) => (isNew.has(key) ? 'new' : stillOpen.has(key) ? 'still-open' : '');
  const rows = data.findings.map((f) => {
    const record: Record<(typeof CSV_COLUMNS)[number], string> = {
      accountId: f.accountId ?? data.accountId,
      region: f.region ?? data.region,
      status: f.status,
      severity: f.severity,
      ruleId: f.ruleId,
      resourceType: f.resourceType,
      resourceName: resourceName(f.resourceArn),
      resourceArn: f.resourceArn,
      message: f.message,
      remediable: String(f.remediable),
      remediation: f.status === 'compliant' ? '' : remediationHint(f.ruleId),
      exemptionReason: exemptionReason(f),
      notes: (f.notes ?? []).join('; '),
      firstSeen: f.firstSeen ?? '',
      change: data.delta && isOpen(f) ? change(findingKey(f, scope)) : '',
    };
    return CSV_COLUMNS.map((c) => csvField(record[c])).join(',');
  });
  return [CSV_COLUMNS.map(csvField).join(','), ...rows].map((line) => `${line}\r\n`).join('');
}

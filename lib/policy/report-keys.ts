/**
 * Where the scheduled audit keeps its reports in the reports bucket: one prefix per account, region and audit
 * time, so that the reports of one account sort by time and a lifecycle rule can expire them. Pure.
 */

/** S3's limit on an object key: 1,024 bytes of UTF-8. */
export const REPORT_KEY_MAX_BYTES = 1024;

/** Why `key` is not an object key the reports bucket takes, or undefined. */
export function reportKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'an object key must not be empty';
  const bytes = new TextEncoder().encode(key).length;
  if (bytes > REPORT_KEY_MAX_BYTES) {
    return `an object key is at most ${REPORT_KEY_MAX_BYTES} bytes of UTF-8 (this one is ${bytes})`;
  }
  if (key.startsWith('/')) return 'an object key must not start with /';
  return undefined;
}

/** `2026-11-25T12:00:00.000Z` → `20261125T120000Z`: sorts as the time does, and needs no escaping. */
export function compactTime(iso: string): string {
  return iso.replace(/\.\d+(?=Z$)/, '').replace(/[-:]/g, '');
}

/** The keys of one audit's HTML report and JSON findings. */
export function auditReportKeys(
  accountId: string,
  region: string,
  generatedAt: string,
): { html: string; json: string } {
  const prefix = `audits/${accountId}/${region}/${compactTime(generatedAt)}`;
  return { html: `${prefix}/report.html`, json: `${prefix}/findings.json` };
}

/** Human-readable output: the findings table and progress lines. */
import type { Finding } from '../policy/findings';
import type { AuditReport } from '../usecases/audit';
import type { AuditProgress } from '../usecases/audit';
import { resourceName } from '../policy/notifications';
import type { Io } from './framework';

function table(rows: string[][], maxWidths: number[]): string {
  const widths = rows[0]!.map((_, c) =>
    Math.min(maxWidths[c] ?? 80, Math.max(...rows.map((r) => (r[c] ?? '').length))),
  );
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function findingsTable(report: AuditReport, options: { showCompliant: boolean }): string {
  const shown: Finding[] = report.findings.filter((f) => options.showCompliant || f.status !== 'compliant');
  const s = report.summary;
  const header = `Account ${report.accountId} (${report.region}) — ${s.resources.repositories} repositories, ${s.resources.projects} projects, ${s.resources.roles} roles`;
  const totals = `${s.byStatus.violation} violations, ${s.byStatus['not-visible']} not visible, ${s.byStatus.exempt} exempt, ${s.byStatus.compliant} compliant`;
  if (shown.length === 0) return `${header}\n\nNo findings to show.\n\n${totals}\n`;
  const rows = [
    ['STATUS', 'SEVERITY', 'RULE', 'RESOURCE', 'FIX', 'MESSAGE'],
    ...shown.map((f) => [
      f.status,
      f.severity,
      f.ruleId,
      resourceName(f.resourceArn),
      f.remediable ? 'auto' : '-',
      f.message,
    ]),
  ];
  return `${header}\n\n${table(rows, [11, 8, 32, 40, 4, 200])}\n\n${totals}\n`;
}

/** Progress on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
export function progressReporter(io: Io): (p: AuditProgress) => void {
  let lastDecile = -1;
  return (p) => {
    if (p.phase === 'repository-read') {
      if (io.stderrIsTty) {
        io.stderr(`\rreading repositories ${p.done}/${p.total}${p.done === p.total ? '\n' : ''}`);
        return;
      }
      const decile = Math.floor((p.done / Math.max(1, p.total)) * 10);
      if (decile !== lastDecile || p.done === p.total) {
        lastDecile = decile;
        io.stderr(`reading repositories ${p.done}/${p.total}\n`);
      }
      return;
    }
    if (p.phase === 'repositories-listed') io.stderr(`listed ${p.count} repositories\n`);
    if (p.phase === 'projects-listed') io.stderr(`listed ${p.count} projects\n`);
    if (p.phase === 'roles-read') io.stderr(`read ${p.count} roles\n`);
  };
}

/**
 * A SIMULATED AWS Security Hub holding the findings imported into it, in memory, with the import semantics the
 * Security Hub user guide gives BatchImportFindings: a finding is created when its `Id` is new and replaced
 * when it exists, except its `Workflow`, which only customers change (BatchUpdateFindings, here
 * `updateWorkflow`) — it is NEW when the finding is created, and set back to NEW from NOTIFIED or RESOLVED
 * when an archived finding becomes active again or a passed one no longer passes. An update whose `UpdatedAt` is older than the
 * stored one changes nothing. Calls are counted at most 100 findings each, as the adapter sends them.
 */
import type { AsffFinding } from '../policy/asff';
import type { ImportFailure, SecurityHubPublisher } from '../ports';

export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
export type StoredFinding = Omit<AsffFinding, 'Workflow'> & { Workflow: { Status: WorkflowStatus } };

const IMPORT_BATCH_MAX = 100;

export class SandboxSecurityHub implements SecurityHubPublisher {
  readonly findings = new Map<string, StoredFinding>();

  /** @param call counts one simulated API call (and raises an injected fault) */
  constructor(private readonly call: (action: string) => Promise<void> = async () => {}) {}

  async importFindings(
    findings: readonly AsffFinding[],
  ): Promise<{ imported: number; failed: ImportFailure[] }> {
    for (let start = 0; start < findings.length; start += IMPORT_BATCH_MAX) {
      await this.call('securityhub:BatchImportFindings');
      for (const finding of findings.slice(start, start + IMPORT_BATCH_MAX)) this.import(finding);
    }
    return { imported: findings.length, failed: [] };
  }

  private import(finding: AsffFinding): void {
    const stored = this.findings.get(finding.Id);
    const { Workflow: _ignored, ...fields } = structuredClone(finding);
    if (!stored) {
      this.findings.set(finding.Id, { ...fields, Workflow: { Status: finding.Workflow?.Status ?? 'NEW' } });
      return;
    }
    if (Date.parse(finding.UpdatedAt) < Date.parse(stored.UpdatedAt)) return;
    const reactivated =
      (stored.RecordState === 'ARCHIVED' && finding.RecordState === 'ACTIVE') ||
      (stored.Compliance.Status === 'PASSED' && finding.Compliance.Status !== 'PASSED');
    const status =
      reactivated && (stored.Workflow.Status === 'NOTIFIED' || stored.Workflow.Status === 'RESOLVED')
        ? 'NEW'
        : stored.Workflow.Status;
    this.findings.set(finding.Id, { ...fields, Workflow: { Status: status } });
  }

  /** What a person does in the console (BatchUpdateFindings): sets a finding's workflow status. */
  updateWorkflow(id: string, status: WorkflowStatus): void {
    const stored = this.findings.get(id);
    if (!stored) throw new Error(`no finding ${id}`);
    stored.Workflow = { Status: status };
  }
}

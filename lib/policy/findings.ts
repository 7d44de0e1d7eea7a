/** Findings: what a guardrail rule concludes about one resource. Field names are part of the CLI/JSON interface. */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES = ['violation', 'not-visible', 'exempt', 'compliant'] as const;
export type FindingStatus = (typeof STATUSES)[number];

export type ResourceType =
  | 'AWS::ECR::Repository'
  | 'AWS::CodeBuild::Project'
  | 'AWS::IAM::Role'
  // An account-region the organization-wide audit could not audit (lib/usecases/organization-audit.ts).
  | 'AWS::Organizations::Account'
  // Registry-level resources: their resourceArn is a buildwarden identifier (registry-settings.ts).
  | 'AWS::ECR::ReplicationConfiguration'
  | 'AWS::ECR::RegistryPolicy'
  | 'AWS::ECR::PullThroughCacheRule'
  | 'AWS::ECR::RepositoryCreationTemplate';

export interface Finding {
  ruleId: string;
  resourceType: ResourceType;
  resourceArn: string;
  status: FindingStatus;
  severity: Severity;
  message: string;
  /** True when buildwarden knows a safe automatic fix for this violation (independent of the rule's mode). */
  remediable: boolean;
  /** Rule-specific facts a person or a remediation plan needs (missing actions, offending statements …). */
  details?: Record<string, unknown>;
  /** Remarks about how the finding was judged, e.g. an exemption tag naming no rule. */
  notes?: string[];
  /** The account and region of the resource, when a report spans several; else those of the report. */
  accountId?: string;
  region?: string;
}

export interface AuditSummary {
  resources: { repositories: number; projects: number; roles: number };
  findings: number;
  byStatus: Record<FindingStatus, number>;
  byRule: Record<string, Record<FindingStatus, number>>;
}

function zeroCounts(): Record<FindingStatus, number> {
  return { violation: 0, 'not-visible': 0, exempt: 0, compliant: 0 };
}

export function summarize(findings: readonly Finding[], resources: AuditSummary['resources']): AuditSummary {
  const byStatus = zeroCounts();
  const byRule: Record<string, Record<FindingStatus, number>> = {};
  for (const f of findings) {
    byStatus[f.status] += 1;
    (byRule[f.ruleId] ??= zeroCounts())[f.status] += 1;
  }
  return { resources, findings: findings.length, byStatus, byRule };
}

const severityRank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const statusRank: Record<FindingStatus, number> = { violation: 0, 'not-visible': 1, exempt: 2, compliant: 3 };

/** Worst first: violations before the rest, then by severity, rule and resource, so output is stable. */
export function compareFindings(
  a: Pick<Finding, 'status' | 'severity' | 'ruleId' | 'resourceArn'>,
  b: Pick<Finding, 'status' | 'severity' | 'ruleId' | 'resourceArn'>,
): number {
  return (
    statusRank[a.status] - statusRank[b.status] ||
    severityRank[a.severity] - severityRank[b.severity] ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceArn.localeCompare(b.resourceArn)
  );
}

/**
 * What the reports say about each finding besides its message: the rule's remediation hint and, for an exempt
 * finding, why it is exempt. The hint is the rule's `recommendation` in the registry.
 */
import type { Finding } from '../policy/findings';
import { RULES } from '../policy/rules/index';

/** The rule's remediation hint ('' for a rule this build does not know, e.g. from a newer report). */
export function remediationHint(ruleId: string): string {
  return RULES.find((rule) => rule.id === ruleId)?.recommendation ?? '';
}

/** Why an exempt finding is exempt (the tag or the config exemption's reason), else ''. */
export function exemptionReason(finding: Pick<Finding, 'status' | 'details'>): string {
  const reason = finding.details?.exemption;
  return finding.status === 'exempt' && typeof reason === 'string' ? reason : '';
}

/** Exemptions: by resource tag `buildwarden:exempt` (rule ids, comma-separated, or `*`) and by name pattern. */
import type { Guardrails, RuleId } from './guardrails';
import { matchesAny } from './wildcard';

export const EXEMPT_TAG = 'buildwarden:exempt';

export interface ExemptionTarget {
  /** Roles have no name patterns in the config: only their tag (or their projects, see evaluate.ts) exempts them. */
  kind: 'repository' | 'project' | 'role';
  name: string;
  /** The value of the resource's `buildwarden:exempt` tag, if any. */
  exemptTag?: string;
}

/** Why a resource is exempt from a rule, or undefined when it is not. */
export function exemptionFor(
  target: ExemptionTarget,
  ruleId: RuleId,
  guardrails: Guardrails,
): string | undefined {
  if (target.exemptTag !== undefined) {
    const ids = target.exemptTag.split(',').map((s) => s.trim());
    if (ids.includes('*') || ids.includes(ruleId)) {
      return `${target.kind === 'role' ? 'role tag' : 'tag'} ${EXEMPT_TAG}=${target.exemptTag}`;
    }
  }
  if (target.kind === 'role') return undefined;
  for (const exemption of guardrails.exemptions) {
    if (!exemption.rules.includes('*') && !exemption.rules.includes(ruleId)) continue;
    const patterns = target.kind === 'repository' ? exemption.repositories : exemption.projects;
    if (matchesAny(target.name, patterns)) return `config exemption: ${exemption.reason}`;
  }
  return undefined;
}

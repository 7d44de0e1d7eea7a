/**
 * Exemptions: by resource tag `buildwarden:exempt` (rule ids, or `*`) and by name pattern.
 *
 * Tag value syntax: rule ids in any letter case, separated by commas, spaces or `+` (CodeBuild and IAM tag
 * values cannot hold commas), or `*` for every rule. A token that names no rule exempts nothing and is reported
 * as a note on the resource's findings, so a typo never silently widens or narrows an exemption unnoticed.
 */
import type { Guardrails, RuleId } from './guardrails';
import { RULE_IDS } from './rules/index';
import { matchesAny } from './wildcard';

export const EXEMPT_TAG = 'buildwarden:exempt';

export interface ExemptionTarget {
  /** Roles have no name patterns in the config: only their tag (or their projects, see evaluate.ts) exempts them. */
  kind: 'repository' | 'project' | 'role';
  name: string;
  /** The value of the resource's `buildwarden:exempt` tag, if any. */
  exemptTag?: string;
}

/** What an exemption tag value says: every rule, the rules it names, and the tokens that name no rule. */
export interface ExemptTag {
  all: boolean;
  rules: ReadonlySet<RuleId>;
  notUnderstood: string[];
}

const TAG_SEPARATORS = /[\s,+]+/;
const RULES_BY_LOWER_CASE = new Map<string, RuleId>(RULE_IDS.map((id) => [id.toLowerCase(), id]));

export function parseExemptTag(value: string): ExemptTag {
  const rules = new Set<RuleId>();
  const notUnderstood: string[] = [];
  let all = false;
  for (const token of value.split(TAG_SEPARATORS)) {
    if (token === '') continue;
    if (token === '*') {
      all = true;
      continue;
    }
    const id = RULES_BY_LOWER_CASE.get(token.toLowerCase());
    if (id) rules.add(id);
    else if (!notUnderstood.includes(token)) notUnderstood.push(token);
  }
  return { all, rules, notUnderstood };
}

/** Notes for the findings of a resource whose exemption tag names something that is not a rule. */
export function exemptTagNotes(exemptTag: string | undefined): string[] {
  if (exemptTag === undefined) return [];
  return parseExemptTag(exemptTag).notUnderstood.map((token) => `exemption tag not understood: ${token}`);
}

/** Why a resource is exempt from a rule, or undefined when it is not. */
export function exemptionFor(
  target: ExemptionTarget,
  ruleId: RuleId,
  guardrails: Guardrails,
): string | undefined {
  if (target.exemptTag !== undefined) {
    const tag = parseExemptTag(target.exemptTag);
    if (tag.all || tag.rules.has(ruleId)) {
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

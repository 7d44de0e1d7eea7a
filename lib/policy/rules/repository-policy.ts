/**
 * `ecr.repository-policy`: which statements of a repository policy open the repository to the world or to
 * accounts outside the allowlist. Used by the audit rule and by remediation (remove only those statements).
 */

export interface OffendingStatement {
  index: number;
  sid?: string;
  reason: string;
}

type Statement = Record<string, unknown>;

/** Condition keys that pin a `*` principal to an account or organization. Compared case-insensitively. */
const SCOPING_KEYS = [
  'aws:sourceaccount',
  'aws:principalaccount',
  'aws:resourceaccount',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
];

export function statementsOf(document: unknown): Statement[] {
  if (!document || typeof document !== 'object') return [];
  const raw = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((s): s is Statement => !!s && typeof s === 'object');
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** Account id of an AWS principal: `123456789012`, `arn:aws:iam::123456789012:root|role/…|user/…`. */
function principalAccount(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

/** The values a condition gives to the scoping keys, e.g. `{ 'aws:principalorgid': ['o-abc…'] }`. */
function scopingConditionValues(condition: unknown): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (!condition || typeof condition !== 'object') return found;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    // Negated and IfExists operators do not restrict who may call.
    if (/^(StringNot|ArnNot)|IfExists$/i.test(operator) || !block || typeof block !== 'object') continue;
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      const k = key.toLowerCase();
      if (SCOPING_KEYS.includes(k)) found.set(k, asArray(value).map(String));
    }
  }
  return found;
}

export interface RepositoryPolicyOptions {
  ownAccountId: string;
  allowedAccounts: readonly string[];
  allowedOrganizations: readonly string[];
}

/** Allow statements that grant to `*` without an account/org scope, or to an account not allowed. */
export function findOffendingStatements(
  document: unknown,
  options: RepositoryPolicyOptions,
): OffendingStatement[] {
  const trusted = new Set([options.ownAccountId, ...options.allowedAccounts]);
  const offending: OffendingStatement[] = [];
  statementsOf(document).forEach((statement, index) => {
    if (statement.Effect !== 'Allow') return;
    const sid = typeof statement.Sid === 'string' ? statement.Sid : undefined;
    const push = (reason: string) => offending.push({ index, ...(sid ? { sid } : {}), reason });
    if (statement.NotPrincipal !== undefined) {
      push('Allow with NotPrincipal grants access to every principal not listed');
      return;
    }
    const principal = statement.Principal;
    const aws: string[] =
      principal === '*'
        ? ['*']
        : principal && typeof principal === 'object'
          ? asArray((principal as Record<string, unknown>).AWS).map(String)
          : [];
    if (aws.includes('*')) {
      const scope = scopingConditionValues(statement.Condition);
      const accounts = [
        ...(scope.get('aws:sourceaccount') ?? []),
        ...(scope.get('aws:principalaccount') ?? []),
      ];
      const orgs = [...(scope.get('aws:principalorgid') ?? []), ...(scope.get('aws:sourceorgid') ?? [])];
      const orgPaths = [
        ...(scope.get('aws:principalorgpaths') ?? []),
        ...(scope.get('aws:sourceorgpaths') ?? []),
      ];
      if (accounts.length > 0) {
        const outside = accounts.filter((a) => !trusted.has(a));
        if (outside.length > 0)
          push(`grants * limited to accounts outside the allowlist: ${outside.join(', ')}`);
      } else if (orgs.length > 0) {
        const outside = orgs.filter((o) => !options.allowedOrganizations.includes(o));
        if (outside.length > 0) push(`grants * limited to organizations not allowed: ${outside.join(', ')}`);
      } else if (orgPaths.length > 0) {
        const ok = orgPaths.every((p) => options.allowedOrganizations.some((o) => p.includes(`/${o}/`)));
        if (!ok) push('grants * limited to organization paths outside the allowed organizations');
      } else {
        push('grants access to * (everyone) without an account or organization condition');
      }
      return;
    }
    const outside = aws.filter((p) => {
      const account = principalAccount(p);
      return account === undefined || !trusted.has(account);
    });
    if (outside.length > 0)
      push(`grants access to principals outside the allowed accounts: ${outside.join(', ')}`);
  });
  return offending;
}

/** The policy without the given statements, or undefined when nothing is left (delete the policy then). */
export function withoutStatements(
  document: Record<string, unknown>,
  indexes: readonly number[],
): Record<string, unknown> | undefined {
  const drop = new Set(indexes);
  const kept = statementsOf(document).filter((_, i) => !drop.has(i));
  return kept.length === 0 ? undefined : { ...document, Statement: kept };
}

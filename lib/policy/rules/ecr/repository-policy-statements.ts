/**
 * `ecr.repository-policy`: which Allow statements of a repository policy grant access outside the allowed
 * accounts and organizations, and which of them remediation may remove. It fails closed: a statement is
 * accepted only when its Principal or its Condition proves who it grants.
 *
 * Allowed: the repository's own account and `allowedAccounts`; the account's own organization and
 * `allowedOrganizations`, except `deniedOrganizations`.
 *
 * One Allow statement is judged so:
 * - `NotPrincipal` is always a violation (it grants every principal it does not list).
 * - A Principal naming only AWS principals of allowed accounts (account ids, `arn:…:iam::<account>:…`,
 *   `arn:…:sts::<account>:…`) is accepted; service and federated principals grant no account.
 * - `*` (or `{"AWS": "*"}`), or a principal of another account, needs a Condition that proves the statement
 *   limited. A condition is *understood* only in these forms, operator names compared case-sensitively (as
 *   IAM does), keys case-insensitively:
 *     operator `StringEquals`, `StringLike`, `ArnEquals` or `ArnLike`, optionally prefixed `ForAnyValue:`
 *     (never `ForAllValues:`, never `…IfExists`), on `aws:PrincipalAccount`, `aws:SourceAccount`,
 *     `aws:PrincipalArn`, `aws:SourceArn`, `aws:PrincipalOrgID`, `aws:SourceOrgID`, `aws:PrincipalOrgPaths`
 *     or `aws:SourceOrgPaths`, with string (or number) values.
 *   Any other condition — a negated operator, `…IfExists`, `ForAllValues:`, `Null`, `Bool`, another key,
 *   a malformed block — cannot be proven: the statement is a violation ("cannot prove this statement is
 *   limited: <operator> <key>"), whatever else the block says.
 *   When every condition is understood, the block is their conjunction (AND): the statement is accepted when
 *   at least one condition allows only values inside the allowed set.
 * - A value is inside the allowed set when it names an allowed account or organization by a fixed prefix
 *   that wildcards (`*`, `?`) and policy variables (`${…}`) cannot change: an account id exactly; an ARN whose
 *   account segment is an allowed account with nothing variable before it (under the Arn operators, which
 *   compare segment by segment, partition, service and region may hold wildcards); an organization id
 *   exactly; an organization path (`o-…/r-…/ou-…/`) whose first segment, up to its `/`, is an allowed
 *   organization. So `arn:aws:iam::<own>:role/*` is inside, `arn:aws:iam::*:role/x` is not.
 *
 * Remediation removes a violating statement only when it is open or names accounts outside the allowlist.
 * A statement limited to organizations (an understood organization condition with fixed values) is removed only
 * when one of them is in `deniedOrganizations`, or, with `removeUnknownOrganizations: true`, when one of them
 * is neither the own nor an allowed organization and the own organization is known. A statement limited to
 * allowed accounts that also carries a condition buildwarden cannot prove is left in place as well: removing
 * it could only take access away from allowed accounts. Every statement left in place says why.
 */

export interface OffendingStatement {
  index: number;
  sid?: string;
  reason: string;
  /** Whether remediation may remove the statement. */
  removable: boolean;
  /** Why a statement that violates the rule is left in place. */
  keptBecause?: string;
  /** The organizations an organization-limited statement is limited to. */
  organizations?: string[];
}

type Statement = Record<string, unknown>;

/** What the rule's message says counts as limiting a `*` principal. */
export const LIMITING_CONDITIONS =
  'a * principal counts as limited only by StringEquals, StringLike, ArnEquals or ArnLike (optionally ' +
  'ForAnyValue:, never IfExists) on aws:PrincipalAccount, aws:SourceAccount, aws:PrincipalArn, aws:SourceArn, ' +
  'aws:PrincipalOrgID, aws:SourceOrgID, aws:PrincipalOrgPaths or aws:SourceOrgPaths, with every value inside ' +
  'the allowed accounts and organizations, and by no condition buildwarden cannot evaluate';

const OPERATORS = ['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'] as const;
const SET_OPERATOR = 'ForAnyValue:';

type KeyFamily = 'account' | 'arn' | 'organization' | 'organization-path';
const KEY_FAMILIES: Record<string, KeyFamily> = {
  'aws:principalaccount': 'account',
  'aws:sourceaccount': 'account',
  'aws:principalarn': 'arn',
  'aws:sourcearn': 'arn',
  'aws:principalorgid': 'organization',
  'aws:sourceorgid': 'organization',
  'aws:principalorgpaths': 'organization-path',
  'aws:sourceorgpaths': 'organization-path',
};

/** Characters that make a condition value match more than itself: wildcards and policy variables. */
const VARIABLE = /[*?$]/;

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

/** One understood condition: which accounts or organizations its values pin (undefined: not a fixed one). */
interface UnderstoodCondition {
  operator: string;
  key: string;
  family: 'account' | 'organization';
  values: string[];
  /** Per value, the account or organization it is limited to; undefined when a wildcard or variable decides. */
  scopes: (string | undefined)[];
}

interface ConditionAnalysis {
  /** `<operator> <key>` of every condition that cannot be proven. */
  unprovable: string[];
  understood: UnderstoodCondition[];
}

/** The account or organization a value is pinned to, or undefined when it is not pinned to a fixed one. */
function scopeOf(family: KeyFamily, value: string, arnOperator: boolean): string | undefined {
  switch (family) {
    case 'account':
    case 'organization':
      return VARIABLE.test(value) ? undefined : value;
    case 'organization-path': {
      const slash = value.indexOf('/');
      const variable = value.search(VARIABLE);
      if (slash <= 0 || (variable >= 0 && variable < slash)) return undefined;
      return value.slice(0, slash);
    }
    case 'arn': {
      const segments = value.split(':');
      if (segments.length < 6 || segments[0] !== 'arn') return undefined;
      const account = segments[4]!;
      if (VARIABLE.test(account) || /\$/.test(segments.slice(1, 4).join(':'))) return undefined;
      // String operators let `*` span colons: nothing before the account may be a wildcard.
      if (!arnOperator && VARIABLE.test(segments.slice(1, 4).join(':'))) return undefined;
      return account;
    }
  }
}

function analyseCondition(condition: unknown): ConditionAnalysis {
  const analysis: ConditionAnalysis = { unprovable: [], understood: [] };
  if (condition === undefined) return analysis;
  if (!condition || typeof condition !== 'object' || Array.isArray(condition)) {
    analysis.unprovable.push('Condition (not an object)');
    return analysis;
  }
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!block || typeof block !== 'object' || Array.isArray(block)) {
      analysis.unprovable.push(`${operator} (not an object)`);
      continue;
    }
    const base = operator.startsWith(SET_OPERATOR) ? operator.slice(SET_OPERATOR.length) : operator;
    const knownOperator = (OPERATORS as readonly string[]).includes(base);
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      const family = KEY_FAMILIES[key.toLowerCase()];
      const values = asArray(raw);
      const wellFormed =
        values.length > 0 && values.every((v) => typeof v === 'string' || typeof v === 'number');
      if (!knownOperator || !family || !wellFormed) {
        analysis.unprovable.push(`${operator} ${key}`);
        continue;
      }
      const texts = values.map(String);
      analysis.understood.push({
        operator,
        key,
        family: family === 'account' || family === 'arn' ? 'account' : 'organization',
        values: texts,
        scopes: texts.map((v) => scopeOf(family, v, base.startsWith('Arn'))),
      });
    }
  }
  return analysis;
}

export interface RepositoryPolicyOptions {
  ownAccountId: string;
  allowedAccounts: readonly string[];
  allowedOrganizations: readonly string[];
  /** Organizations never allowed; statements limited to them are removed by remediation. */
  deniedOrganizations?: readonly string[];
  /** Remediation also removes statements limited to organizations neither own nor allowed. */
  removeUnknownOrganizations?: boolean;
  /** The account's own organization: its id, null when the account is in none, undefined when unknown. */
  ownOrganizationId?: string | null;
  /** Why the own organization is unknown (when `ownOrganizationId` is undefined). */
  ownOrganizationUnknown?: string;
}

class Judge {
  private readonly accounts: Set<string>;
  private readonly organizations: Set<string>;
  private readonly denied: Set<string>;

  constructor(private readonly options: RepositoryPolicyOptions) {
    this.accounts = new Set([options.ownAccountId, ...options.allowedAccounts]);
    this.denied = new Set(options.deniedOrganizations ?? []);
    this.organizations = new Set(
      [
        ...options.allowedOrganizations,
        ...(options.ownOrganizationId ? [options.ownOrganizationId] : []),
      ].filter((o) => !this.denied.has(o)),
    );
  }

  private allowed(condition: UnderstoodCondition, scope: string | undefined): boolean {
    if (scope === undefined) return false;
    return condition.family === 'account' ? this.accounts.has(scope) : this.organizations.has(scope);
  }

  private inside(condition: UnderstoodCondition): boolean {
    return condition.scopes.every((scope) => this.allowed(condition, scope));
  }

  private get ownOrganizationNote(): string {
    if (this.options.ownOrganizationId !== undefined) return '';
    return ` (the account's own organization could not be determined: ${this.options.ownOrganizationUnknown ?? 'it was not read'})`;
  }

  /** What the understood conditions allow outside the allowed set, one clause per condition. */
  private outside(understood: UnderstoodCondition[]): string {
    return understood
      .map((c) => {
        const loose = c.values.filter((_, i) => c.scopes[i] === undefined);
        if (loose.length > 0) {
          const what = c.family === 'account' ? 'accounts' : 'organizations';
          return `${c.key} allows values that are not fixed ${what}: ${loose.join(', ')}`;
        }
        const names = [...new Set(c.scopes.filter((s): s is string => !this.allowed(c, s)))];
        return c.family === 'account'
          ? `limited to accounts outside the allowlist: ${names.join(', ')}`
          : `limited to organizations not allowed: ${names.join(', ')}${this.ownOrganizationNote}`;
      })
      .join('; ');
  }

  /**
   * Whether remediation may remove a violating statement, from what its conditions pin it to.
   * `namesOutsideAccounts`: the statement grants accounts outside the allowlist (or any account), not merely
   * something buildwarden cannot prove.
   */
  private removal(
    analysis: ConditionAnalysis,
    namesOutsideAccounts: boolean,
  ): Pick<OffendingStatement, 'removable' | 'keptBecause' | 'organizations'> {
    const organizationLimits = analysis.understood.filter(
      (c) => c.family === 'organization' && c.scopes.every((s) => s !== undefined),
    );
    if (organizationLimits.length > 0) {
      const organizations = [...new Set(organizationLimits.flatMap((c) => c.scopes as string[]))];
      const denied = organizations.filter((o) => this.denied.has(o));
      if (denied.length > 0) return { removable: true, organizations };
      const unknown = organizations.filter((o) => !this.organizations.has(o));
      const ownKnown = this.options.ownOrganizationId !== undefined;
      if (this.options.removeUnknownOrganizations === true && unknown.length > 0 && ownKnown) {
        return { removable: true, organizations };
      }
      const why =
        unknown.length === 0
          ? 'every one of them is allowed; review its other conditions by hand'
          : this.options.removeUnknownOrganizations === true
            ? `removeUnknownOrganizations is set, but the account's own organization could not be determined, so ${unknown.join(', ')} may be it`
            : 'organization-limited statements are removed only when the organization is in deniedOrganizations or removeUnknownOrganizations is true';
      return {
        removable: false,
        organizations,
        keptBecause: `it is limited to ${organizations.length > 1 ? 'organizations' : 'organization'} ${organizations.join(', ')}; ${why}`,
      };
    }
    const accountLimited = analysis.understood.some((c) => c.family === 'account' && this.inside(c));
    if (accountLimited && !namesOutsideAccounts) {
      return {
        removable: false,
        keptBecause: 'its condition limits it to allowed accounts; review the rest of it by hand',
      };
    }
    return { removable: true };
  }

  /** The violation of one Allow statement, or undefined when it is accepted. */
  judge(statement: Statement): Omit<OffendingStatement, 'index' | 'sid'> | undefined {
    const analysis = analyseCondition(statement.Condition);
    const proven = analysis.unprovable.length === 0 && analysis.understood.some((c) => this.inside(c));
    const cannotProve =
      analysis.unprovable.length > 0
        ? `cannot prove this statement is limited: ${analysis.unprovable.join(', ')}`
        : undefined;
    if (statement.NotPrincipal !== undefined) {
      const reason = 'Allow with NotPrincipal grants access to every principal not listed';
      return { reason: cannotProve ? `${reason}; ${cannotProve}` : reason, ...this.removal(analysis, false) };
    }
    const principal = statement.Principal;
    const aws: string[] =
      principal === '*'
        ? ['*']
        : principal && typeof principal === 'object'
          ? asArray((principal as Record<string, unknown>).AWS).map(String)
          : [];
    if (aws.includes('*')) {
      if (proven) return undefined;
      if (
        statement.Condition === undefined ||
        (analysis.unprovable.length === 0 && analysis.understood.length === 0)
      ) {
        return {
          reason: 'grants access to * (everyone) without an account or organization condition',
          removable: true,
        };
      }
      const reason = cannotProve ?? `grants * ${this.outside(analysis.understood)}`;
      const namesOutside = analysis.understood.some(
        (c) => c.family === 'account' && c.scopes.some((s) => s !== undefined && !this.accounts.has(s)),
      );
      return { reason, ...this.removal(analysis, namesOutside || !cannotProve) };
    }
    const outside = aws.filter((p) => {
      const account = principalAccount(p);
      return account === undefined || !this.accounts.has(account);
    });
    if (outside.length === 0 || proven) return undefined;
    const reason = `grants access to principals outside the allowed accounts: ${outside.join(', ')}`;
    return { reason: cannotProve ? `${reason}; ${cannotProve}` : reason, ...this.removal(analysis, true) };
  }
}

/** Allow statements that grant outside the allowed accounts and organizations, or cannot be proven not to. */
export function findOffendingStatements(
  document: unknown,
  options: RepositoryPolicyOptions,
): OffendingStatement[] {
  const judge = new Judge(options);
  const offending: OffendingStatement[] = [];
  statementsOf(document).forEach((statement, index) => {
    if (statement.Effect !== 'Allow') return;
    const verdict = judge.judge(statement);
    if (!verdict) return;
    const sid = typeof statement.Sid === 'string' ? statement.Sid : undefined;
    offending.push({ index, ...(sid ? { sid } : {}), ...verdict });
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

/**
 * IAM policy statements in one shape: `Statement` may be an object or an array, and Action, NotAction,
 * Resource, NotResource and the values of Principal/NotPrincipal and Condition may each be a string or an
 * array. Everything downstream (the evaluator, the role rules) reads `NormalizedStatement`s only.
 *
 * A document IAM itself would reject (no Statement, an Effect other than Allow/Deny, both Action and
 * NotAction …) raises `InvalidPolicyError` naming the policy and statement: buildwarden never guesses
 * what a broken policy was meant to say.
 */
import type { PolicyDocument } from '../model';

export type Effect = 'Allow' | 'Deny';

/** `*`, or principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) to its values. */
export type PrincipalElement = '*' | Readonly<Record<string, readonly string[]>>;

export interface ConditionEntry {
  /** As written, e.g. `StringEquals`, `ForAnyValue:StringLike`, `ArnLikeIfExists`. */
  operator: string;
  /** As written; IAM compares condition keys case-insensitively. */
  key: string;
  values: string[];
}

export interface NormalizedStatement {
  /** Position in the document's Statement list (0-based; 0 for a single statement object). */
  index: number;
  sid?: string;
  effect: Effect;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principal?: PrincipalElement;
  notPrincipal?: PrincipalElement;
  conditions: ConditionEntry[];
  /** The document is Version 2012-10-17, the only version in which `${…}` policy variables are expanded. */
  policyVariables: boolean;
}

/** A policy document IAM would refuse; `problems` names each offending statement. */
export class InvalidPolicyError extends Error {
  constructor(
    readonly policy: string,
    readonly problems: string[],
  ) {
    super(`policy ${policy} is invalid: ${problems.join('; ')}`);
    this.name = 'InvalidPolicyError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringList(value: unknown, field: string, problems: string[], where: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v): v is string => typeof v === 'string')) {
    problems.push(`${where}: ${field} must be a string or an array of strings`);
    return undefined;
  }
  return list;
}

function principalElement(
  value: unknown,
  field: string,
  problems: string[],
  where: string,
): PrincipalElement | undefined {
  if (value === undefined) return undefined;
  if (value === '*') return '*';
  if (!isRecord(value)) {
    problems.push(`${where}: ${field} must be "*" or an object`);
    return undefined;
  }
  const out: Record<string, string[]> = {};
  for (const [type, raw] of Object.entries(value)) {
    const list = stringList(raw, `${field}.${type}`, problems, where);
    if (list) out[type] = list;
  }
  return out;
}

function conditionEntries(value: unknown, problems: string[], where: string): ConditionEntry[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    problems.push(`${where}: Condition must be an object`);
    return [];
  }
  const entries: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isRecord(block)) {
      problems.push(`${where}: Condition.${operator} must be an object`);
      continue;
    }
    for (const [key, raw] of Object.entries(block)) {
      const list = Array.isArray(raw) ? raw : [raw];
      if (!list.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
        problems.push(`${where}: Condition.${operator}.${key} must hold strings, numbers or booleans`);
        continue;
      }
      entries.push({ operator, key, values: list.map(String) });
    }
  }
  return entries;
}

/**
 * The statements of `document`, normalised. `policyName` only labels errors.
 * @throws InvalidPolicyError when a statement is malformed.
 */
export function normalizeStatements(document: PolicyDocument, policyName = 'policy'): NormalizedStatement[] {
  const raw = document.Statement;
  const problems: string[] = [];
  if (raw === undefined) throw new InvalidPolicyError(policyName, ['has no Statement']);
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  const policyVariables = document.Version === '2012-10-17';
  const statements: NormalizedStatement[] = [];
  list.forEach((item, index) => {
    const where = `statement ${index}`;
    if (!isRecord(item)) {
      problems.push(`${where} is not an object`);
      return;
    }
    const before = problems.length;
    const { Sid, Effect, Action, NotAction, Resource, NotResource, Principal, NotPrincipal, Condition } =
      item;
    if (Effect !== 'Allow' && Effect !== 'Deny') problems.push(`${where}: Effect must be "Allow" or "Deny"`);
    if (Sid !== undefined && typeof Sid !== 'string') problems.push(`${where}: Sid must be a string`);
    if ((Action === undefined) === (NotAction === undefined)) {
      problems.push(`${where}: needs exactly one of Action and NotAction`);
    }
    if (Resource !== undefined && NotResource !== undefined) {
      problems.push(`${where}: has both Resource and NotResource`);
    }
    if (Principal !== undefined && NotPrincipal !== undefined) {
      problems.push(`${where}: has both Principal and NotPrincipal`);
    }
    const statement: NormalizedStatement = {
      index,
      effect: Effect as Effect,
      conditions: conditionEntries(Condition, problems, where),
      policyVariables,
    };
    if (typeof Sid === 'string' && Sid !== '') statement.sid = Sid;
    const actions = stringList(Action, 'Action', problems, where);
    const notActions = stringList(NotAction, 'NotAction', problems, where);
    const resources = stringList(Resource, 'Resource', problems, where);
    const notResources = stringList(NotResource, 'NotResource', problems, where);
    const principal = principalElement(Principal, 'Principal', problems, where);
    const notPrincipal = principalElement(NotPrincipal, 'NotPrincipal', problems, where);
    if (actions) statement.actions = actions;
    if (notActions) statement.notActions = notActions;
    if (resources) statement.resources = resources;
    if (notResources) statement.notResources = notResources;
    if (principal) statement.principal = principal;
    if (notPrincipal) statement.notPrincipal = notPrincipal;
    if (problems.length === before) statements.push(statement);
  });
  if (problems.length > 0) throw new InvalidPolicyError(policyName, problems);
  return statements;
}

/** How findings name a statement: its Sid when it has one, else `#index`. */
export function statementLabel(statement: { sid?: string; index: number }): string {
  return statement.sid ?? `#${statement.index}`;
}

/**
 * EventBridge event patterns: the subset of the pattern syntax that serverless.yml uses, implemented from the
 * EventBridge User Guide, "Event patterns" (and its "Content filtering" section). `buildwarden replay` routes
 * an event with it exactly as the deployed rules do (lib/events/routes.ts), and the deploy tests use it to
 * check which function each event file reaches. No maintained pattern-matching package exists on npm (the
 * Java/Go event-ruler has no port), so the subset is implemented and unit-tested here.
 *
 * Supported:
 * - a pattern is an object; every key must match (AND). Keys absent from the pattern are ignored.
 * - a nested object matches the event's object at that key, recursively.
 * - a leaf is an array of alternatives (OR): exact strings, numbers, booleans or null (compared with ===, so
 *   the string "5" does not match the number 5), or one of these content filters:
 *   `{ "prefix": "s" }` (strings only), `{ "anything-but": v | [v…] | { "prefix": "s" } }`
 *   (a missing field does not match), `{ "exists": true | false }`.
 * - where the event holds an array, the leaf matches if any element matches.
 * Anything else (`$or`, `suffix`, `numeric`, `cidr`, `equals-ignore-case`, `wildcard` …) throws, so a pattern
 * that outgrows this matcher fails the tests loudly instead of being matched wrongly. Matching is linear in
 * the size of the pattern and the event's matched fields (no regular expressions).
 */

export type EventPattern = { [key: string]: EventPattern | PatternLeaf[] };
type Scalar = string | number | boolean | null;
type PatternLeaf = Scalar | Record<string, unknown>;

const MISSING = Symbol('missing');

export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Does one event value (a scalar, never an array) satisfy one leaf alternative? */
function leafMatches(leaf: PatternLeaf, value: unknown, at: string): boolean {
  if (isScalar(leaf)) return value !== MISSING && value === leaf;
  const keys = Object.keys(leaf);
  if (keys.length !== 1) throw new UnsupportedPatternError(`${at}: a content filter has exactly one key`);
  const [operator] = keys as [string];
  const operand = leaf[operator];
  switch (operator) {
    case 'prefix':
      if (typeof operand !== 'string') throw new UnsupportedPatternError(`${at}: prefix takes a string`);
      return typeof value === 'string' && value.startsWith(operand);
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new UnsupportedPatternError(`${at}: exists takes true or false`);
      return operand ? value !== MISSING : value === MISSING;
    case 'anything-but': {
      if (value === MISSING) return false;
      if (isPlainObject(operand)) {
        if (Object.keys(operand).length !== 1 || typeof operand.prefix !== 'string')
          throw new UnsupportedPatternError(`${at}: anything-but supports a value, a list or { prefix }`);
        return !(typeof value === 'string' && value.startsWith(operand.prefix));
      }
      const excluded = Array.isArray(operand) ? operand : [operand];
      if (!excluded.every(isScalar))
        throw new UnsupportedPatternError(`${at}: anything-but lists scalar values`);
      return !excluded.includes(value as Scalar);
    }
    default:
      throw new UnsupportedPatternError(`${at}: content filter "${operator}" is not in the supported subset`);
  }
}

function fieldMatches(alternatives: PatternLeaf[], value: unknown, at: string): boolean {
  if (alternatives.length === 0) throw new UnsupportedPatternError(`${at}: an empty list matches nothing`);
  const values = Array.isArray(value) ? value : [value];
  // `exists: false` on an empty array: EventBridge treats an empty array as absent for matching purposes.
  if (values.length === 0) return alternatives.some((leaf) => leafMatches(leaf, MISSING, at));
  return values.some((v) => alternatives.some((leaf) => leafMatches(leaf, v, at)));
}

/** Whether `event` matches `pattern` (the subset above). */
export function matchesPattern(pattern: EventPattern, event: unknown, at = '$'): boolean {
  if (!isPlainObject(pattern)) throw new UnsupportedPatternError(`${at}: a pattern is an object`);
  return Object.entries(pattern).every(([key, expected]) => {
    if (key.startsWith('$')) throw new UnsupportedPatternError(`${at}.${key}: not in the supported subset`);
    const here = `${at}.${key}`;
    const value = isPlainObject(event) && key in event ? event[key] : MISSING;
    if (Array.isArray(expected)) return fieldMatches(expected, value, here);
    if (isPlainObject(expected)) return isPlainObject(value) && matchesPattern(expected, value, here);
    throw new UnsupportedPatternError(`${here}: expected a list of values or a nested pattern`);
  });
}

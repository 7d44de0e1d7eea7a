/**
 * Glob matching in linear time for patterns that come from account data or configuration: registry scanning
 * filters, exemption and scan-gate repository patterns, lifecycle tag patterns, IAM Action and Resource
 * elements. A RegExp built from such a pattern backtracks: `*a*a*a*a*a*a*a*a*a*a*b` against a 60-character
 * name takes minutes. This matcher never backtracks more than to the last `*` (O(n·m) at worst, n the value's
 * length and m the pattern's) and has no recursion.
 *
 * Semantics are those of the regular expressions it replaces, code unit by code unit: `*` is any run of
 * characters (including none), `?` one character when enabled, every other character literal; case-insensitive
 * comparison folds exactly as a JavaScript RegExp with the `i` flag and without `u` does; without `dotAll`,
 * wildcards do not match line terminators (as `.` without the `s` flag).
 */

export interface GlobOptions {
  /** `?` matches exactly one character (IAM); otherwise `?` is a literal question mark. */
  questionMark?: boolean;
  /** Letters compare as a RegExp with the `i` flag (and without `u`) compares them. */
  caseInsensitive?: boolean;
  /** Wildcards also match line terminators (`\n`, `\r`, U+2028, U+2029), like `.` with the `s` flag. */
  dotAll?: boolean;
  /**
   * IAM policy variables: `${*}`, `${?}` and `${$}` are those literal characters, any other `${…}` stands for
   * a value only the request knows and matches as `*` (see `Glob.hasVariable`).
   */
  policyVariables?: boolean;
}

export interface Glob {
  test(value: string): boolean;
  /** The pattern holds a policy variable, matched as `*`: a match is then only possible, not certain. */
  readonly hasVariable: boolean;
}

/** Tokens: a code unit to compare (already case-folded when case-insensitive), or a wildcard. */
const STAR = -1;
const ONE = -2;

function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

/** ECMAScript Canonicalize for a non-unicode, ignore-case RegExp: the single-unit upper case, if any. */
function canonicalize(code: number): number {
  if (code < 128) return code >= 0x61 && code <= 0x7a ? code - 32 : code;
  const upper = String.fromCharCode(code).toUpperCase();
  if (upper.length !== 1) return code;
  const folded = upper.charCodeAt(0);
  return folded < 128 ? code : folded;
}

class CompiledGlob implements Glob {
  constructor(
    private readonly tokens: Int32Array,
    readonly hasVariable: boolean,
    private readonly caseInsensitive: boolean,
    private readonly dotAll: boolean,
  ) {}

  private unit(value: string, index: number): number {
    const code = value.charCodeAt(index);
    return this.caseInsensitive ? canonicalize(code) : code;
  }

  test(value: string): boolean {
    if (!this.dotAll && /[\n\r\u2028\u2029]/.test(value)) return this.simulate(value);
    return this.greedy(value);
  }

  /**
   * The classic two-pointer match: on a mismatch, the last `*` absorbs one more character and matching
   * resumes after it. Exact when every wildcard may match every character of the value.
   */
  private greedy(value: string): boolean {
    const tokens = this.tokens;
    let t = 0;
    let v = 0;
    let star = -1;
    let starValue = 0;
    while (v < value.length) {
      const token = t < tokens.length ? tokens[t]! : undefined;
      if (token === STAR) {
        star = t;
        starValue = v;
        t += 1;
      } else if (token !== undefined && (token === ONE || token === this.unit(value, v))) {
        t += 1;
        v += 1;
      } else if (star >= 0) {
        starValue += 1;
        v = starValue;
        t = star + 1;
      } else {
        return false;
      }
    }
    while (t < tokens.length && tokens[t] === STAR) t += 1;
    return t === tokens.length;
  }

  /** Thompson simulation over the token positions: O(n·m), used when wildcards may not match everything. */
  private simulate(value: string): boolean {
    const tokens = this.tokens;
    const m = tokens.length;
    let current = new Uint8Array(m + 1);
    let next = new Uint8Array(m + 1);
    const close = (states: Uint8Array) => {
      for (let i = 0; i < m; i++) if (states[i] && tokens[i] === STAR) states[i + 1] = 1;
    };
    current[0] = 1;
    close(current);
    for (let v = 0; v < value.length; v++) {
      const raw = value.charCodeAt(v);
      const wild = this.dotAll || !isLineTerminator(raw);
      const code = this.caseInsensitive ? canonicalize(raw) : raw;
      next.fill(0);
      let alive = false;
      for (let i = 0; i < m; i++) {
        if (!current[i]) continue;
        const token = tokens[i]!;
        if (token === STAR) {
          if (wild) {
            next[i] = 1;
            alive = true;
          }
        } else if (token === ONE ? wild : token === code) {
          next[i + 1] = 1;
          alive = true;
        }
      }
      if (!alive) return false;
      close(next);
      [current, next] = [next, current];
    }
    return current[m] === 1;
  }
}

const cache = new Map<string, Glob>();
const CACHE_LIMIT = 10_000;

export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  const { questionMark = false, caseInsensitive = false, dotAll = false, policyVariables = false } = options;
  const key = `${+questionMark}${+caseInsensitive}${+dotAll}${+policyVariables}${pattern}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const tokens: number[] = [];
  let hasVariable = false;
  const literal = (code: number) => tokens.push(caseInsensitive ? canonicalize(code) : code);
  const star = () => {
    if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') star();
    else if (c === '?' && questionMark) tokens.push(ONE);
    else if (c === '$' && policyVariables && pattern[i + 1] === '{' && pattern.indexOf('}', i + 2) !== -1) {
      const end = pattern.indexOf('}', i + 2);
      const inner = pattern.slice(i + 2, end);
      if (inner === '*' || inner === '?' || inner === '$') literal(inner.charCodeAt(0));
      else {
        star();
        hasVariable = true;
      }
      i = end;
    } else literal(pattern.charCodeAt(i));
  }
  const glob = new CompiledGlob(Int32Array.from(tokens), hasVariable, caseInsensitive, dotAll);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, glob);
  return glob;
}

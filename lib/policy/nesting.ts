/**
 * A bound on how deeply an input file may nest, checked before anything recurses over it (the schema
 * validators, structuredClone, JSON.stringify and the YAML parser all recurse and overflow the stack on a
 * value thousands of levels deep). No input buildwarden reads — a snapshot, an event, a policy, a request body,
 * a guardrails file — comes anywhere near the limit, so exceeding it is bad input: InvalidInputError, exit 2
 * in the CLI, 400 in the HTTP API. Every check here is linear and iterative.
 */
import { InvalidInputError } from './validation';

export const MAX_NESTING_DEPTH = 512;

/** The first `[` or `{` (outside strings) that opens level `limit + 1`, as a line/column message, or undefined. */
export function jsonNestingProblem(text: string, limit = MAX_NESTING_DEPTH): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth += 1;
      if (depth > limit) return tooDeep(text, i, limit);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/**
 * The same bound on YAML flow collections (`[`, `{`), skipping quoted scalars and comments. Block nesting
 * (indentation) cannot blow the parser's stack within a file of sensible size, and the parsed value is
 * checked again with `valueNestingProblem`.
 */
export function yamlNestingProblem(text: string, limit = MAX_NESTING_DEPTH): string | undefined {
  let depth = 0;
  let quote: 0 | 0x22 | 0x27 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === 0x22) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) quote = 0;
      continue;
    }
    if (quote === 0x27) {
      if (c === 0x27 && text.charCodeAt(i + 1) === 0x27) i += 1;
      else if (c === 0x27) quote = 0;
      continue;
    }
    const before = i === 0 ? 0x0a : text.charCodeAt(i - 1);
    const startsToken = /[\s[{,:]/.test(String.fromCharCode(before));
    if ((c === 0x22 || c === 0x27) && startsToken) quote = c;
    else if (c === 0x23 /* # */ && /\s/.test(String.fromCharCode(before))) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return tooDeep(text, i, limit);
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The same bound on a parsed value (arrays and objects), found without recursion. */
export function valueNestingProblem(value: unknown, limit = MAX_NESTING_DEPTH): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return `nested deeper than ${limit} levels`;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

/** JSON text → value, with the nesting bound; bad text is InvalidInputError naming `source`. */
export function parseJsonText(text: string, source: string): unknown {
  const problem = jsonNestingProblem(text);
  if (problem) throw new InvalidInputError(source, [problem]);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidInputError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
}

function tooDeep(text: string, index: number, limit: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return `nested deeper than ${limit} levels (line ${line}, column ${index - lineStart + 1})`;
}

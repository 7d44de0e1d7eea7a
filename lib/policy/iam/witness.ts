/**
 * A concrete string that a policy pattern matches, among the strings `prefix` + `freeLength` arbitrary
 * characters. The rules use it to ask the evaluator about a resource whose end is unknown: a secret known by
 * name has an ARN ending in six random characters, and a policy may name that ARN exactly (`name-AbC123`),
 * through a wildcard (`name-*`, `*-AbC123`) or not at all.
 *
 * Patterns use IAM's `*` (any run) and `?` (one character), matched case-sensitively on the whole string.
 * The search visits each (pattern position, string position) pair once: O(|pattern| × |string|) time and
 * memory, whatever the pattern.
 */

const FILLER = 'x';

/**
 * A suffix of `freeLength` characters such that `pattern` matches `prefix + suffix`, or undefined when no
 * such string exists. Where the pattern leaves a character free (`*`, `?`), the suffix holds FILLER.
 */
export function suffixWitness(pattern: string, prefix: string, freeLength: number): string | undefined {
  const length = prefix.length + freeLength;
  const width = length + 1;
  const key = (i: number, j: number) => i * width + j;
  /** How each visited state was reached, and the character chosen for a free position on the way. */
  const parent = new Map<number, { from: number; chose?: string } | null>();
  const stack: [number, number][] = [[0, 0]];
  parent.set(key(0, 0), null);
  const visit = (i: number, j: number, from: number, chose?: string) => {
    const k = key(i, j);
    if (parent.has(k)) return;
    parent.set(k, chose === undefined ? { from } : { from, chose });
    stack.push([i, j]);
  };
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === pattern.length && j === length) return rebuild(parent, key(i, j), prefix.length, width);
    const p = pattern[i];
    if (p === undefined) continue;
    const here = key(i, j);
    const free = j >= prefix.length;
    if (p === '*') {
      visit(i + 1, j, here); // the run ends
      if (j < length) visit(i, j + 1, here, free ? FILLER : undefined); // the run takes one more character
      continue;
    }
    if (j === length) continue;
    if (p === '?') visit(i + 1, j + 1, here, free ? FILLER : undefined);
    else if (free) visit(i + 1, j + 1, here, p);
    else if (prefix[j] === p) visit(i + 1, j + 1, here);
  }
  return undefined;
}

/** The free characters along the path that reached `end`, in string order. */
function rebuild(
  parent: Map<number, { from: number; chose?: string } | null>,
  end: number,
  prefixLength: number,
  width: number,
): string {
  const chosen: string[] = [];
  for (let step = parent.get(end); step; step = parent.get(step.from)) {
    if (step.chose !== undefined) chosen.push(step.chose);
  }
  const suffix = chosen.reverse().join('');
  // Every free position consumed exactly one choice on the way; the check guards the bookkeeping.
  if (suffix.length !== (end % width) - prefixLength) throw new Error('suffixWitness: inconsistent path');
  return suffix;
}

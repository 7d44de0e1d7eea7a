/** suffixWitness: a string a glob matches among `prefix` + N free characters, checked by brute force. */
import fc from 'fast-check';
import { suffixWitness } from '../../../../lib/policy/iam/witness';

/** A reference glob matcher for short test strings (`*` any run, `?` one character). */
function globMatches(pattern: string, text: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(text);
}

/** Every string over `alphabet` of length n. */
function* strings(alphabet: string, n: number): Generator<string> {
  if (n === 0) {
    yield '';
    return;
  }
  for (const rest of strings(alphabet, n - 1)) for (const c of alphabet) yield c + rest;
}

describe('suffixWitness', () => {
  test.each([
    ['secret:app-AbC123', 'secret:app-', 'AbC123'],
    ['secret:app-*', 'secret:app-', 'xxxxxx'],
    ['secret:app-??????', 'secret:app-', 'xxxxxx'],
    ['secret:*-AbC123', 'secret:app-', 'AbC123'],
    ['*', 'secret:app-', 'xxxxxx'],
    ['secret:app-Ab*3', 'secret:app-', 'Abxxx3'],
  ])('%s matches %s + %p', (pattern, prefix, suffix) => {
    expect(suffixWitness(pattern, prefix, 6)).toBe(suffix);
  });

  test.each([
    ['secret:app-live-AbC123', 'secret:app-'],
    ['secret:other-*', 'secret:app-'],
    ['secret:app-AbC12', 'secret:app-'],
    ['secret:app-AbC1234', 'secret:app-'],
    ['secret:app-??????-*?', 'secret:app-'],
  ])('%s matches nothing of the form %s + six characters', (pattern, prefix) => {
    expect(suffixWitness(pattern, prefix, 6)).toBeUndefined();
  });

  test('agrees with brute force: a witness exists exactly when some suffix matches, and it matches', () => {
    const alphabet = 'ab';
    fc.assert(
      fc.property(
        fc.stringMatching(/^[ab*?]{0,7}$/),
        fc.stringMatching(/^[ab]{0,3}$/),
        fc.integer({ min: 0, max: 3 }),
        (pattern, prefix, n) => {
          const witness = suffixWitness(pattern, prefix, n);
          const exists = [...strings(`${alphabet}x`, n)].some((s) => globMatches(pattern, prefix + s));
          if (witness === undefined) return !exists;
          return witness.length === n && globMatches(pattern, prefix + witness);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('takes polynomial time on a pattern of many stars (a generous bound)', () => {
    // 500 a's cannot fit in 406 characters, but a backtracking matcher would try every way of placing them.
    const pattern = `${'*a'.repeat(500)}*`;
    const started = performance.now();

    const witness = suffixWitness(pattern, 'a'.repeat(400), 6);

    expect(witness).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

/**
 * The linear-time glob matcher against the RegExp implementations it replaced (copied here as oracles), on short
 * inputs where backtracking is harmless, and on the long hostile inputs where it is not.
 */
import fc from 'fast-check';
import { compileGlob } from '../../../lib/policy/glob';
import { actionMatches, patternCouldCover, resourceMatches } from '../../../lib/policy/iam/match';
import { compileWildcard, matchesEcrScanFilter, matchesWildcard } from '../../../lib/policy/wildcard';

/** Oracle: lib/policy/wildcard.ts wildcardToRegExp before the matcher replaced it. */
function oldWildcardToRegExp(pattern: string, flags = ''): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}

/** Oracle: lib/policy/iam/match.ts compileGlob before the matcher replaced it. */
function oldIamGlob(
  pattern: string,
  caseInsensitive: boolean,
  variables: boolean,
): { regex: RegExp; hasVariable: boolean } {
  const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let body = '';
  let hasVariable = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') body += '.*';
    else if (c === '?') body += '.';
    else if (c === '$' && variables && pattern[i + 1] === '{' && pattern.indexOf('}', i + 2) !== -1) {
      const end = pattern.indexOf('}', i + 2);
      const inner = pattern.slice(i + 2, end);
      if (inner === '*' || inner === '?' || inner === '$') body += escapeRegex(inner);
      else {
        body += '.*';
        hasVariable = true;
      }
      i = end;
    } else body += escapeRegex(c);
  }
  return { regex: new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's'), hasVariable };
}

/**
 * Characters that exercise every rule: wildcards, regex metacharacters, policy-variable syntax, line
 * terminators, and letters whose case folding is special for a non-unicode `i` RegExp (ſ and ı fold to ASCII
 * and so stay themselves, ß has a two-letter upper case, K is the Kelvin sign).
 */
const ALPHABET = ['a', 'b', 'A', 'B', '*', '?', '.', '$', '{', '}', '/', ':', '\n', '\r', '\u2028', 'é', 'É'];
const TRICKY = ['s', 'S', 'ſ', 'i', 'I', 'ı', 'ß', 'k', 'K', '\u212a'];
const text = (chars: string[], maxLength: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(''));
const pattern = text([...ALPHABET, ...TRICKY], 8);
const value = text([...ALPHABET.filter((c) => c !== '*' && c !== '?'), ...TRICKY], 10);
/** Values built from the pattern's own characters, so that matches are frequent, not only mismatches. */
const patternAndValue = pattern.chain((p) =>
  fc.tuple(fc.constant(p), fc.oneof(value, text([...p.replace(/[*?]/g, ''), 'a', 'x'].filter(Boolean), 12))),
);

const RUNS = { numRuns: 3000 };

describe('name wildcards match exactly as the RegExp they replace', () => {
  it('agrees with the old wildcardToRegExp on every short pattern and name', () => {
    fc.assert(
      fc.property(patternAndValue, ([p, v]) => {
        expect(matchesWildcard(v, p)).toBe(oldWildcardToRegExp(p).test(v));
      }),
      RUNS,
    );
  });

  it('agrees with the old registry scanning filter semantics (contains without *, whole name with *)', () => {
    const oldFilter = (name: string, filter: string) =>
      filter.includes('*') ? oldWildcardToRegExp(filter).test(name) : name.includes(filter);
    fc.assert(
      fc.property(patternAndValue, ([p, v]) => {
        expect(matchesEcrScanFilter(v, p)).toBe(oldFilter(v, p));
      }),
      RUNS,
    );
  });

  it('treats ? as a literal character, not a wildcard', () => {
    // Act
    const answers = [matchesWildcard('ab', 'a?'), matchesWildcard('a?', 'a?')];

    // Assess
    expect(answers).toEqual([false, true]);
  });

  it('does not let * match a line terminator', () => {
    // Act
    const answer = matchesWildcard('team\napp', 'team*');

    // Assess
    expect(answer).toBe(false);
  });
});

describe('IAM globs match exactly as the RegExp they replace', () => {
  const cases = [
    ['case-sensitive, literal variables', false, false],
    ['case-insensitive, literal variables', true, false],
    ['case-sensitive, policy variables', false, true],
    ['case-insensitive, policy variables', true, true],
  ] as const;

  it.each(cases)('agrees with the old compileGlob (%s)', (_name, caseInsensitive, variables) => {
    fc.assert(
      fc.property(patternAndValue, ([p, v]) => {
        const oracle = oldIamGlob(p, caseInsensitive, variables);
        const glob = compileGlob(p, {
          questionMark: true,
          dotAll: true,
          caseInsensitive,
          policyVariables: variables,
        });
        expect(glob.test(v)).toBe(oracle.regex.test(v));
        expect(glob.hasVariable).toBe(oracle.hasVariable);
      }),
      RUNS,
    );
  });

  it('folds case as a non-unicode RegExp does: ſ does not match s, é matches É', () => {
    // Prepare
    const options = { questionMark: true, dotAll: true, caseInsensitive: true };

    // Act
    const answers = [compileGlob('s', options).test('ſ'), compileGlob('é', options).test('É')];

    // Assess
    expect(answers).toEqual([false, true]);
  });
});

describe('matching takes linear time on hostile patterns', () => {
  /** `*a*a*…*a*b` with `stars` stars: exponential for a backtracking RegExp against a run of `a`. */
  const hostile = (stars: number) => `${'*a'.repeat(stars - 1)}*b`;
  const elapsed = (run: () => void) => {
    const start = performance.now();
    run();
    return performance.now() - start;
  };

  it('matches the reported pattern against a 60-character repository name at once', () => {
    // Prepare
    const name = 'a'.repeat(60);

    // Act
    let answer = true;
    const ms = elapsed(() => {
      answer = matchesEcrScanFilter(name, '*a*a*a*a*a*a*a*a*a*a*b');
    });

    // Assess
    expect(answer).toBe(false);
    expect(ms).toBeLessThan(1000);
  });

  it('matches a 20-star pattern against a 256-character name in well under a second', () => {
    // Prepare
    const name = 'a'.repeat(256);
    const p = hostile(20);

    // Act
    const answers: boolean[] = [];
    const ms = elapsed(() => {
      answers.push(matchesWildcard(name, p), matchesEcrScanFilter(name, p), compileWildcard(p).test(name));
    });

    // Assess
    expect(answers).toEqual([false, false, false]);
    expect(ms).toBeLessThan(1000);
  });

  it('keeps linear time when the name holds line terminators', () => {
    // Prepare
    const name = `${'a'.repeat(128)}\n${'a'.repeat(127)}`;

    // Act
    let answer = true;
    const ms = elapsed(() => {
      answer = matchesWildcard(name, hostile(20));
    });

    // Assess
    expect(answer).toBe(false);
    expect(ms).toBeLessThan(1000);
  });

  it('matches 20-star IAM Resource and Action patterns against 256-character values in well under a second', () => {
    // Prepare
    const resource = `arn:aws:ecr:us-east-1:111122223333:repository/${'a'.repeat(256)}`;
    const resourcePattern = `arn:aws:ecr:us-east-1:111122223333:repository/${hostile(20)}`;
    const action = `ecr:${'a'.repeat(256)}`;

    // Act
    const answers: unknown[] = [];
    const ms = elapsed(() => {
      answers.push(
        resourceMatches(resourcePattern, resource, { policyVariables: true, kind: 'identity' }),
        resourceMatches(hostile(20), 'a'.repeat(256), { policyVariables: true, kind: 'identity' }),
        actionMatches(`ecr:${hostile(20)}`, action),
        patternCouldCover(`arn:aws:${hostile(20)}:us-east-1:111122223333:repository/x`, 'a'.repeat(256), ''),
      );
    });

    // Assess
    expect(answers).toEqual(['no', 'no', false, false]);
    expect(ms).toBeLessThan(1000);
  });
});

import {
  jsonNestingProblem,
  MAX_NESTING_DEPTH,
  parseJsonText,
  valueNestingProblem,
  yamlNestingProblem,
} from '../../../lib/policy/nesting';
import { InvalidInputError } from '../../../lib/policy/validation';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('jsonNestingProblem', () => {
  test('accepts a value nested exactly to the limit', () => {
    expect(jsonNestingProblem(nested(MAX_NESTING_DEPTH))).toBeUndefined();
  });

  test('reports the bracket that opens one level too many, with its line and column', () => {
    const text = `{\n "a": ${nested(MAX_NESTING_DEPTH)}}`;

    expect(jsonNestingProblem(text)).toBe(`nested deeper than 512 levels (line 2, column 518)`);
  });

  test('reports a 5,000-deep value', () => {
    expect(jsonNestingProblem(nested(5000))).toMatch(/^nested deeper than 512 levels/);
  });

  test('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: `"${'['.repeat(600)}` });

    expect(jsonNestingProblem(text)).toBeUndefined();
  });

  test('counts objects and arrays alike', () => {
    const text = `${'{"a":['.repeat(257)}1${']}'.repeat(257)}`;

    expect(jsonNestingProblem(text)).toMatch(/^nested deeper/);
  });
});

describe('yamlNestingProblem', () => {
  test('reports deep flow collections', () => {
    expect(yamlNestingProblem(`rules: ${nested(5000)}\n`)).toMatch(
      /^nested deeper than 512 levels \(line 1,/,
    );
  });

  test('ignores brackets in quoted scalars and comments', () => {
    const text = `a: "${'['.repeat(600)}"\nb: '${'{'.repeat(600)}'\n# ${'['.repeat(600)}\n`;

    expect(yamlNestingProblem(text)).toBeUndefined();
  });

  test('an apostrophe inside a plain scalar does not hide the brackets after it', () => {
    expect(yamlNestingProblem(`reason: don't\nrules: ${nested(600)}\n`)).toMatch(/^nested deeper/);
  });
});

describe('valueNestingProblem', () => {
  test('reports a parsed value deeper than the limit without recursing', () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = { a: value };

    expect(valueNestingProblem(value)).toBe('nested deeper than 512 levels');
  });

  test('accepts an ordinary value', () => {
    expect(valueNestingProblem({ a: [1, { b: 2 }] })).toBeUndefined();
  });
});

describe('parseJsonText', () => {
  test('a 5,000-deep value is InvalidInputError naming the source', () => {
    expect(() => parseJsonText(nested(5000), 'x.json')).toThrow(InvalidInputError);
    expect(() => parseJsonText(nested(5000), 'x.json')).toThrow(/x\.json is invalid:\n {2}nested deeper/);
  });

  test('text that is not JSON is InvalidInputError', () => {
    expect(() => parseJsonText('{', 'x.json')).toThrow(/not valid JSON/);
  });

  test('parses ordinary JSON', () => {
    expect(parseJsonText('{"a":[1]}', 'x.json')).toEqual({ a: [1] });
  });
});

/**
 * scripts/symbolicate.ts and its source-map reader: a stack trace of a minified bundle mapped back to the
 * TypeScript source with the bundle's external map, as the functions are packaged (serverless.yml
 * `sourcemap: external`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from '../../fixtures/load';
import { decodeMappings, decodeVlq, readSourceMap, symbolicate } from '../../../scripts/source-map';

/** A minified bundle whose handler throws on line 4 of its source, with its external map. */
function failingBundle(): { dir: string; bundle: string; map: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-symbolicate-'));
  const source = path.join(dir, 'failing.ts');
  writeFileSync(
    source,
    [
      'export function handler(input: { name?: string }): string {',
      '  const name = input.name ?? "";',
      '  if (name.length > 0) return name;',
      "  throw new Error('no name');",
      '}',
      '',
    ].join('\n'),
  );
  const bundle = path.join(dir, 'failing.js');
  buildSync({
    entryPoints: [source],
    outfile: bundle,
    bundle: true,
    minify: true,
    sourcemap: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    logLevel: 'error',
  });
  return { dir, bundle, map: `${bundle}.map` };
}

/** The stack trace Node prints when the bundle's handler throws. */
function traceOf(bundle: string): string {
  const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(bundle)}).handler({})`], {
    encoding: 'utf8',
  });
  return run.stderr;
}

describe('decodeVlq', () => {
  it.each([
    ['A', [0]],
    ['C', [1]],
    ['D', [-1]],
    ['gB', [16]],
    ['AAgBC', [0, 0, 16, 1]],
  ])('decodes %s as %j', (text, expected) => {
    // Act
    const values = decodeVlq(text);

    // Assess
    expect(values).toEqual(expected);
  });

  it('refuses a character that is not a Base64 digit', () => {
    // Act
    const decoding = () => decodeVlq('A!');

    // Assess
    expect(decoding).toThrow("'!' is not a Base64 VLQ digit");
  });
});

describe('decodeMappings', () => {
  it('accumulates columns per line and sources, lines and columns across lines', () => {
    // Act: line 1 maps column 0 → source 0 line 0 column 0, column 4 → line 1 column 2; line 2 column 2 → line 2
    const lines = decodeMappings('AAAA,IACE;EACA');

    // Assess
    expect(lines).toEqual([
      [
        { generatedColumn: 0, source: 0, line: 0, column: 0 },
        { generatedColumn: 4, source: 0, line: 1, column: 2 },
      ],
      [{ generatedColumn: 2, source: 0, line: 2, column: 2 }],
    ]);
  });
});

describe('symbolicate', () => {
  it('maps the position of a throw in a minified bundle back to its TypeScript line', () => {
    // Prepare
    const { bundle, map } = failingBundle();
    const trace = traceOf(bundle);

    // Act
    const mapped = symbolicate(trace, readSourceMap(readFileSync(map, 'utf8')));

    // Assess
    expect(trace).toMatch(/failing\.js:\d+:\d+/);
    expect(mapped).toMatch(/failing\.ts:4:\d+/);
    expect(mapped).not.toMatch(/failing\.js:\d+:\d+/);
  });

  it('leaves a position the map does not cover as it is', () => {
    // Prepare
    const map = readSourceMap(JSON.stringify({ version: 3, sources: ['a.ts'], mappings: 'AAAA' }));

    // Act
    const mapped = symbolicate('    at x (/var/task/other.js:9:1)', map);

    // Assess
    expect(mapped).toBe('    at x (/var/task/other.js:9:1)');
  });

  it('runs as npm run symbolicate -- <function> --maps <dir>, reading the trace on stdin', () => {
    // Prepare: the map kept as the packaging keeps it, <dir>/<function>.js.map
    const { dir, bundle, map } = failingBundle();
    writeFileSync(path.join(dir, 'onChange.js.map'), readFileSync(map));
    const trace = traceOf(bundle);

    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/symbolicate.ts', 'onChange', '--maps', dir],
      { cwd: REPO_ROOT, input: trace, encoding: 'utf8' },
    );

    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/failing\.ts:4:\d+/);
  });

  it('exits 2 naming the file when the function has no kept map', () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'bw-symbolicate-'));

    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/symbolicate.ts', 'audit', '--maps', dir],
      { cwd: REPO_ROOT, input: '', encoding: 'utf8' },
    );

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(path.join(dir, 'audit.js.map'));
  });
});

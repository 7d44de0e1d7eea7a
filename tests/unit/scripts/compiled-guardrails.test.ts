/**
 * scripts/compiled-guardrails.js: the guardrails file compiled to JSON at package time, validated with the
 * guardrails schema (serverless.yml `custom.esbuild.define.__BUILDWARDEN_GUARDRAILS__`). Run as the packaging
 * runs it: node, with the resolver's `resolveVariable`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../fixtures/load';
import { defaultGuardrails, parseGuardrails } from '../../../lib/policy/guardrails';

/** What the resolver gives for param guardrailsFile = `file`: its value, or the error it fails with. */
function resolve(file: string): { status: number | null; value: string; error: string } {
  const script = [
    "const resolver = require('./scripts/compiled-guardrails.js');",
    `resolver({ resolveVariable: async () => ${JSON.stringify(file)} })`,
    '  .then((value) => process.stdout.write(value))',
    '  .catch((error) => { process.stderr.write(error.message); process.exitCode = 1; });',
  ].join('\n');
  const run = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: run.status, value: run.stdout, error: run.stderr };
}

function guardrailsFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-compiled-guardrails-')), 'guardrails.yml');
  writeFileSync(file, text);
  return file;
}

describe('the guardrails compiled at package time', () => {
  it('are the guardrails file as the schema reads it, as the JSON text of a string literal', () => {
    // Prepare
    const expected = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'guardrails.yml'), 'utf8'));

    // Act
    const { status, value } = resolve('guardrails.yml');

    // Assess
    expect(status).toBe(0);
    expect(JSON.parse(JSON.parse(value) as string)).toEqual(expected);
  });

  it('are the built-in defaults when the param is empty', () => {
    // Act
    const { value } = resolve('');

    // Assess
    expect(JSON.parse(JSON.parse(value) as string)).toEqual(defaultGuardrails());
  });

  it('survive JSON unchanged: what the functions parse is what the schema gave', () => {
    // Prepare: a file setting options of several kinds (numbers, lists, modes, exemptions, provisioning)
    const text = readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8');
    const parsed = parseGuardrails(text);

    // Act
    const { value } = resolve(path.relative(REPO_ROOT, guardrailsFile(text)));

    // Assess
    expect(JSON.parse(JSON.parse(value) as string)).toStrictEqual(JSON.parse(JSON.stringify(parsed)));
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
  });

  it('fail the packaging on a bad file, naming the param, the file and the field', () => {
    // Prepare
    const file = guardrailsFile('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDayz: 30\n');

    // Act
    const { status, error } = resolve(file);

    // Assess
    expect(status).toBe(1);
    expect(error).toContain(`guardrailsFile (${file})`);
    expect(error).toContain('maxUntaggedAgeDayz');
  });
});

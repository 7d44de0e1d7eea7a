/**
 * Rules of the house that a reviewer would otherwise have to remember, checked on the source text: use cases
 * branch on domain errors, never on what AWS names its exceptions; the environment is read by the settings
 * module only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../fixtures/load';

/** Every .ts file under `dir` (relative to the repository), sorted. */
function sourceFiles(dir: string): string[] {
  const full = path.join(REPO_ROOT, dir);
  return readdirSync(full)
    .sort()
    .flatMap((entry) => {
      const relative = path.join(dir, entry);
      if (statSync(path.join(REPO_ROOT, relative)).isDirectory()) return sourceFiles(relative);
      return relative.endsWith('.ts') ? [relative] : [];
    });
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('use cases and AWS exceptions', () => {
  const useCases = sourceFiles('lib/usecases');

  it('finds the use cases to check', () => {
    // Assess
    expect(useCases).toEqual(
      expect.arrayContaining(['lib/usecases/on-change.ts', 'lib/usecases/scan-gate.ts']),
    );
  });

  it.each(useCases)('%s names no AWS exception', (file) => {
    // Act
    const names = read(file).match(/\b[A-Z][A-Za-z]+Exception\b/g) ?? [];

    // Assess
    expect(names).toEqual([]);
  });

  it.each(useCases)('%s does not compare error names', (file) => {
    // Act
    const comparisons = read(file).match(/\.name\s*[!=]==|\b(?:error|err|e|cause)\.name\b/g) ?? [];

    // Assess
    expect(comparisons).toEqual([]);
  });
});

describe('the environment', () => {
  const shipped = [...sourceFiles('lib'), ...sourceFiles('functions')];

  it('is read from process.env by lib/settings.ts only', () => {
    // Act
    const readers = shipped.filter((file) => /\bprocess\.env\b/.test(read(file)));

    // Assess
    expect(readers).toEqual(['lib/settings.ts']);
  });

  it("reaches the CLI's commands through the settings schema only (io.env is parsed in one place)", () => {
    // Act
    const readers = shipped.filter((file) => /\bio\.env\b/.test(read(file)));

    // Assess
    expect(readers).toEqual(['lib/cli/inputs.ts']);
    expect(read('lib/cli/inputs.ts')).toMatch(/parseSettings\(io\.env\)/);
  });
});

describe('the front doors and the composition root', () => {
  const importsOf = (file: string) =>
    [...read(file).matchAll(/^import[^;]*?from '([^']+)';/gms)].map((m) => m[1]!);

  it.each(sourceFiles('functions'))('%s builds no adapter itself (no lib/aws, no lib/sandbox)', (file) => {
    // Act
    const imports = importsOf(file).filter((spec) => /\/lib\/(aws|sandbox)\//.test(spec));

    // Assess
    expect(imports).toEqual([]);
  });

  it.each(sourceFiles('lib/cli'))('%s gets its ports through lib/runtime/compose (no lib/aws)', (file) => {
    // Act
    const imports = importsOf(file).filter((spec) => /(^|\/)aws\//.test(spec) && !spec.startsWith('@'));

    // Assess
    expect(imports).toEqual([]);
  });

  it('lib/runtime reaches the sandbox only through the dynamic import of the local stage', () => {
    // Act
    const staticImports = sourceFiles('lib/runtime').flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.includes('/sandbox/'))
        .map((spec) => `${file}: ${spec}`),
    );

    // Assess
    expect(staticImports).toEqual([]);
    expect(read('lib/runtime/lambda.ts')).toMatch(/import\('\.\.\/sandbox\/local-stage'\)/);
  });
});

describe('zod in the shipped code', () => {
  const shipped = [...sourceFiles('lib'), ...sourceFiles('functions')];

  it('is imported as a namespace, never as the `z` object that holds the whole library', () => {
    // Act: `import { z } from 'zod'` keeps every schema kind, the locales and JSON Schema conversion in a
    // bundle (~460 KiB minified); `import * as z from 'zod'` lets the bundler keep only what is used
    const whole = shipped.filter((file) => /import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*'zod'/.test(read(file)));

    // Assess
    expect(shipped.filter((file) => /from 'zod'/.test(read(file))).length).toBeGreaterThan(10);
    expect(whole).toEqual([]);
  });
});

describe('error classes in the shipped code', () => {
  const shipped = [...sourceFiles('lib'), ...sourceFiles('functions')];
  /** Each `class X extends …Error` with the text of its body (up to the first line that closes it). */
  const errorClasses = shipped.flatMap((file) =>
    [...read(file).matchAll(/^export class (\w+) extends (\w*Error) \{\n([\s\S]*?)^\}/gm)].map((m) => ({
      file,
      name: m[1]!,
      body: m[3]!,
    })),
  );

  it('are found', () => {
    // Assess
    expect(errorClasses.map((c) => c.name)).toEqual(
      expect.arrayContaining(['InvalidInputError', 'UnreadableError', 'ProjectConflictError']),
    );
  });

  it('each state their own name, since the bundles are minified without keeping class names', () => {
    // Act
    const unnamed = errorClasses
      .filter(
        ({ name, body }) =>
          // (or the name it is given: the sandbox's simulated AWS errors carry the AWS exception's)
          ![`name: string = '${name}';`, `this.name = '${name}';`, 'this.name = name;'].some((s) =>
            body.includes(s),
          ),
      )
      .map(({ file, name }) => `${file}: ${name}`);

    // Assess
    expect(unnamed).toEqual([]);
  });
});

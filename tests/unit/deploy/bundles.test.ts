/**
 * The deployed bundles (the prod stage's packages): no function carries the SIMULATED sandbox account or the
 * local stage's code. lib/runtime/lambda.ts reaches the sandbox through a dynamic import under a flag that
 * serverless.yml sets on the local stage only; the bundler drops it everywhere else. Checked on the packages
 * themselves: the source map's sources, and the sandbox's text (string literals survive minification).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../fixtures/load';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { packagedFunctions, packagedSourceMaps } from '../../fixtures/package-template';

/** Every .ts file under `dir` (relative to the repository). */
function sourcesUnder(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

type Packages = Map<string, Map<string, Buffer>>;

let packages: Packages;
let maps: Map<string, string>;

beforeAll(() => {
  packages = packagedFunctions();
  maps = packagedSourceMaps();
}, 180_000);

/** The bundle (.js) of each function, and the sources of its kept source map. */
function bundles(): { fn: string; code: string; sources: string[] }[] {
  return [...packages].map(([fn, files]) => {
    const js = [...files.keys()].find((name) => name.endsWith('.js'))!;
    const map = JSON.parse(maps.get(fn) ?? '{"sources":[]}') as { sources: string[] };
    return { fn, code: files.get(js)!.toString('utf8'), sources: map.sources };
  });
}

describe('the deployed bundles', () => {
  it('are one per function, each with its source map kept beside the packages', () => {
    // Act
    const found = bundles();

    // Assess
    expect(found.map((b) => b.fn)).toEqual([
      'audit',
      'onBuild',
      'onChange',
      'onImagePush',
      'onScan',
      'orgAuditShard',
      'orgSummary',
      'orgTargets',
      'projectsApi',
      'verdictApi',
    ]);
    expect(found.every((b) => b.sources.some((s) => s.endsWith('lib/runtime/lambda.ts')))).toBe(true);
  });

  it('contain no source of lib/sandbox', () => {
    // Act
    const sandboxSources = bundles().flatMap(({ fn, sources }) =>
      sources.filter((s) => s.includes('lib/sandbox/')).map((s) => `${fn}: ${s}`),
    );

    // Assess
    expect(sandboxSources).toEqual([]);
  });

  it("carry none of the sandbox's text: the SIMULATED marker its messages carry", () => {
    // Prepare: string literals survive minification; only lib/sandbox writes the marker in one (elsewhere
    // the word is in comments, which minification drops)
    const inLiteral = /['"`][^'"`\n]*SIMULATED/;
    const shipped = ['lib', 'functions'].flatMap((dir) => sourcesUnder(dir));
    const marking = shipped.filter((file) =>
      inLiteral.test(readFileSync(path.join(REPO_ROOT, file), 'utf8')),
    );

    // Act
    const found = bundles()
      .filter(({ code }) => code.includes('SIMULATED'))
      .map(({ fn }) => fn);

    // Assess
    expect(marking.length).toBeGreaterThan(3);
    expect(found).toEqual([]);
  });
});

describe('the deployed bundles at init', () => {
  it('each load in a fresh Node process, with no configuration, and export a handler function', () => {
    // Prepare: each bundle alone in a directory, as Lambda unpacks it (nothing of node_modules beside it)
    const dir = mkdtempSync(path.join(tmpdir(), 'bundles-'));
    try {
      const failures = bundles().flatMap(({ fn, code }) => {
        const file = path.join(dir, `${fn}.js`);
        writeFileSync(file, code);
        // Act
        const probe = spawnSync(
          process.execPath,
          ['-e', `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`],
          { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
        );
        return probe.status === 0 && probe.stdout === 'function'
          ? []
          : [
              `${fn}: ${probe.stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? probe.stdout}`.slice(
                0,
                300,
              ),
            ];
      });

      // Assess
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the source maps of the deployed bundles', () => {
  it('are in no deployment zip', () => {
    // Act
    const inZips = [...packages].flatMap(([fn, files]) =>
      [...files.keys()].filter((name) => name.endsWith('.map')).map((name) => `${fn}: ${name}`),
    );

    // Assess
    expect(inZips).toEqual([]);
  });

  it('are not named by the bundles, so Node looks for none at init', () => {
    // Act
    const naming = bundles()
      .filter(({ code }) => code.includes('sourceMappingURL'))
      .map(({ fn }) => fn);

    // Assess
    expect(naming).toEqual([]);
  });

  it('are kept one per function beside the packages', () => {
    // Act
    const kept = [...maps.keys()];

    // Assess
    expect(kept).toEqual([...packages.keys()]);
  });
});

/** The functions that evaluate CodeBuild projects: their rules read inline buildspecs, which are YAML. */
const READ_BUILDSPECS = ['audit', 'onChange', 'orgAuditShard', 'projectsApi'];

describe('the guardrails in the deployed bundles', () => {
  it('are compiled JSON: no bundle carries the guardrails file reader or the guardrails schema', () => {
    // Act
    const found = bundles().flatMap(({ fn, sources }) =>
      sources
        .filter((s) => s.endsWith('lib/guardrails-file.ts') || s.endsWith('lib/policy/guardrails.ts'))
        .map((s) => `${fn}: ${s}`),
    );

    // Assess
    expect(found).toEqual([]);
  });

  it('need no YAML parser: only the functions that read CodeBuild buildspecs carry yaml', () => {
    // Act
    const withYaml = bundles()
      .filter(({ sources }) => sources.some((s) => s.includes('node_modules/yaml/')))
      .map(({ fn }) => fn);

    // Assess
    expect(withYaml).toEqual([...READ_BUILDSPECS].sort());
  });

  it('carry the guardrails of the packaged guardrails file', () => {
    // Prepare: guardrails.yml is the default param guardrailsFile; its JSON needs no escaping in a JS string
    const json = JSON.stringify(
      parseGuardrails(readFileSync(path.join(REPO_ROOT, 'guardrails.yml'), 'utf8')),
    );

    // Act
    const without = bundles()
      .filter(({ code }) => !code.includes(`JSON.parse('${json}')`))
      .map(({ fn }) => fn);

    // Assess
    expect(json).not.toMatch(/['\\]/);
    expect(without).toEqual([]);
  });
});

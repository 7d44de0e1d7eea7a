/**
 * What a function builds when its modules load: the zod schemas its event may not need are built on first use
 * (lib/policy/lazy.ts), so a cold start does not pay for them. Counted with zod's global post-processor, which
 * zod calls for every schema it constructs; each construction is attributed to the first file of lib/ or
 * functions/ on the stack.
 */
import path from 'node:path';
import { REPO_ROOT } from '../../fixtures/load';

type ZodGlobalConfig = { postProcessor?: (...args: unknown[]) => void };

/** Schemas constructed while `entry` and its imports load, by the file that constructed them. */
function schemasBuiltAtLoad(entry: string): Map<string, number> {
  const counts = new Map<string, number>();
  const holder = globalThis as { __zod_globalConfig?: ZodGlobalConfig };
  const config = (holder.__zod_globalConfig ??= {});
  const previous = config.postProcessor;
  config.postProcessor = () => {
    const frames = (new Error().stack ?? '').split('\n');
    const file = frames
      .map((frame) => /\/((?:lib|functions)\/[^:)]+\.ts)/.exec(frame)?.[1])
      .find((f) => f !== undefined);
    counts.set(file ?? '(elsewhere)', (counts.get(file ?? '(elsewhere)') ?? 0) + 1);
  };
  try {
    jest.isolateModules(() => {
      // A fresh module registry needs a synchronous load: the construction is counted while it runs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(REPO_ROOT, entry));
    });
  } finally {
    config.postProcessor = previous;
  }
  return counts;
}

/** Schemas no function needs at load: account model, snapshots, rule configs, registry settings, records … */
const BUILT_ON_FIRST_USE = [
  'lib/policy/model.ts',
  'lib/policy/snapshot.ts',
  'lib/policy/registry-settings.ts',
  'lib/policy/rules/definition.ts',
  'lib/policy/finding-state.ts',
  'lib/policy/lifecycle/grammar.ts',
];

/** Whether a file is a rule module (lib/policy/rules/**): a rule builds its schema when first read. */
const isRule = (file: string) => file.startsWith('lib/policy/rules/');

describe('schemas built when a function loads', () => {
  it('are counted: the settings schema, which every function parses, is built at load', () => {
    // Act
    const built = schemasBuiltAtLoad('functions/verdict-api.ts');

    // Assess
    expect(built.get('lib/settings.ts')).toBeGreaterThan(0);
  });

  it.each(['functions/on-change.ts', 'functions/audit.ts', 'functions/projects-api.ts'])(
    '%s builds none of the schemas built on first use',
    (entry) => {
      // Act
      const built = schemasBuiltAtLoad(entry);

      // Assess
      expect(BUILT_ON_FIRST_USE.filter((file) => built.has(file))).toEqual([]);
      expect([...built.keys()].filter(isRule)).toEqual([]);
    },
  );

  it.each(['functions/verdict-api.ts', 'functions/on-scan.ts', 'functions/on-change.ts'])(
    '%s does not build the CodeBuild event schemas, which only the build handler parses',
    (entry) => {
      // Act
      const built = schemasBuiltAtLoad(entry);

      // Assess
      expect(built.has('lib/policy/build-events.ts')).toBe(false);
    },
  );
});

describe('the YAML parser', () => {
  /** Loads `entry` in a fresh module registry, then runs `after` there; says whether yaml was loaded by each. */
  function yamlLoaded(entry: string, after: () => void): { atLoad: boolean; after: boolean } {
    let loaded = false;
    const seen = { atLoad: false, after: false };
    jest.isolateModules(() => {
      jest.doMock('yaml', () => {
        loaded = true;
        return jest.requireActual<typeof import('yaml')>('yaml');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see schemasBuiltAtLoad
      require(path.join(REPO_ROOT, entry));
      seen.atLoad = loaded;
      after();
      seen.after = loaded;
    });
    return seen;
  }

  it('is not loaded when the change handler loads, only when a buildspec is first read', () => {
    // Act
    const seen = yamlLoaded('functions/on-change.ts', () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same registry as the handler
      const { parseBuildspec } = require(path.join(REPO_ROOT, 'lib/policy/buildspec.ts')) as {
        parseBuildspec: (text: string) => { document: unknown } | undefined;
      };
      expect(parseBuildspec('version: 0.2\nphases: {}\n')).toEqual({
        document: { version: 0.2, phases: {} },
      });
    });

    // Assess
    expect(seen).toEqual({ atLoad: false, after: true });
  });
});

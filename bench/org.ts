/**
 * `npm run bench -- --org`: the organization run on a GENERATED, SIMULATED fleet — 100 accounts × 2 Regions of
 * mixed sizes (one account with 10,000 repositories), each account-region with its own simulated rate limits
 * and latency (lib/sandbox/faults.ts) — through the organization-run steps (lib/usecases/organization-run.ts:
 * list targets, audit shards with the page budget and continuation, streaming summary) at the Distributed
 * Map's concurrency (BUILDWARDEN_ORG_AUDIT_MAX_CONCURRENCY's default). Reports wall time against the ideal
 * schedule, calls against the minimum, and the summary step's peak heap growth. Replaces the organization
 * section of bench/results.md; timings are reported, never asserted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalogFor } from '../lib/action-catalog';
import { parseGuardrails } from '../lib/policy/guardrails';
import type { Target } from '../lib/ports';
import { SandboxAccount } from '../lib/sandbox/account';
import { seededRandom, SimulatedFaultInjector } from '../lib/sandbox/faults';
import { SandboxFleet } from '../lib/sandbox/fleet';
import { generateAccount } from '../lib/sandbox/generate';
import { SandboxRunStore } from '../lib/sandbox/run-store';
import { parseSettings } from '../lib/settings';
import { mapWithConcurrency } from '../lib/concurrency';
import { listRunTargets, summarizeRun, type ShardInput } from '../lib/usecases/organization-run';
import { auditShard } from '../lib/usecases/organization-shard';
import { minimumCalls, rateLowerBoundMs } from './audit-model';
import { median, round, table } from './stats';

const REPO_ROOT = path.resolve(__dirname, '..');
const NOW = new Date('2026-11-25T12:00:00Z');
const ACCOUNTS = 100;
const REGIONS = ['us-east-1', 'eu-west-1'];
/** The account with 10,000 repositories (in its first Region), placed mid-list as a listing would. */
const LARGE_ACCOUNT_INDEX = 37;
const LARGE_REPOSITORIES = 10_000;
/** Simulated time runs this many times faster than the wall clock (as in the single-account bench). */
const TIME_SCALE = 8;
const RATIO_TARGET = 1.2;
const SECTION_START = '<!-- organization run: npm run bench -- --org -->';
const SECTION_END = '<!-- end of organization run -->';

const log = (message: string) => process.stderr.write(`bench --org: ${message}\n`);

interface Plan {
  target: Target;
  repositories: number;
  projects: number;
  roles: number;
  ratePerSecond: number;
  latencyMs: number;
}

/** Mixed sizes and per-account limits, seeded: most accounts small, some medium, one very large. */
function fleetPlan(): Plan[] {
  const random = seededRandom(16);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const plans: Plan[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const accountId = String(100_000_000_000 + a * 7919).padStart(12, '0');
    // Per account (AWS quotas are per account and Region): a rate and a latency for every API.
    const ratePerSecond = a === LARGE_ACCOUNT_INDEX ? 20 : pick([10, 20, 40]);
    const latencyMs = pick([10, 20, 40]);
    for (const [r, region] of REGIONS.entries()) {
      const size = random();
      const large = a === LARGE_ACCOUNT_INDEX && r === 0;
      const repositories = large
        ? LARGE_REPOSITORIES
        : size < 0.7
          ? 1 + Math.floor(random() * 30)
          : size < 0.95
            ? 50 + Math.floor(random() * 150)
            : 300 + Math.floor(random() * 500);
      plans.push({
        target: { accountId, region },
        repositories,
        projects: large ? 2_000 : Math.floor(repositories / 3),
        roles: large ? 500 : Math.floor(repositories / 6),
        ratePerSecond,
        latencyMs,
      });
    }
  }
  return plans;
}

/** The lower bound of one target: its slowest API at its rate, its repositories read in one shard part or more. */
function targetBoundMs(minimum: Record<string, number>, ratePerSecond: number): number {
  return rateLowerBoundMs(minimum, ratePerSecond);
}

/**
 * The ideal schedule for `concurrency` lanes: no lane idles and no target waits, so the run takes the longer of
 * the largest target and the total work spread evenly.
 */
function idealScheduleMs(bounds: readonly number[], concurrency: number): number {
  const total = bounds.reduce((a, b) => a + b, 0);
  return Math.max(Math.max(...bounds), total / concurrency);
}

export async function benchOrganizationRun(): Promise<string> {
  const settings = parseSettings({}, []);
  const concurrency = settings.BUILDWARDEN_ORG_AUDIT_MAX_CONCURRENCY;
  const pageBudget = settings.BUILDWARDEN_ORG_AUDIT_PAGE_BUDGET;
  const guardrails = parseGuardrails(
    readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'),
    'demo/guardrails.yml',
  );
  const plans = fleetPlan();
  log(`generating ${plans.length} account-regions`);
  const injectors = new Map<string, SimulatedFaultInjector>();
  const minimum = new Map<string, Record<string, number>>();
  const accounts = plans.map((p) => {
    const snapshot = generateAccount({
      ...p.target,
      repositories: p.repositories,
      projects: p.projects,
      roles: p.roles,
      seed: Number(p.target.accountId.slice(-6)) + p.repositories,
      now: NOW,
    });
    minimum.set(`${p.target.accountId}/${p.target.region}`, minimumCalls(snapshot));
    const injector = new SimulatedFaultInjector({
      '*': { latencyMs: p.latencyMs / TIME_SCALE, ratePerSecond: p.ratePerSecond * TIME_SCALE },
    });
    injectors.set(`${p.target.accountId}/${p.target.region}`, injector);
    return new SandboxAccount(snapshot, { faults: injector });
  });
  const fleet = SandboxFleet.ofAccounts(accounts);
  const directory = mkdtempSync(path.join(os.tmpdir(), 'bw-bench-org-'));
  const runs = new SandboxRunStore(directory);
  const runId = 'bench-run';
  const shardMs: number[] = [];
  let invocations = 0;
  let maxPartMs = 0;
  let large: { startMs: number; durationMs: number; boundMs: number } | undefined;

  log(`running: ${plans.length} targets, concurrency ${concurrency}, page budget ${pageBudget}`);
  const started = performance.now();
  const { targets } = await listRunTargets(fleet, runs, runId);
  await mapWithConcurrency(targets, concurrency, async (target) => {
    const t = performance.now();
    let input: ShardInput = { runId, target };
    for (;;) {
      const part = performance.now();
      const result = await auditShard(
        async (at) => Object.assign(fleet.account(at).ports(), { actionCatalog: catalogFor }),
        runs,
        guardrails,
        input,
        { now: NOW, pageBudget },
      );
      invocations += 1;
      maxPartMs = Math.max(maxPartMs, (performance.now() - part) * TIME_SCALE);
      if (!result.more) break;
      input = {
        runId,
        target,
        ...(result.nextToken ? { nextToken: result.nextToken } : {}),
        part: result.part,
      };
    }
    shardMs.push((performance.now() - t) * TIME_SCALE);
    const plan = plans.find(
      (p) =>
        p.target === target || (p.target.accountId === target.accountId && p.target.region === target.region),
    )!;
    if (plan.repositories === LARGE_REPOSITORIES) {
      large = {
        startMs: (t - started) * TIME_SCALE,
        durationMs: (performance.now() - t) * TIME_SCALE,
        boundMs: targetBoundMs(minimum.get(`${target.accountId}/${target.region}`)!, plan.ratePerSecond),
      };
    }
  });
  const auditedMs = (performance.now() - started) * TIME_SCALE;

  // The summary step alone: heap sampled while it streams every object of the run.
  const runBytes = filesSize(path.join(directory, 'runs', runId));
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 5);
  const summaryStarted = performance.now();
  const summary = await summarizeRun(runs, fleet, runId);
  const summaryMs = performance.now() - summaryStarted;
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  // The summary makes no rate-limited call: its real time is added unscaled.
  const wallMs = auditedMs + summaryMs;
  rmSync(directory, { recursive: true, force: true });

  // Calls: every simulated attempt of every account against the fewest the APIs allow.
  const calls: Record<string, number> = {};
  const fewest: Record<string, number> = {};
  for (const [key, injector] of injectors) {
    for (const [action, stats] of injector.stats) calls[action] = (calls[action] ?? 0) + stats.attempts;
    for (const [action, count] of Object.entries(minimum.get(key)!))
      fewest[action] = (fewest[action] ?? 0) + count;
  }
  const bounds = plans.map((p) =>
    targetBoundMs(minimum.get(`${p.target.accountId}/${p.target.region}`)!, p.ratePerSecond),
  );
  const ideal = idealScheduleMs(bounds, concurrency);
  const repositories = plans.reduce((sum, p) => sum + p.repositories, 0);
  const ratio = wallMs / ideal;

  const lines: string[] = [];
  lines.push(SECTION_START);
  lines.push('## Organization run (`npm run bench -- --org`)');
  lines.push('');
  lines.push(
    `A GENERATED, SIMULATED fleet of ${ACCOUNTS} accounts × ${REGIONS.length} Regions (${plans.length} targets, ` +
      `${repositories} repositories; 70% of account-regions with 1–30 repositories, 25% with 50–200, 5% with ` +
      `300–800, and one with ${LARGE_REPOSITORIES}), each account with its own simulated rate per API ` +
      '(10, 20 or 40 requests/s; 20/s for the large one, the assumed rate of the single-account bench) and ' +
      'latency (10, 20 or 40 ms), run through the organization-run steps as the state machine runs them: the ' +
      `targets listed, ${concurrency} shards at once (the Distributed Map's default MaxConcurrency), each shard ` +
      `reading at most ${pageBudget} DescribeRepositories pages and invoked again from its page token, then the ` +
      `streaming summary over a run store on disk. Simulated time runs ${TIME_SCALE}× faster than the wall clock ` +
      `(times below are simulated; CPU is not scaled, so its share is inflated ${TIME_SCALE}-fold). Run ` +
      `${new Date().toISOString()} on a shared ${os.cpus().length}-core machine (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
      'where other work competes for the CPU: read the ratios and medians, not the absolute times.',
  );
  lines.push('');
  lines.push(
    table(
      ['measure', 'value'],
      [
        ['wall time (simulated s)', round(wallMs / 1000, 1)],
        [
          `ideal schedule at concurrency ${concurrency} (s): max(largest target, total ÷ ${concurrency}) of the rate lower bounds`,
          round(ideal / 1000, 1),
        ],
        [
          'wall / ideal',
          `${round(ratio, 2)} (target ≤ ${RATIO_TARGET}: ${ratio <= RATIO_TARGET ? 'met' : '**missed**'})`,
        ],
        [
          `the ${LARGE_REPOSITORIES}-repository target: started at (s) / took (s) / its rate lower bound (s)`,
          large
            ? `${round(large.startMs / 1000, 1)} / ${round(large.durationMs / 1000, 1)} / ${round(large.boundMs / 1000, 1)}`
            : '—',
        ],
        ['shard invocations (targets + continuations)', `${invocations} (${targets.length} targets)`],
        ['longest shard invocation (simulated s; the task timeout is 600)', round(maxPartMs / 1000, 1)],
        ['median target (simulated s)', round(median(shardMs) / 1000, 2)],
        ['summary step (real ms)', round(summaryMs, 0)],
        [
          'summary step: peak heap growth / findings it streamed',
          `${round((heapPeak - heapBefore) / 1024 / 1024, 1)} MiB / ${round(runBytes / 1024 / 1024, 1)} MiB (${summary.byStatus.violation + summary.byStatus['not-visible'] + summary.byStatus.exempt + summary.byStatus.compliant} findings)`,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['API', 'calls', 'minimum', 'calls / minimum'],
      Object.keys(fewest)
        .sort()
        .map((action) => [
          action,
          calls[action] ?? 0,
          fewest[action]!,
          round((calls[action] ?? 0) / Math.max(1, fewest[action]!), 2),
        ]),
    ),
  );
  lines.push('');
  lines.push(
    "Calls not in the minimum (the organization, the shards' continuations): " +
      Object.keys(calls)
        .filter((a) => !(a in fewest))
        .sort()
        .map((a) => `${a} ${calls[a]}`)
        .join(', ') +
      '. A continuation re-reads the registry scanning configuration and the organization, and DescribeRepositories ' +
      'resumes from its token: no repository is read twice. IAM below its minimum: the audit reads roles only ' +
      'for an account-region with projects (the minimum counts one page for every target).',
  );
  lines.push(SECTION_END);
  return lines.join('\n');
}

function filesSize(directory: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const s = statSync(file);
      if (s.isDirectory()) walk(file);
      else total += s.size;
    }
  };
  walk(directory);
  return total;
}

/** Puts the section into bench/results.md, replacing an earlier one (the rest of the file is left as it is). */
export function writeOrganizationSection(section: string): void {
  const file = path.join(REPO_ROOT, 'bench', 'results.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(SECTION_START);
  const end = text.indexOf(SECTION_END);
  const next =
    start !== -1 && end !== -1
      ? `${text.slice(0, start)}${section}${text.slice(end + SECTION_END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

/** The organization section of an earlier results.md, kept when the other sections are regenerated. */
export function organizationSectionOf(text: string): string | undefined {
  const end = text.indexOf(SECTION_END);
  // The marker nearest the section's end: a results file written before the kept sections stopped at markers
  // may hold stray copies of it above.
  const start = end === -1 ? -1 : text.lastIndexOf(SECTION_START, end);
  return start !== -1 && end !== -1 ? text.slice(start, end + SECTION_END.length) : undefined;
}

/**
 * Runs one whole-account audit on a GENERATED, SIMULATED account in a process of its own (bench/run.ts
 * bundles this file and starts it with plain `node`, so the peak RSS is the audit's, not the bench's).
 * Input: an AuditRunConfig as JSON in argv[2]. Output: an AuditRunResult as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../lib/cli/deps';
import { evaluateAccount } from '../lib/policy/evaluate';
import { parseGuardrails } from '../lib/policy/guardrails';
import { catalogFor } from '../lib/action-catalog';
import { SandboxAccount } from '../lib/sandbox/account';
import { SimulatedFaultInjector } from '../lib/sandbox/faults';
import { generateAccount } from '../lib/sandbox/generate';
import { readAccount, runAudit, type AuditDeps } from '../lib/usecases/audit';
import { minimumCalls, type AuditRunConfig, type AuditRunResult } from './audit-model';

const NOW = new Date('2026-11-25T12:00:00Z');

/**
 * The sandbox with an index of repositories by name. SandboxAccount finds a repository by scanning the list,
 * which makes a 10,000-repository audit quadratic in the simulator (seconds of CPU that AWS, not buildwarden,
 * would spend); the audit never adds or removes repositories, so a fixed index is exact here.
 */
function depsOf(sandbox: SandboxAccount): AuditDeps {
  return sandboxDeps(sandbox);
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as AuditRunConfig;
  const repoRoot = process.argv[3]!;
  const guardrails = parseGuardrails(
    readFileSync(path.join(repoRoot, 'demo/guardrails.yml'), 'utf8'),
    'demo/guardrails.yml',
  );
  const account = generateAccount({
    repositories: config.repositories,
    projects: config.projects,
    roles: config.roles,
    seed: config.seed,
    now: NOW,
  });
  const rssAfterGenerateKiB = Math.round(process.memoryUsage().rss / 1024);

  const injector = new SimulatedFaultInjector({
    '*': {
      latencyMs: config.latencyMs / config.timeScale,
      ratePerSecond: config.ratePerSecond * config.timeScale,
    },
  });
  const sandbox = new SandboxAccount(account, { faults: injector });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let readsMs = 0;
  const report = await runAudit(depsOf(sandbox), guardrails, {
    now: NOW,
    concurrency: config.concurrency,
    onProgress: (p) => {
      if (p.phase === 'repository-read' && p.done === p.total) readsMs = performance.now() - started;
    },
  });
  const wallMs = (performance.now() - started) * config.timeScale;
  const auditCpuMs = cpuMs(process.cpuUsage(cpuBefore));
  const maxRssKiB = process.resourceUsage().maxRSS;

  const result: AuditRunResult = {
    config,
    wallMs,
    repositoryReadsMs: readsMs * config.timeScale,
    cpuMs: auditCpuMs,
    calls: Object.fromEntries(sandbox.calls),
    minimumCalls: minimumCalls(account),
    resources: {
      repositories: account.ecr.repositories.length,
      projects: account.codebuild.projects.length,
      roles: account.iam.roles.length,
    },
    findings: report.findings.length,
    notVisible: report.findings.filter((f) => f.status === 'not-visible').length,
    rssAfterGenerateKiB,
    maxRssKiB,
    rateLimitWaitMs: injector.totals().rateLimitWaitMs * config.timeScale,
  };

  if (config.measureEvaluation) {
    // evaluateAccount alone: the view is read once without faults, the catalogue loaded once, then timed.
    const view = await readAccount(depsOf(new SandboxAccount(account)), guardrails, {
      now: NOW,
      concurrency: 64,
    });
    const documents = [
      ...view.roles.flatMap((r) => r.RolePolicyList.map((p) => p.PolicyDocument)),
      ...view.policies.flatMap((p) => p.PolicyVersionList.map((v) => v.Document)),
    ];
    const actionCatalog = await catalogFor(documents);
    evaluateAccount(view, guardrails, { now: NOW, actionCatalog }); // warm-up
    const runs = 5;
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      evaluateAccount(view, guardrails, { now: NOW, actionCatalog });
      wall.push(performance.now() - t);
      cpu.push(cpuMs(process.cpuUsage(c)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    result.evaluation = {
      runs,
      cpuMs: median(cpu),
      wallMs: median(wall),
      resources: view.repositories.length + view.projects.length + view.roles.length,
    };
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * The scheduled organization-wide audit: the audit-shard with a tiny page budget (a registry too large for one
 * invocation goes on from its page token, and the parts together are the single-account audit), an account
 * that cannot be assumed, the streaming summary, and the state machine definition (deploy/
 * organization-audit.asl.json) validated with asl-validator and executed with aws-local-stepfunctions, its
 * tasks bound to the same use cases over the demo fleet.
 *
 * The local interpreter runs the Distributed Map's ItemProcessor inline (it has no child executions); the
 * definition reads its items from the state input (no ItemReader or ResultWriter), so nothing it uses is left
 * unexecuted but the distribution itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import validator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { catalogFor } from '../../lib/action-catalog';
import { ForbiddenError } from '../../lib/errors';
import { defaultGuardrails } from '../../lib/policy/guardrails';
import type { Finding } from '../../lib/policy/findings';
import type { Notification, RunStore, Target } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { SandboxFleet } from '../../lib/sandbox/fleet';
import { generateAccount } from '../../lib/sandbox/generate';
import { SandboxRunStore } from '../../lib/sandbox/run-store';
import { runAudit, type AuditDeps } from '../../lib/usecases/audit';
import { auditOrganization } from '../../lib/usecases/organization-audit';
import {
  listRunTargets,
  SHARD_DID_NOT_FINISH,
  shardKey,
  summarizeAndNotify,
  summarizeRun,
  type ShardInput,
  type ShardResult,
} from '../../lib/usecases/organization-run';
import { auditShard } from '../../lib/usecases/organization-shard';
import { NOW } from '../fixtures/builders';
import { REPO_ROOT } from '../fixtures/load';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); this is the same thing for Node 20.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

const TARGET: Target = { accountId: '111111111111', region: 'us-east-1' };

const depsOf =
  (fleet: SandboxFleet) =>
  async (target: Target): Promise<AuditDeps> => ({
    ...fleet.account(target).ports(),
    actionCatalog: catalogFor,
  });

async function allLines(runs: RunStore, prefix: string): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const key of runs.keys(prefix)) {
    if (!key.endsWith('.jsonl')) continue;
    for await (const line of runs.lines(key)) out.push(JSON.parse(line) as Finding);
  }
  return out;
}

const keyOf = (f: Finding) => `${f.ruleId} ${f.resourceArn} ${f.status} ${f.message}`;

describe('auditShard', () => {
  test('with a tiny page budget the shard goes on from its page token, and its parts are the whole audit', async () => {
    // Prepare
    const account = new SandboxAccount(
      generateAccount({ ...TARGET, repositories: 5, projects: 2, roles: 2 }),
    );
    const fleet = SandboxFleet.ofAccounts([account]);
    const runs = new SandboxRunStore();
    const results: ShardResult[] = [];

    // Act
    let input: ShardInput = { runId: 'run-1', target: TARGET };
    for (;;) {
      const result = await auditShard(depsOf(fleet), runs, defaultGuardrails(), input, {
        now: NOW,
        pageBudget: 1,
        pageSize: 2,
      });
      results.push(result);
      if (!result.more) break;
      input = result;
    }

    // Assess
    expect(results.map((r) => r.more)).toEqual([true, true, false]);
    expect(results.map((r) => r.repositories)).toEqual([2, 2, 1]);
    const parts = await allLines(runs, 'runs/run-1/');
    const whole = await runAudit(await depsOf(fleet)(TARGET), defaultGuardrails(), { now: NOW });
    expect(parts.map(keyOf).sort()).toEqual(whole.findings.map(keyOf).sort());
    expect(parts.every((f) => f.accountId === TARGET.accountId && f.region === TARGET.region)).toBe(true);
    expect(await runs.text(shardKey('run-1', TARGET))).toBeDefined();
    expect(await runs.text(shardKey('run-1', TARGET, 2))).toBeDefined();
  });

  test('an account whose member role cannot be assumed is one not-visible line, and the shard succeeds', async () => {
    // Prepare
    const runs = new SandboxRunStore();
    const denied = async (): Promise<AuditDeps> => {
      throw new ForbiddenError('not authorized to perform sts:AssumeRole on role/buildwarden-member');
    };

    // Act
    const result = await auditShard(
      denied,
      runs,
      defaultGuardrails(),
      { runId: 'run-1', target: TARGET },
      {
        now: NOW,
        pageBudget: 5,
      },
    );

    // Assess
    expect(result).toMatchObject({ more: false, counts: { 'not-visible': 1, violation: 0 } });
    expect(result.notAudited).toMatch(/sts:AssumeRole/);
    const [line] = await allLines(runs, 'runs/run-1/');
    expect(line).toMatchObject({ status: 'not-visible', accountId: TARGET.accountId, region: TARGET.region });
  });

  test('a run id that is not a plain name is refused before anything is written', async () => {
    // Prepare
    const runs = new SandboxRunStore();

    // Act
    const shard = auditShard(
      depsOf(SandboxFleet.ofAccounts([])),
      runs,
      defaultGuardrails(),
      {
        runId: '../other',
        target: TARGET,
      },
      { now: NOW, pageBudget: 1 },
    );

    // Assess
    await expect(shard).rejects.toThrow(/runId/);
  });
});

describe('summarizeRun', () => {
  test('counts per account, worst offenders, and targets that never reported, from the streamed lines only', async () => {
    // Prepare
    const runs = new SandboxRunStore();
    const fleet = SandboxFleet.ofAccounts([], { '222222222222': 'payments-prod' });
    const line = (accountId: string, status: string, severity: string) =>
      JSON.stringify({ ruleId: 'ecr.scan-on-push', status, severity, accountId, region: 'us-east-1' });
    await runs.put(
      'runs/r/targets.json',
      JSON.stringify([
        { accountId: '111111111111', region: 'us-east-1' },
        { accountId: '222222222222', region: 'us-east-1' },
        { accountId: '333333333333', region: 'us-east-1' },
      ]),
    );
    await runs.put('runs/r/111111111111/us-east-1.jsonl', `${line('111111111111', 'violation', 'medium')}\n`);
    await runs.put(
      'runs/r/222222222222/us-east-1.jsonl',
      [
        line('222222222222', 'violation', 'critical'),
        line('222222222222', 'compliant', 'high'),
        'not json',
      ].join('\n'),
    );
    const read: string[] = [];
    const spy: RunStore = {
      put: (k, b) => runs.put(k, b),
      text: (k) => (read.push(`text ${k}`), runs.text(k)),
      lines: (k) => (read.push(`lines ${k}`), runs.lines(k)),
      keys: (p) => runs.keys(p),
    };

    // Act
    const summary = await summarizeRun(spy, fleet, 'r');

    // Assess
    expect(summary.byStatus).toEqual({ violation: 2, 'not-visible': 0, exempt: 0, compliant: 1 });
    expect(summary.malformed).toBe(1);
    expect(summary.worst.map((w) => [w.accountId, w.name])).toEqual([
      ['222222222222', 'payments-prod'],
      ['111111111111', undefined],
    ]);
    expect(summary.notAudited).toEqual([
      { accountId: '333333333333', region: 'us-east-1', reason: SHARD_DID_NOT_FINISH },
    ]);
    expect(summary.targets).toBe(3);
    // Findings objects are streamed, never read whole.
    expect(read.filter((r) => r.startsWith('text ') && r.endsWith('.jsonl'))).toEqual([]);
  });
});

describe('the organization audit state machine', () => {
  const definitionText = readFileSync(path.join(REPO_ROOT, 'deploy/organization-audit.asl.json'), 'utf8');
  const definition = JSON.parse(
    definitionText.replace(/\$\{(\w+)\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:$1'),
  ) as Record<string, unknown>;

  test('is a valid Amazon States Language definition with a Distributed Map', () => {
    // Act
    const result = validator(definition);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(definitionText).toContain('"Mode": "DISTRIBUTED"');
    expect(definitionText).toContain('"MaxConcurrencyPath"');
    expect(definitionText).toContain('"ToleratedFailurePercentagePath"');
  });

  test('runs locally over the demo fleet and its summary agrees with audit --org', async () => {
    // Prepare
    const fleet = SandboxFleet.fromDirectory(path.join(REPO_ROOT, 'demo/organization'));
    const runs = new SandboxRunStore();
    const published: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void published.push(n) };
    const guardrails = defaultGuardrails();
    const machine = new StateMachine(definition as never);

    // Act
    const execution = machine.run(
      { maxConcurrency: 2, toleratedFailurePercentage: 10 },
      {
        context: { Execution: { Name: 'run-2026-12-07' } } as never,
        overrides: {
          taskResourceLocalHandlers: {
            ListTargets: async (input) =>
              (await listRunTargets(fleet, runs, (input as { runId: string }).runId)) as never,
            AuditShard: async (input) =>
              (await auditShard(depsOf(fleet), runs, guardrails, input as unknown as ShardInput, {
                now: NOW,
                pageBudget: 1,
                pageSize: 2,
              })) as never,
            Summarize: async (input) =>
              (await summarizeAndNotify(runs, fleet, notifier, (input as { runId: string }).runId)) as never,
          },
        },
      },
    );
    const result = (await execution.result) as unknown as {
      byStatus: Record<string, number>;
      targets: number;
    };
    const direct = await auditOrganization(fleet, depsOf(fleet), guardrails, { now: NOW });

    // Assess
    expect(result.targets).toBe(6);
    expect(result.byStatus).toEqual(direct.summary.byStatus);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toMatch(/^buildwarden organization audit: \d+ violations/);
    expect(published[0]!.message).toContain('111111111111 (payments-prod)');
    // Every account-region wrote its findings under the run, some in several parts.
    const keys: string[] = [];
    for await (const key of runs.keys('runs/run-2026-12-07/')) keys.push(key);
    expect(keys).toContain('runs/run-2026-12-07/111111111111/us-east-1.jsonl');
    expect(keys).toContain('runs/run-2026-12-07/111111111111/us-east-1.1.jsonl');
  }, 120_000);
});

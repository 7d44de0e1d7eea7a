/**
 * The use cases under SIMULATED faults: the demo account (demo/account.json) with about a quarter of all
 * simulated API calls throttled or failing with a 5xx, composed through the retrying wrapper of
 * lib/sandbox/retry.ts. Retries must make the faults invisible: the same findings as a fault-free audit, the
 * same end state as a fault-free replay of each ECR change event, and nothing left to change afterwards.
 * Latency 0 and a no-op sleep: no real waiting, no timing assertions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import { parseChangeEvent } from '../../lib/policy/change-events';
import { parseGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { parseSnapshot, type Snapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { seededRandom, SimulatedFaultInjector, type FaultPlan } from '../../lib/sandbox/faults';
import { runAudit } from '../../lib/usecases/audit';
import { onChangeEvent, type ChangeResult } from '../../lib/usecases/on-change';
import { withRetriedPorts, type RetryOptions } from '../../lib/sandbox/retry';
import { NOW } from '../fixtures/builders';
import { loadJson, REPO_ROOT } from '../fixtures/load';

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const guardrails: Guardrails = parseGuardrails(
  readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'),
  'demo/guardrails.yml',
);

/** 20% of all calls throttled, 3% answered with a 5xx (half 500, half 503), no latency. */
const FAULTS: FaultPlan = { '*': { throttleRate: 0.2, serverErrorRate: 0.03, latencyMs: 0 } };
const SEEDS = [1, 2, 3];

/**
 * The wrapper retries whole port operations. The largest here makes 5 simulated requests (repository with
 * images), which succeeds per attempt with probability 0.77^5 ≈ 0.27; 50 attempts leave a chance of about
 * 0.73^50 ≈ 2e-7 per operation of running out. The SDK's per-request budget is 8 (lib/aws/common.ts).
 */
function retryOptions(seed: number, retries: { count: number }): RetryOptions {
  return {
    maxAttempts: 50,
    random: seededRandom(seed + 1000),
    sleep: async () => {},
    onRetry: () => {
      retries.count += 1;
    },
  };
}

function demoSandbox(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(demoText));
}

function faultySandbox(seed: number): { sandbox: SandboxAccount; injector: SimulatedFaultInjector } {
  const injector = new SimulatedFaultInjector(FAULTS, { seed, sleep: async () => {} });
  return { sandbox: new SandboxAccount(parseSnapshot(demoText), { faults: injector }), injector };
}

type RawEvent = { 'detail-type': string } & Record<string, unknown>;

/** The ECR change events of events/ (CloudTrail calls); image scan and push events are not change events. */
const ECR_CHANGE_EVENTS = readdirSync(path.join(REPO_ROOT, 'events'))
  .filter((file) => /^ecr-.*\.json$/.test(file))
  .filter((file) => eventFile(file)['detail-type'].includes('via CloudTrail'))
  .sort();

function eventFile(name: string): RawEvent {
  return loadJson<RawEvent>(path.join('..', '..', 'events', name));
}

function replay(file: string, sandbox: SandboxAccount, retry?: RetryOptions): Promise<ChangeResult> {
  const deps = sandbox.ports();
  return onChangeEvent(
    parseChangeEvent(eventFile(file)),
    retry ? withRetriedPorts(deps, retry) : deps,
    guardrails,
    {
      now: NOW,
      ownRoleArns: [],
    },
  );
}

/** What remediation may change: repositories, the registry, projects and roles (not the notification log). */
function resourceState(snapshot: Snapshot) {
  return structuredClone({ ecr: snapshot.ecr, codebuild: snapshot.codebuild, iam: snapshot.iam });
}

describe('the audit under simulated throttling and server errors', () => {
  test('the test has ECR change events to replay', () => {
    expect(ECR_CHANGE_EVENTS.length).toBeGreaterThanOrEqual(8);
  });

  it.each(SEEDS)('seed %i: the findings equal those of the fault-free audit', async (seed) => {
    // Prepare
    const expected = await runAudit(sandboxDeps(demoSandbox()), guardrails, { now: NOW });
    const { sandbox, injector } = faultySandbox(seed);
    const retries = { count: 0 };

    // Act
    const report = await runAudit(
      withRetriedPorts(sandboxDeps(sandbox), retryOptions(seed, retries)),
      guardrails,
      {
        now: NOW,
      },
    );

    // Assess
    expect(report).toEqual(expected);
    expect(injector.totals().throttled).toBeGreaterThan(0);
    // Calls in flight together may fail together: one retry of their operation answers them all.
    expect(retries.count).toBeGreaterThan(0);
    expect(retries.count).toBeLessThanOrEqual(injector.totals().throttled + injector.totals().serverErrors);
  });

  test('across the seeds, both kinds of server error were injected and retried', async () => {
    // Prepare
    const injected = { throttled: 0, serverErrors: 0 };

    // Act
    for (const seed of SEEDS) {
      const { sandbox, injector } = faultySandbox(seed);
      await runAudit(withRetriedPorts(sandboxDeps(sandbox), retryOptions(seed, { count: 0 })), guardrails, {
        now: NOW,
      });
      injected.throttled += injector.totals().throttled;
      injected.serverErrors += injector.totals().serverErrors;
    }

    // Assess
    expect(injected.throttled).toBeGreaterThan(0);
    expect(injected.serverErrors).toBeGreaterThan(0);
  });

  test('without the retrying wrapper the same faults do reach the audit (the wrapper is what hides them)', async () => {
    // Prepare
    const expected = await runAudit(sandboxDeps(demoSandbox()), guardrails, { now: NOW });
    const { sandbox } = faultySandbox(SEEDS[0]!);

    // Act
    const outcome = await runAudit(sandboxDeps(sandbox), guardrails, { now: NOW }).then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    );

    // Assess: either the audit failed or some findings are not-visible; never silently equal.
    expect(outcome).not.toEqual({ report: expected });
  });
});

describe('replaying the ECR change events under simulated throttling and server errors', () => {
  it.each(ECR_CHANGE_EVENTS)('%s converges to the end state of the fault-free replay', async (file) => {
    for (const seed of SEEDS) {
      // Prepare
      const clean = demoSandbox();
      await replay(file, clean);
      const { sandbox } = faultySandbox(seed);

      // Act
      await replay(file, sandbox, retryOptions(seed, { count: 0 }));

      // Assess: resources and notifications alike (a fault is raised before the call takes effect).
      expect(sandbox.snapshot).toEqual(clean.snapshot);
    }
  });

  it.each(ECR_CHANGE_EVENTS)('%s replayed a second time under faults changes nothing', async (file) => {
    for (const seed of SEEDS) {
      // Prepare
      const { sandbox } = faultySandbox(seed);
      await replay(file, sandbox, retryOptions(seed, { count: 0 }));
      const afterFirst = resourceState(sandbox.snapshot);

      // Act
      const second = await replay(file, sandbox, retryOptions(seed + 100, { count: 0 }));

      // Assess
      expect(second.actions.filter((a) => a.applied)).toEqual([]);
      expect(resourceState(sandbox.snapshot)).toEqual(afterFirst);
    }
  });

  test('the replays did run into faults: some event needed retries', async () => {
    // Prepare
    let throttled = 0;

    // Act
    for (const file of ECR_CHANGE_EVENTS) {
      const { sandbox, injector } = faultySandbox(SEEDS[0]!);
      await replay(file, sandbox, retryOptions(SEEDS[0]!, { count: 0 }));
      throttled += injector.totals().throttled;
    }

    // Assess
    expect(throttled).toBeGreaterThan(0);
  });
});

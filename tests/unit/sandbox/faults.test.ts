/** The SIMULATED fault injector of the sandbox: deterministic faults, error shapes, latency and rate limits. */
import path from 'node:path';
import {
  checkFaultPlan,
  faultsFor,
  seededRandom,
  SimulatedFaultInjector,
  type FaultPlan,
} from '../../../lib/sandbox/faults';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { REPO_ROOT } from '../../fixtures/load';

/** Outcome of each of `n` calls: 'ok' or the error name. */
async function outcomes(injector: SimulatedFaultInjector, action: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await injector.beforeCall(action).then(
        () => 'ok',
        (e: Error) => e.name,
      ),
    );
  }
  return out;
}

/** A fake clock that only moves when told to, recording each sleep asked of it. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SimulatedFaultInjector: faults', () => {
  test('the same seed gives the same faults in the same order', async () => {
    const plan: FaultPlan = { '*': { throttleRate: 0.3, serverErrorRate: 0.1 } };

    const first = await outcomes(
      new SimulatedFaultInjector(plan, { seed: 7 }),
      'ecr:GetLifecyclePolicy',
      200,
    );
    const second = await outcomes(
      new SimulatedFaultInjector(plan, { seed: 7 }),
      'ecr:GetLifecyclePolicy',
      200,
    );

    expect(second).toEqual(first);
  });

  test('another seed gives another sequence', async () => {
    const plan: FaultPlan = { '*': { throttleRate: 0.3 } };

    const a = await outcomes(new SimulatedFaultInjector(plan, { seed: 1 }), 'ecr:DescribeImages', 100);
    const b = await outcomes(new SimulatedFaultInjector(plan, { seed: 2 }), 'ecr:DescribeImages', 100);

    expect(b).not.toEqual(a);
  });

  test('rates are honoured: about 20% throttled and 5% server errors over 10,000 calls', async () => {
    const injector = new SimulatedFaultInjector({ '*': { throttleRate: 0.2, serverErrorRate: 0.05 } });

    const result = await outcomes(injector, 'sns:Publish', 10_000);

    const share = (name: string) => result.filter((r) => r === name).length / result.length;
    expect(share('ThrottlingException')).toBeGreaterThan(0.18);
    expect(share('ThrottlingException')).toBeLessThan(0.22);
    expect(share('InternalServerException') + share('ServiceUnavailableException')).toBeGreaterThan(0.04);
    expect(share('InternalServerException') + share('ServiceUnavailableException')).toBeLessThan(0.06);
    expect(share('InternalServerException')).toBeGreaterThan(0);
    expect(share('ServiceUnavailableException')).toBeGreaterThan(0);
  });

  test('a throttle is shaped like the SDK raises it', async () => {
    const injector = new SimulatedFaultInjector({ 'ecr:DescribeRepositories': { throttleRate: 1 } });

    const error = await injector.beforeCall('ecr:DescribeRepositories').catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'ThrottlingException',
      $retryable: { throttling: true },
      $metadata: { httpStatusCode: 400 },
    });
    expect(error).toBeInstanceOf(Error);
  });

  test('server errors carry their HTTP status: 500 internal, 503 unavailable', async () => {
    const injector = new SimulatedFaultInjector({ '*': { serverErrorRate: 1 } }, { seed: 3 });
    const seen = new Map<string, number>();

    for (let i = 0; i < 50; i++) {
      const error = (await injector.beforeCall('iam:GetRole').catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
      };
      seen.set(error.name, error.$metadata.httpStatusCode);
    }

    expect(Object.fromEntries(seen)).toEqual({
      InternalServerException: 500,
      ServiceUnavailableException: 503,
    });
  });

  test('an action without faults in the plan is never failed, and statistics count every attempt', async () => {
    const injector = new SimulatedFaultInjector({ 'ecr:GetLifecyclePolicy': { throttleRate: 1 } });

    const result = await outcomes(injector, 'ecr:GetRepositoryPolicy', 20);

    expect(new Set(result)).toEqual(new Set(['ok']));
    expect(injector.stats.get('ecr:GetRepositoryPolicy')).toEqual({
      attempts: 20,
      throttled: 0,
      serverErrors: 0,
      rateLimitWaitMs: 0,
    });
  });
});

describe('fault plans', () => {
  test("an action's own entry wins over *, field by field", () => {
    const plan: FaultPlan = {
      '*': { throttleRate: 0.2, latencyMs: 20 },
      'ecr:DescribeImages': { throttleRate: 0.5 },
    };

    expect(faultsFor(plan, 'ecr:DescribeImages')).toEqual({ throttleRate: 0.5, latencyMs: 20 });
    expect(faultsFor(plan, 'ecr:GetLifecyclePolicy')).toEqual({ throttleRate: 0.2, latencyMs: 20 });
  });

  test.each([
    ['a rate above 1', { '*': { throttleRate: 1.5 } }, /probability/],
    ['rates adding up above 1', { '*': { throttleRate: 0.6, serverErrorRate: 0.6 } }, /exceeds 1/],
    ['a non-positive rate limit', { '*': { ratePerSecond: 0 } }, /positive/],
    ['an unknown setting', { '*': { throttlingRate: 0.2 } }, /unknown setting throttlingRate/],
    ['an action that is not an IAM action name', { DescribeImages: { throttleRate: 0.1 } }, /IAM action/],
  ])('%s is refused up front', (_name, plan, message) => {
    expect(() => checkFaultPlan(plan as FaultPlan)).toThrow(message);
  });
});

describe('SimulatedFaultInjector: latency and rate limits', () => {
  test('latency sleeps that long on every attempt, failed ones included', async () => {
    const clock = fakeClock();
    const injector = new SimulatedFaultInjector(
      { '*': { latencyMs: 20, throttleRate: 0.5 } },
      { sleep: clock.sleep, now: clock.now },
    );

    await outcomes(injector, 'ecr:DescribeImages', 10);

    expect(clock.sleeps).toEqual(Array(10).fill(20));
  });

  test('a rate limit paces back-to-back calls one interval apart', async () => {
    const clock = fakeClock();
    const injector = new SimulatedFaultInjector(
      { 'ecr:GetLifecyclePolicy': { ratePerSecond: 20 } },
      { sleep: clock.sleep, now: clock.now },
    );

    await Promise.all(Array.from({ length: 5 }, () => injector.beforeCall('ecr:GetLifecyclePolicy')));

    // Slots at 0, 50, 100, 150, 200 ms, all reserved at time 0.
    expect(clock.sleeps).toEqual([50, 100, 150, 200]);
    expect(injector.stats.get('ecr:GetLifecyclePolicy')!.rateLimitWaitMs).toBe(500);
  });

  test('a burst lets that many calls through at once, then paces', async () => {
    const clock = fakeClock();
    const injector = new SimulatedFaultInjector(
      { '*': { ratePerSecond: 10, burst: 3 } },
      { sleep: clock.sleep, now: clock.now },
    );

    await Promise.all(Array.from({ length: 5 }, () => injector.beforeCall('codebuild:BatchGetProjects')));

    expect(clock.sleeps).toEqual([100, 200]);
  });

  test('a caller that comes after a quiet period does not wait', async () => {
    const clock = fakeClock();
    const injector = new SimulatedFaultInjector(
      { '*': { ratePerSecond: 10 } },
      { sleep: clock.sleep, now: clock.now },
    );
    await injector.beforeCall('sns:Publish');

    clock.advance(1000);
    await injector.beforeCall('sns:Publish');

    expect(clock.sleeps).toEqual([]);
  });

  test('each action has its own bucket under a * rate', async () => {
    const clock = fakeClock();
    const injector = new SimulatedFaultInjector(
      { '*': { ratePerSecond: 10 } },
      { sleep: clock.sleep, now: clock.now },
    );

    await Promise.all([
      injector.beforeCall('ecr:GetLifecyclePolicy'),
      injector.beforeCall('ecr:GetRepositoryPolicy'),
    ]);

    expect(clock.sleeps).toEqual([]);
  });
});

describe('the sandbox account with faults', () => {
  const demo = path.join(REPO_ROOT, 'demo/account.json');

  test('every attempt is counted, failed ones included', async () => {
    const injector = new SimulatedFaultInjector({
      'ecr:GetRegistryScanningConfiguration': { throttleRate: 1 },
    });
    const sandbox = SandboxAccount.fromFile(demo);
    sandbox.faults = injector;

    await expect(sandbox.registry.scanningConfiguration()).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    await expect(sandbox.registry.scanningConfiguration()).rejects.toMatchObject({
      name: 'ThrottlingException',
    });

    expect(sandbox.calls.get('ecr:GetRegistryScanningConfiguration')).toBe(2);
  });

  test('a failed write changes nothing (the fault comes before the effect)', async () => {
    const sandbox = SandboxAccount.fromFile(demo);
    sandbox.faults = new SimulatedFaultInjector({ 'ecr:PutImageTagMutability': { serverErrorRate: 1 } });
    const before = structuredClone(sandbox.snapshot.ecr);

    await expect(
      sandbox.remediator.apply({
        type: 'PutImageTagMutability',
        repositoryName: 'web/frontend',
        imageTagMutability: 'IMMUTABLE',
      }),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: expect.any(Number) } });

    expect(sandbox.snapshot.ecr).toEqual(before);
  });

  test('a failed page fetch can be fetched again, and yields each page once', async () => {
    // Prepare: fail the first DescribeRepositories attempt only.
    const sandbox = SandboxAccount.fromFile(demo);
    let failures = 1;
    sandbox.faults = {
      beforeCall: async (action) => {
        if (action === 'ecr:DescribeRepositories' && failures-- > 0) throw new Error('injected');
      },
    };
    const iterator = sandbox.registry.repositoryPages()[Symbol.asyncIterator]();

    // Act
    const failed = await iterator.next().catch((e: Error) => e.message);
    const pages: string[][] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      pages.push(r.value.map((repository) => repository.repositoryName));
    }

    // Assess
    expect(failed).toBe('injected');
    expect(pages).toEqual([sandbox.snapshot.ecr.repositories.map((r) => r.repositoryName)]);
  });

  test('seededRandom is deterministic and within [0, 1)', () => {
    const a = seededRandom(99);
    const b = seededRandom(99);
    const values = Array.from({ length: 1000 }, () => a());

    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

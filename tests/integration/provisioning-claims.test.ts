/**
 * The provisioning use case under real concurrency with the DynamoDB claims (dynalite): many requests at once,
 * one project per name, no answer lost. The ProvisioningClaims port's contract, which the DynamoDB adapter and
 * the sandbox both pass, is tests/contract/provisioning-claims.contract.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentClient } from '../../lib/aws/verdicts';
import { DynamoProvisioningClaims } from '../../lib/aws/provisioning-claims';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { ProvisioningClaims } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { SimulatedFaultInjector } from '../../lib/sandbox/faults';
import {
  ConcurrentProvisioningError,
  createManagedProject,
  NotManagedError,
  type ProvisioningDeps,
} from '../../lib/usecases/provisioning';
import { startDynamo, type Dynamo } from '../fixtures/dynalite';
import { REPO_ROOT } from '../fixtures/load';

let dynamo: Dynamo;

beforeAll(async () => {
  dynamo = await startDynamo();
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

// ---------------------------------------------------------------------------------------------------------
// The use case under real concurrency: resources in the sandbox (with latency, so calls interleave), claims
// in DynamoDB.

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const guardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));

/**
 * The sandbox's ports with `claims`. A waiting request's polls wait for the next claim to end (or, once one has
 * ended, only yield): the test never sleeps, and a waiter never runs out of polls on a slow machine.
 */
function concurrentDeps(
  sandbox: SandboxAccount,
  claims?: ProvisioningClaims,
): ProvisioningDeps & { polls: () => number } {
  let ended = 0;
  let polls = 0;
  let waiting: (() => void)[] = [];
  const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));
  const observed: ProvisioningClaims | undefined = claims && {
    claimName: (c, now) => claims.claimName(c, now),
    readClaim: (name) => claims.readClaim(name),
    async endClaim(...args) {
      await claims.endClaim(...args);
      ended += 1;
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
    },
  };
  return {
    ...sandbox.ports(),
    claims: observed,
    sleep: () => {
      polls += 1;
      return ended > 0 ? yieldOnce() : new Promise<void>((resolve) => waiting.push(resolve));
    },
    polls: () => polls,
  };
}

/** A sandbox whose every API call yields to the event loop first, so concurrent requests interleave. */
function slowSandbox(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(demoText), {
    faults: new SimulatedFaultInjector(
      { '*': { latencyMs: 1 } },
      { seed: 7, sleep: () => new Promise<void>((resolve) => setImmediate(resolve)) },
    ),
  });
}

const body = (name: string) => ({
  name,
  source: { type: 'GITHUB', location: `https://github.com/example-org/${name.replace('/', '-')}.git` },
});

/** Settles every promise; the outcomes by kind. */
async function outcomes<T>(promises: Promise<T>[]) {
  const settled = await Promise.allSettled(promises);
  return {
    values: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    errors: settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : [])),
  };
}

describe('createManagedProject with claims on dynalite, under real concurrency', () => {
  test('10 identical requests at once: one 201, the others 200 with the same body, one project', async () => {
    // Prepare
    const sandbox = slowSandbox();
    const claims = new DynamoProvisioningClaims(dynamo.tables.idempotency, documentClient(dynamo.client));
    const deps = concurrentDeps(sandbox, claims);

    // Act
    const { values, errors } = await outcomes(
      Array.from({ length: 10 }, () => createManagedProject(body('race/identical'), deps, { guardrails })),
    );

    // Assess
    expect(errors.map((e) => `${e.name}: ${e.message}`)).toEqual([]);
    expect(values.filter((v) => v.created)).toHaveLength(1);
    expect(values.filter((v) => !v.created)).toHaveLength(9);
    const { status: _created, ...first } = values.find((v) => v.created)!.body;
    for (const v of values) expect(v.body).toEqual({ ...first, status: expect.any(String) });
    expect(sandbox.snapshot.codebuild.projects.filter((p) => p.name === 'race-identical')).toHaveLength(1);
    expect(
      sandbox.snapshot.ecr.repositories.filter((r) => r.repositoryName === 'race/identical'),
    ).toHaveLength(1);
    // The identical requests overlapped: some waited for the one in flight.
    expect(deps.polls()).toBeGreaterThan(0);
  }, 60_000);

  test('20 distinct requests at once: twenty 201s, each project complete', async () => {
    // Prepare
    const sandbox = slowSandbox();
    const claims = new DynamoProvisioningClaims(dynamo.tables.idempotency, documentClient(dynamo.client));
    const deps = concurrentDeps(sandbox, claims);
    const names = Array.from({ length: 20 }, (_, i) => `race/distinct-${i}`);

    // Act
    const { values, errors } = await outcomes(
      names.map((name) => createManagedProject(body(name), deps, { guardrails })),
    );

    // Assess
    expect(errors).toEqual([]);
    expect(values.map((v) => v.created)).toEqual(names.map(() => true));
    for (const name of names) {
      expect(sandbox.snapshot.ecr.repositories.some((r) => r.repositoryName === name)).toBe(true);
      expect(
        sandbox.snapshot.iam.roles.some((r) => r.RoleName === `buildwarden-${name.replace('/', '-')}`),
      ).toBe(true);
      expect(sandbox.snapshot.codebuild.projects.some((p) => p.name === name.replace('/', '-'))).toBe(true);
    }
  }, 60_000);

  test('a different spec for a name in flight is refused with ConcurrentProvisioningError, and the first persists', async () => {
    // Prepare
    const sandbox = slowSandbox();
    const claims = new DynamoProvisioningClaims(dynamo.tables.idempotency, documentClient(dynamo.client));
    const deps = concurrentDeps(sandbox, claims);

    // Act
    const { values, errors } = await outcomes([
      createManagedProject(body('race/different'), deps, { guardrails }),
      createManagedProject({ ...body('race/different'), computeType: 'BUILD_GENERAL1_LARGE' }, deps, {
        guardrails,
      }),
    ]);

    // Assess
    expect(values.map((v) => v.created)).toEqual([true]);
    expect(errors).toEqual([expect.any(ConcurrentProvisioningError)]);
    expect(sandbox.snapshot.codebuild.projects.filter((p) => p.name === 'race-different')).toHaveLength(1);
  }, 60_000);
});

describe('createManagedProject without claims, under real concurrency: request tokens alone', () => {
  test('10 identical requests at once never remove what the winner created', async () => {
    // Prepare
    const sandbox = slowSandbox();
    const deps = concurrentDeps(sandbox);

    // Act
    const { values, errors } = await outcomes(
      Array.from({ length: 10 }, () => createManagedProject(body('race/tokens'), deps, { guardrails })),
    );

    // Assess: the losers are refused (409s), and the winner's project is whole.
    expect(values.filter((v) => v.created)).toHaveLength(1);
    expect(
      errors.filter((e) => !(e instanceof ConcurrentProvisioningError || e instanceof NotManagedError)),
    ).toEqual([]);
    expect(sandbox.snapshot.ecr.repositories.filter((r) => r.repositoryName === 'race/tokens')).toHaveLength(
      1,
    );
    expect(sandbox.snapshot.iam.roles.filter((r) => r.RoleName === 'buildwarden-race-tokens')).toHaveLength(
      1,
    );
    expect(sandbox.snapshot.codebuild.projects.filter((p) => p.name === 'race-tokens')).toHaveLength(1);
  }, 60_000);
});

/**
 * The ProvisioningClaims port contract, run against both implementations: the DynamoDB adapter on a real
 * DynamoDB-compatible server (dynalite, the idempotency table of serverless.yml) and the sandbox account.
 * Then the provisioning use case under real concurrency with the DynamoDB claims: many requests at once, one
 * project per name, no answer lost.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentClient } from '../../lib/aws/verdicts';
import { DynamoProvisioningClaims } from '../../lib/aws/provisioning-claims';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { NameClaim, ProvisioningClaims } from '../../lib/ports';
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

let names = 0;
/** A project name no other test uses (the tests share one table). */
const freshName = () => `team-app-${++names}`;

const NOW = Date.parse('2026-11-25T12:00:00Z');

function claim(name: string, overrides: Partial<Omit<NameClaim, 'state'>> = {}): Omit<NameClaim, 'state'> {
  return { name, token: 'token-a', specHash: 'hash-1', expiresAt: NOW + 60_000, ...overrides };
}

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');

const implementations: [string, () => ProvisioningClaims][] = [
  [
    'DynamoProvisioningClaims on dynalite',
    () => new DynamoProvisioningClaims(dynamo.tables.idempotency, documentClient(dynamo.client)),
  ],
  ['the sandbox account', () => new SandboxAccount(parseSnapshot(demoText)).claims],
];

describe.each(implementations)('ProvisioningClaims contract: %s', (_name, make) => {
  test('claims a free name', async () => {
    // Prepare
    const claims = make();

    // Act
    const result = await claims.claimName(claim(freshName()), NOW);

    // Assess
    expect(result).toEqual({ claimed: true });
  });

  test('refuses a name held by an unexpired in-progress claim, answering with that claim', async () => {
    // Prepare
    const claims = make();
    const name = freshName();
    await claims.claimName(claim(name), NOW);

    // Act
    const result = await claims.claimName(claim(name, { token: 'token-b', specHash: 'hash-2' }), NOW + 1);

    // Assess
    expect(result).toEqual({
      claimed: false,
      holder: { name, token: 'token-a', specHash: 'hash-1', state: 'in-progress', expiresAt: NOW + 60_000 },
    });
  });

  test('takes over an in-progress claim that has expired (its holder crashed)', async () => {
    // Prepare
    const claims = make();
    const name = freshName();
    await claims.claimName(claim(name, { expiresAt: NOW + 1_000 }), NOW);

    // Act
    const result = await claims.claimName(claim(name, { token: 'token-b' }), NOW + 1_001);

    // Assess
    expect(result).toEqual({ claimed: true });
    expect(await claims.readClaim(name)).toMatchObject({ token: 'token-b', state: 'in-progress' });
  });

  test.each(['succeeded', 'failed'] as const)(
    'a claim that ended (%s) no longer holds the name',
    async (state) => {
      // Prepare
      const claims = make();
      const name = freshName();
      await claims.claimName(claim(name), NOW);
      await claims.endClaim(name, 'token-a', state, NOW + 60_000);

      // Act
      const result = await claims.claimName(claim(name, { token: 'token-b' }), NOW + 1);

      // Assess
      expect(result).toEqual({ claimed: true });
    },
  );

  test('reads nothing for a name never claimed', async () => {
    // Prepare
    const claims = make();

    // Act
    const read = await claims.readClaim(freshName());

    // Assess
    expect(read).toBeUndefined();
  });

  test('reads how a claim ended and until when it is kept', async () => {
    // Prepare
    const claims = make();
    const name = freshName();
    await claims.claimName(claim(name), NOW);

    // Act
    await claims.endClaim(name, 'token-a', 'succeeded', NOW + 90_000);

    // Assess
    expect(await claims.readClaim(name)).toEqual({
      name,
      token: 'token-a',
      specHash: 'hash-1',
      state: 'succeeded',
      expiresAt: NOW + 90_000,
    });
  });

  test('ending a claim the request no longer holds changes nothing', async () => {
    // Prepare
    const claims = make();
    const name = freshName();
    await claims.claimName(claim(name, { expiresAt: NOW + 1_000 }), NOW);
    await claims.claimName(claim(name, { token: 'token-b' }), NOW + 2_000);

    // Act
    await claims.endClaim(name, 'token-a', 'failed', NOW + 60_000);

    // Assess
    expect(await claims.readClaim(name)).toMatchObject({ token: 'token-b', state: 'in-progress' });
  });

  test('gives a name to exactly one of twenty requests claiming it at once', async () => {
    // Prepare
    const claims = make();
    const name = freshName();

    // Act
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claims.claimName(claim(name, { token: `token-${i}` }), NOW)),
    );

    // Assess
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });
});

describe('DynamoProvisioningClaims: the item beside the Powertools records', () => {
  test('is keyed buildwarden-provisioning#<name> and expires (TTL attribute expiration) an hour after its claim', async () => {
    // Prepare
    const claims = new DynamoProvisioningClaims(dynamo.tables.idempotency, documentClient(dynamo.client));
    const name = freshName();

    // Act
    await claims.claimName(claim(name), NOW);

    // Assess
    const items = await dynamo.items(dynamo.tables.idempotency);
    expect(items.find((i) => i.id === `buildwarden-provisioning#${name}`)).toEqual({
      id: `buildwarden-provisioning#${name}`,
      name,
      token: 'token-a',
      specHash: 'hash-1',
      state: 'in-progress',
      expiresAt: NOW + 60_000,
      expiration: Math.ceil((NOW + 60_000) / 1000) + 3600,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The use case under real concurrency: resources in the sandbox (with latency, so calls interleave), claims
// in DynamoDB.

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

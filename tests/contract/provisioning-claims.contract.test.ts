/**
 * The ProvisioningClaims port's contract, run against both implementations: the DynamoDB adapter on a real
 * DynamoDB-compatible server (dynalite, the idempotency table of serverless.yml) and the sandbox account. The
 * provisioning use case under real concurrency with these claims is tests/integration/provisioning-claims.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentClient } from '../../lib/aws/verdicts';
import { DynamoProvisioningClaims } from '../../lib/aws/provisioning-claims';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { NameClaim, ProvisioningClaims } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
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

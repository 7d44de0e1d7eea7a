/**
 * The sandbox fleet: a directory of account snapshots, one per account and region, listed as targets (with the
 * accounts' names from fleet.json), each account loaded on first use; duplicates and misnamed files refused; a
 * snapshot file is a fleet of one.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../../../lib/errors';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { fleetFileName, fleetIndex, SandboxFleet } from '../../../lib/sandbox/fleet';
import { generateAccount } from '../../../lib/sandbox/generate';

function fleetDir(
  targets: { accountId: string; region: string; file?: string }[],
  names?: Record<string, string>,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-fleet-'));
  for (const t of targets) {
    const snapshot = generateAccount({
      accountId: t.accountId,
      region: t.region,
      repositories: 2,
      projects: 1,
      roles: 1,
    });
    writeFileSync(path.join(dir, t.file ?? fleetFileName(t)), JSON.stringify(snapshot));
  }
  if (names) writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(fleetIndex(names)));
  return dir;
}

describe('SandboxFleet', () => {
  test('lists every account and region of a directory, accounts then regions ascending', async () => {
    // Prepare
    const dir = fleetDir([
      { accountId: '222222222222', region: 'us-east-1' },
      { accountId: '111111111111', region: 'us-east-1' },
      { accountId: '111111111111', region: 'eu-west-1' },
    ]);

    // Act
    const targets = await SandboxFleet.fromDirectory(dir).targets();

    // Assess
    expect(targets).toEqual([
      { accountId: '111111111111', region: 'eu-west-1' },
      { accountId: '111111111111', region: 'us-east-1' },
      { accountId: '222222222222', region: 'us-east-1' },
    ]);
  });

  test('a file under any other name is read for the account and region it holds', async () => {
    // Prepare
    const dir = fleetDir([{ accountId: '444455556666', region: 'eu-central-1', file: 'prod.json' }]);

    // Act
    const targets = await SandboxFleet.fromDirectory(dir).targets();

    // Assess
    expect(targets).toEqual([{ accountId: '444455556666', region: 'eu-central-1' }]);
  });

  test('two files for the same account and region are refused, naming both', () => {
    // Prepare
    const dir = fleetDir([
      { accountId: '111111111111', region: 'us-east-1' },
      { accountId: '111111111111', region: 'us-east-1', file: 'copy.json' },
    ]);

    // Act
    const load = () => SandboxFleet.fromDirectory(dir);

    // Assess
    expect(load).toThrow(InvalidInputError);
    expect(load).toThrow(
      /two snapshots for account 111111111111 in us-east-1: .*111111111111\.us-east-1\.json and .*copy\.json/,
    );
  });

  test('accounts are loaded on first use, and a file whose name and content disagree is refused then', () => {
    // Prepare
    const dir = fleetDir([{ accountId: '111111111111', region: 'us-east-1' }]);
    copyFileSync(
      path.join(dir, '111111111111.us-east-1.json'),
      path.join(dir, '999999999999.us-east-1.json'),
    );
    const fleet = SandboxFleet.fromDirectory(dir);

    // Act
    const good = fleet.account({ accountId: '111111111111', region: 'us-east-1' });
    const bad = () => fleet.account({ accountId: '999999999999', region: 'us-east-1' });

    // Assess
    expect(good.info).toEqual({ accountId: '111111111111', region: 'us-east-1' });
    expect(bad).toThrow(
      /the name says account 999999999999 in us-east-1; the snapshot holds account 111111111111/,
    );
  });

  test("accounts' names come from fleet.json; an account without one has no name", async () => {
    // Prepare
    const dir = fleetDir(
      [
        { accountId: '111111111111', region: 'us-east-1' },
        { accountId: '222222222222', region: 'us-east-1' },
      ],
      { '111111111111': 'payments-prod' },
    );
    const fleet = SandboxFleet.fromDirectory(dir);

    // Act
    const names = [await fleet.accountName('111111111111'), await fleet.accountName('222222222222')];

    // Assess
    expect(names).toEqual(['payments-prod', undefined]);
  });

  test('a malformed fleet.json is invalid input naming the file and field', () => {
    // Prepare
    const dir = fleetDir([{ accountId: '111111111111', region: 'us-east-1' }]);
    writeFileSync(
      path.join(dir, 'fleet.json'),
      JSON.stringify({ format: 'buildwarden-fleet/1', accounts: { x: { name: 'a' } } }),
    );

    // Act
    const load = () => SandboxFleet.fromDirectory(dir);

    // Assess
    expect(load).toThrow(/fleet\.json is invalid:[\s\S]*accounts/);
  });

  test('a snapshot file is a fleet of one', async () => {
    // Prepare
    const dir = fleetDir([{ accountId: '111111111111', region: 'us-east-1' }]);
    const file = path.join(dir, '111111111111.us-east-1.json');

    // Act
    const fleet = SandboxFleet.load(file);

    // Assess
    expect(await fleet.targets()).toEqual([{ accountId: '111111111111', region: 'us-east-1' }]);
    expect(fleet.single()).toBeInstanceOf(SandboxAccount);
    expect(fleet.fileOf({ accountId: '111111111111', region: 'us-east-1' })).toBe(file);
  });
});

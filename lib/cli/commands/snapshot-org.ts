/**
 * `buildwarden snapshot --org --out DIR`: one snapshot per account and region of the organization (or of the
 * fleet `--snapshot DIR`) into DIR, named `<account id>.<region>.json`, with the accounts' names in
 * `fleet.json`: the result is a fleet every command's `--snapshot` takes. An account-region that cannot be
 * read at all is left out with a warning on stderr and never stops the others.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fleetFileName, fleetIndex, FLEET_INDEX } from '../../sandbox/fleet';
import { captureSnapshot } from '../../usecases/snapshot';
import { describeError } from '../../usecases/errors';
import type { Target, TargetLister } from '../../ports';
import type { AuditDeps } from '../../usecases/audit';
import { liveOrganizationDeps, sandboxDeps } from '../deps';
import { EXIT, stringOption, UsageError, type Io } from '../framework';
import { loadFleet } from '../inputs';
import { ACCOUNT_ID, listOption, liveOrganizationSettings, narrowed, REGION } from './audit-org';

/** Whole or not at all, owner-only (with --include-secrets a snapshot holds credentials in clear). */
function writeOwnerOnly(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export async function snapshotOrganization(
  values: Record<string, string | boolean | undefined>,
  io: Io,
): Promise<number> {
  const out = stringOption(values, 'out');
  if (out === undefined) throw new UsageError('--org: --out DIR is required (one file per account-region)');
  const accounts = listOption(
    '--accounts',
    stringOption(values, 'accounts'),
    ACCOUNT_ID,
    '12-digit account ids',
  );
  const regions = listOption(
    '--regions',
    stringOption(values, 'regions'),
    REGION,
    'AWS regions such as us-east-1',
  );
  const source = stringOption(values, 'snapshot');
  let lister: TargetLister;
  let depsFor: (target: Target) => Promise<AuditDeps>;
  if (source === undefined) {
    const settings = liveOrganizationSettings(io, {
      regions,
      accounts,
      roleName: stringOption(values, 'role-name'),
      externalId: stringOption(values, 'external-id'),
    });
    ({ lister, depsFor } = await liveOrganizationDeps(settings));
  } else {
    const fleet = loadFleet(source, io);
    lister = narrowed(fleet, accounts, regions);
    depsFor = async (target) => sandboxDeps(fleet.account(target));
  }
  const dir = path.resolve(io.cwd, out);
  mkdirSync(dir, { recursive: true });
  const targets = await lister.targets();
  const names: Record<string, string> = {};
  let written = 0;
  for (const target of targets) {
    try {
      const snapshot = await captureSnapshot(await depsFor(target), {
        now: new Date(),
        includeSecrets: values['include-secrets'] === true,
      });
      writeOwnerOnly(path.join(dir, fleetFileName(target)), `${JSON.stringify(snapshot, null, 2)}\n`);
      written += 1;
      io.stderr(
        `account ${target.accountId} ${target.region}: ${snapshot.ecr.repositories.length} repositories\n`,
      );
    } catch (error) {
      io.stderr(`warning: account ${target.accountId} ${target.region} left out: ${describeError(error)}\n`);
    }
    const name = await lister.accountName(target.accountId);
    if (name !== undefined) names[target.accountId] = name;
  }
  writeOwnerOnly(path.join(dir, FLEET_INDEX), `${JSON.stringify(fleetIndex(names), null, 2)}\n`);
  io.stderr(`wrote ${out}: ${written} of ${targets.length} account-regions\n`);
  return EXIT.ok;
}

/**
 * The sandbox fleet: a SIMULATED organization, kept as a directory of account snapshots
 * (`/work/shared/snapshot-format.md`), one file per account and region. Each snapshot names its own account and
 * region (`accountId`, `region`); two files for the same account and region are refused. The optional index
 * `fleet.json` (`{"format": "buildwarden-fleet/1", "accounts": {"<id>": {"name": "…"}}}`) gives the accounts'
 * names as AWS Organizations would. A file `<account id>.<region>.json` (the name `snapshot --org` writes) is
 * listed by its name without being read; any other `*.json` file is read once to learn its account and region.
 * Each account is loaded on first use (a fleet of one hundred accounts does not hold them all until asked).
 *
 * A single snapshot file is a fleet of one (`SandboxFleet.of`), so every command takes either.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { parseJsonText } from '../policy/nesting';
import { parseSnapshot, type Snapshot } from '../policy/snapshot';
import { InvalidInputError } from '../errors';
import type { Target, TargetLister } from '../ports';
import { SandboxAccount } from './account';
import type { FaultInjector } from './faults';

export const FLEET_INDEX = 'fleet.json';
export const FLEET_FORMAT = 'buildwarden-fleet/1';

/** The file name `snapshot --org` gives a target's snapshot. */
export const fleetFileName = (target: Target): string => `${target.accountId}.${target.region}.json`;

const NAMED_FILE = /^(\d{12})\.([a-z]{2}(?:-[a-z]+)+-\d)\.json$/;

const fleetIndexSchema = z
  .object({
    format: z.literal(FLEET_FORMAT),
    accounts: z.record(z.string().regex(/^\d{12}$/), z.object({ name: z.string().min(1).max(50) }).strict()),
  })
  .strict();

export type FleetIndex = z.infer<typeof fleetIndexSchema>;

const key = (target: Target) => `${target.accountId}/${target.region}`;

/** Accounts ascending, then regions ascending. */
const byTarget = (a: Target, b: Target) =>
  a.accountId === b.accountId ? (a.region < b.region ? -1 : 1) : a.accountId < b.accountId ? -1 : 1;

interface Entry {
  target: Target;
  /** The file the account is kept in (undefined for an account given in memory). */
  file?: string;
  account?: SandboxAccount;
}

export class SandboxFleet implements TargetLister {
  private readonly entries = new Map<string, Entry>();
  private faultsFor: ((target: Target) => FaultInjector | undefined) | undefined;

  private constructor(
    entries: readonly Entry[],
    private readonly names: Readonly<Record<string, string>> = {},
  ) {
    for (const entry of entries) {
      const k = key(entry.target);
      const other = this.entries.get(k);
      if (other) {
        throw new InvalidInputError('the fleet', [
          `two snapshots for account ${entry.target.accountId} in ${entry.target.region}: ${other.file ?? '(in memory)'} and ${entry.file ?? '(in memory)'}`,
        ]);
      }
      this.entries.set(k, entry);
    }
  }

  /** A fleet of one: a single snapshot file, or an account already loaded. */
  static of(account: SandboxAccount, file?: string): SandboxFleet {
    return new SandboxFleet([{ target: account.info, account, ...(file !== undefined ? { file } : {}) }]);
  }

  /** Accounts in memory (tests, the bench), with their names. */
  static ofAccounts(accounts: readonly SandboxAccount[], names: Record<string, string> = {}): SandboxFleet {
    return new SandboxFleet(
      accounts.map((account) => ({ target: account.info, account })),
      names,
    );
  }

  /** The fleet kept in `directory`; bad content is InvalidInputError naming the file. */
  static fromDirectory(directory: string): SandboxFleet {
    const files = readdirSync(directory)
      .filter((name) => name.endsWith('.json') && name !== FLEET_INDEX)
      .sort();
    const entries = files.map((name): Entry => {
      const file = path.join(directory, name);
      const named = NAMED_FILE.exec(name);
      if (named) return { target: { accountId: named[1]!, region: named[2]! }, file };
      const snapshot = parseSnapshot(readFileSync(file, 'utf8'), file);
      return { target: { accountId: snapshot.accountId, region: snapshot.region }, file };
    });
    return new SandboxFleet(entries, readIndex(directory));
  }

  /** A snapshot file (a fleet of one) or a fleet directory. */
  static load(fileOrDirectory: string): SandboxFleet {
    if (statSync(fileOrDirectory).isDirectory()) return SandboxFleet.fromDirectory(fileOrDirectory);
    return SandboxFleet.of(SandboxAccount.fromFile(fileOrDirectory), fileOrDirectory);
  }

  /** SIMULATED faults per account (rate limits, latency): applied to each account as it is loaded. */
  withFaults(faultsFor: (target: Target) => FaultInjector | undefined): this {
    this.faultsFor = faultsFor;
    for (const entry of this.entries.values()) {
      if (entry.account) entry.account.faults = faultsFor(entry.target);
    }
    return this;
  }

  async targets(): Promise<Target[]> {
    return this.list();
  }

  /** The targets, synchronously. */
  list(): Target[] {
    return [...this.entries.values()].map((entry) => ({ ...entry.target })).sort(byTarget);
  }

  async accountName(accountId: string): Promise<string | undefined> {
    return this.names[accountId];
  }

  has(target: Target): boolean {
    return this.entries.has(key(target));
  }

  /** The single account of a fleet of one; undefined when the fleet holds several. */
  single(): SandboxAccount | undefined {
    if (this.entries.size !== 1) return undefined;
    return this.account([...this.entries.values()][0]!.target);
  }

  /** The target's account, loaded on first use; a target outside the fleet is a RangeError. */
  account(target: Target): SandboxAccount {
    const entry = this.entries.get(key(target));
    if (!entry)
      throw new RangeError(`fleet: no snapshot for account ${target.accountId} in ${target.region}`);
    if (!entry.account) {
      const snapshot: Snapshot = parseSnapshot(readFileSync(entry.file!, 'utf8'), entry.file);
      if (snapshot.accountId !== target.accountId || snapshot.region !== target.region) {
        throw new InvalidInputError(entry.file!, [
          `the name says account ${target.accountId} in ${target.region}; the snapshot holds account ${snapshot.accountId} in ${snapshot.region}`,
        ]);
      }
      entry.account = new SandboxAccount(snapshot);
      const faults = this.faultsFor?.(target);
      if (faults) entry.account.faults = faults;
    }
    return entry.account;
  }

  /** The file a target is kept in (undefined for an account given in memory). */
  fileOf(target: Target): string | undefined {
    return this.entries.get(key(target))?.file;
  }

  /** Writes every loaded account back to its file (what a command changed). */
  saveLoaded(): void {
    for (const entry of this.entries.values()) {
      if (entry.account && entry.file !== undefined) entry.account.saveTo(entry.file);
    }
  }
}

function readIndex(directory: string): Record<string, string> {
  const file = path.join(directory, FLEET_INDEX);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = fleetIndexSchema.safeParse(parseJsonText(text, file));
  if (!parsed.success) {
    throw new InvalidInputError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`),
    );
  }
  return Object.fromEntries(Object.entries(parsed.data.accounts).map(([id, { name }]) => [id, name]));
}

/** The index naming the accounts of a fleet directory. */
export function fleetIndex(names: Readonly<Record<string, string>>): FleetIndex {
  return {
    format: FLEET_FORMAT,
    accounts: Object.fromEntries(Object.entries(names).map(([id, name]) => [id, { name }])),
  };
}

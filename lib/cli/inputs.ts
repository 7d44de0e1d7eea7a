/** Reading the CLI's input files: every file crosses a trust boundary and is parsed with its schema. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, InvalidInputError } from '../errors';
import type { Guardrails } from '../policy/guardrails';
import { SandboxAccount } from '../sandbox/account';
import { SandboxFleet } from '../sandbox/fleet';
import { parseJsonText } from '../policy/nesting';
import { parseSnapshot } from '../policy/snapshot';
import { readGuardrails } from '../guardrails-file';
import { parseSettings, type Settings } from '../settings';
import { UsageError, type Io } from './framework';

export function readInputFile(file: string, io: Io): string {
  const full = path.resolve(io.cwd, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

/** A JSON input file, parsed with the nesting bound; bad JSON is InvalidInputError naming the file. */
export function readJsonFile(file: string, io: Io): unknown {
  return parseJsonText(readInputFile(file, io), file);
}

/**
 * The CLI's settings: its environment through the one settings schema (lib/settings.ts), as a function's is. A
 * malformed value is bad usage naming the variable.
 */
export function settingsOf(io: Io): Settings {
  try {
    return parseSettings(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The guardrails in force: `--config FILE`, else $BUILDWARDEN_CONFIG, else ./guardrails.yml when present,
 * else the documented defaults.
 */
export function loadGuardrails(file: string | undefined, io: Io): { guardrails: Guardrails; source: string } {
  const chosen =
    file ??
    settingsOf(io).BUILDWARDEN_CONFIG ??
    (existsSync(path.resolve(io.cwd, 'guardrails.yml')) ? 'guardrails.yml' : undefined);
  const guardrails = readGuardrails(chosen, (f) => readInputFile(f, io));
  return { guardrails, source: chosen ?? '(defaults)' };
}

/**
 * `--snapshot PATH`: a snapshot file, or a fleet directory holding exactly one account-region (a fleet of one is
 * the same as its file). `file` is where a command saves the account back.
 */
export function loadSandbox(file: string, io: Io): SandboxAccount & { file?: string } {
  if (!isDirectory(path.resolve(io.cwd, file))) {
    return new SandboxAccount(parseSnapshot(readInputFile(file, io), file));
  }
  const fleet = loadFleet(file, io);
  const targets = fleet.list();
  const [only] = targets;
  if (targets.length !== 1 || only === undefined) {
    throw new UsageError(
      `--snapshot ${file}: the fleet holds ${targets.length} account-regions; this command acts on one (name its file${targets.length > 1 ? ', or use --org where the command has it' : ''})`,
    );
  }
  return Object.assign(fleet.account(only), { file: fleet.fileOf(only) });
}

/** `--snapshot PATH` as a fleet: a fleet directory, or a snapshot file as a fleet of one. */
export function loadFleet(file: string, io: Io): SandboxFleet {
  const full = path.resolve(io.cwd, file);
  if (!isDirectory(full)) return SandboxFleet.of(loadSandbox(file, io), full);
  try {
    return SandboxFleet.fromDirectory(full);
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function isDirectory(full: string): boolean {
  try {
    return statSync(full).isDirectory();
  } catch {
    return false;
  }
}

/** Reading the CLI's input files: every file crosses a trust boundary and is parsed with its schema. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import type { Guardrails } from '../policy/guardrails';
import { SandboxAccount } from '../sandbox/account';
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

export function loadSandbox(file: string, io: Io): SandboxAccount {
  return new SandboxAccount(parseSnapshot(readInputFile(file, io), file));
}

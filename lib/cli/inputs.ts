/** Reading the CLI's input files: every file crosses a trust boundary and is parsed with its schema. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultGuardrails, parseGuardrails, type Guardrails } from '../policy/guardrails';
import { SandboxAccount } from '../sandbox/account';
import { parseJsonText } from '../policy/nesting';
import { parseSnapshot } from '../policy/snapshot';
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
 * The guardrails in force: `--config FILE`, else $BUILDWARDEN_CONFIG, else ./guardrails.yml when present,
 * else the documented defaults.
 */
export function loadGuardrails(file: string | undefined, io: Io): { guardrails: Guardrails; source: string } {
  const chosen =
    file ??
    io.env.BUILDWARDEN_CONFIG ??
    (existsSync(path.resolve(io.cwd, 'guardrails.yml')) ? 'guardrails.yml' : undefined);
  if (chosen === undefined) return { guardrails: defaultGuardrails(), source: '(defaults)' };
  return { guardrails: parseGuardrails(readInputFile(chosen, io), chosen), source: chosen };
}

export function loadSandbox(file: string, io: Io): SandboxAccount {
  return new SandboxAccount(parseSnapshot(readInputFile(file, io), file));
}

/**
 * Reading a guardrails file (YAML, JSON being YAML too) through the guardrails schema: the CLI's `--config`
 * and, when a function runs unbundled (tests, tsx), BUILDWARDEN_CONFIG. A packaged function never comes here:
 * its guardrails are compiled to JSON at package time (scripts/compiled-guardrails.js) and it only parses that
 * JSON (lib/runtime/lambda.ts), so neither the YAML parser nor the guardrails schema is in its bundle.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, InvalidInputError } from './errors';
import { defaultGuardrails, parseGuardrails, type Guardrails } from './policy/guardrails';
import type { Settings } from './settings';

/**
 * The guardrails in `file` — read with `read`, named `source` in messages — or the built-in defaults when there
 * is no file. The one way both front doors load guardrails; each says where the file comes from.
 */
export function readGuardrails(
  file: string | undefined,
  read: (file: string) => string,
  source: string = file ?? '(defaults)',
): Guardrails {
  if (file === undefined) return defaultGuardrails();
  return parseGuardrails(read(file), source);
}

/** The guardrails an unbundled function runs with: the file BUILDWARDEN_CONFIG names, or the defaults. */
export function functionGuardrails(settings: Settings): Guardrails {
  const file = settings.BUILDWARDEN_CONFIG;
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`BUILDWARDEN_CONFIG: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  try {
    return readGuardrails(file, read, `BUILDWARDEN_CONFIG (${file})`);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ConfigError(error.message);
    throw error;
  }
}

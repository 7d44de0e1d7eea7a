/** A small command framework over node:util parseArgs: one definition gives parsing, validation and --help. */
import { parseArgs } from 'node:util';
import { DomainError } from '../errors';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** True when stderr is a terminal (progress redraws in place). */
  stderrIsTty: boolean;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  valueName?: string;
  short?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: [min, max]. */
  positionals?: [number, number];
  details?: string;
  run: (
    args: { values: Record<string, string | boolean | undefined>; positionals: string[] },
    io: Io,
  ) => Promise<number>;
}

/** Bad usage or bad input: exit code 2 with the message on stderr. */
export class UsageError extends DomainError {
  override readonly name: string = 'UsageError';
  readonly kind = 'invalid-input';
}

/**
 * Exit statuses: `findings` also for refusals (not found, conflict, forbidden); `failure` when the work
 * failed — an AWS call, a provisioning step (rolled back), or anything unexpected such as no credentials.
 */
export const EXIT = { ok: 0, findings: 1, usage: 2, unknown: 3, failure: 4 } as const;

export function helpText(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.details) lines.push('', command.details);
  const entries = Object.entries(command.options);
  if (entries.length > 0) {
    lines.push('', 'Options:');
    const rows = entries.map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
      return [flag, spec.description] as const;
    });
    rows.push(['-h, --help', 'show this help']);
    const width = Math.max(...rows.map(([f]) => f.length)) + 2;
    for (const [flag, description] of rows) lines.push(`  ${flag.padEnd(width)}${description}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runCommand(command: Command, argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.entries(command.options).map(([name, spec]) => [
            name,
            { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${helpText(command)}`);
  }
  if (parsed.values.help) {
    io.stdout(helpText(command));
    return EXIT.ok;
  }
  const [min, max] = command.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`wrong number of arguments\n\n${helpText(command)}`);
  }
  return command.run(
    {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    },
    io,
  );
}

export function stringOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function choiceOption<T extends string>(
  values: Record<string, string | boolean | undefined>,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = stringOption(values, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${value}")`);
  }
  return value as T;
}

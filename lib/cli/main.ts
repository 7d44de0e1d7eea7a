/**
 * The `buildwarden` command. Every command calls the same use cases as the Lambda functions; this is a
 * second front door, not a second implementation.
 */
import { DomainError, kindOf, type ErrorKind } from '../errors';
import { processEnvironment } from '../settings';
import { auditCommand } from './commands/audit';
import { configValidateCommand } from './commands/config';
import { snapshotCommand } from './commands/snapshot';
import { lifecyclePreviewCommand, lifecycleValidateCommand } from './commands/lifecycle';
import { replayCommand } from './commands/replay';
import { verdictCommand } from './commands/verdict';
import {
  projectsCreateCommand,
  projectsDeleteCommand,
  projectsListCommand,
  projectsShowCommand,
} from './commands/projects';
import { EXIT, runCommand, UsageError, type Command, type Io } from './framework';

const commands: Command[] = [
  auditCommand,
  snapshotCommand,
  configValidateCommand,
  lifecycleValidateCommand,
  lifecyclePreviewCommand,
  replayCommand,
  verdictCommand,
  projectsCreateCommand,
  projectsListCommand,
  projectsShowCommand,
  projectsDeleteCommand,
];

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: buildwarden <command> [options]',
    '',
    'Guardrails for AWS CodeBuild + Amazon ECR container build pipelines.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `buildwarden <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

/** `buildwarden projects --help`: the subcommands of a group (`projects`, `lifecycle`, `config`). */
function groupHelp(group: string, members: Command[]): string {
  const names = members.map((c) => c.name.slice(group.length + 1));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `Usage: buildwarden ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...members.map((c, i) => `  ${names[i]!.padEnd(width)}${c.summary}`),
    '',
    `Run \`buildwarden ${group} <subcommand> --help\` for the options of a subcommand.`,
    '',
  ].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  // Longest match first, so `config validate` wins over a hypothetical `config`.
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: processEnvironment(),
    cwd: process.cwd(),
    stderrIsTty: process.stderr.isTTY === true,
  };
}

export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout(mainHelp());
      return argv.length === 0 ? EXIT.usage : EXIT.ok;
    }
    if (argv[0] === '--version') {
      io.stdout(`${VERSION}\n`);
      return EXIT.ok;
    }
    const found = findCommand(argv);
    const members = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (!found && members.length > 0 && ['--help', '-h', 'help'].includes(argv[1] ?? '')) {
      io.stdout(groupHelp(argv[0]!, members));
      return EXIT.ok;
    }
    if (!found && members.length > 0 && argv.length === 1) {
      throw new UsageError(`${argv[0]} needs a subcommand\n\n${groupHelp(argv[0]!, members)}`);
    }
    if (!found) {
      const group = members;
      const hint = group.length > 0 ? `; one of: ${group.map((c) => c.name).join(', ')}` : '';
      throw new UsageError(
        `unknown command "${argv.slice(0, group.length > 0 ? 2 : 1).join(' ')}"${hint}\n\n${mainHelp()}`,
      );
    }
    return await runCommand(found.command, found.rest, io);
  } catch (error) {
    return reportError(error, io);
  }
}

/** The exit status of each error kind: the CLI's one error mapping. */
export const EXIT_FOR_KIND: Record<ErrorKind, number> = {
  'invalid-input': EXIT.usage,
  'not-found': EXIT.findings,
  conflict: EXIT.findings,
  forbidden: EXIT.findings,
  upstream: EXIT.failure,
  internal: EXIT.failure,
};

/** Prints a failed command's error on stderr, in the CLI's terms, and returns its exit status. */
export function reportError(error: unknown, io: Io): number {
  const kind = kindOf(error);
  if (!(error instanceof DomainError) || kind === 'internal') {
    const e = error as Error;
    io.stderr(`buildwarden: ${e.name ?? 'Error'}: ${e.message}\n`);
    return EXIT_FOR_KIND.internal;
  }
  let text = `buildwarden: ${error.message}`;
  const differences = error.details.differences;
  if (Array.isArray(differences)) text += `; differing fields: ${differences.join(', ')}`;
  if (error.override) text += `: run again with --${error.override.option} to ${error.override.effect}`;
  if (kind === 'upstream' && 'reason' in error && typeof error.reason === 'string') {
    text += `\n  cause: ${error.reason}`;
    const repaired = error.details.repaired;
    if (Array.isArray(repaired) && repaired.length > 0)
      text += `\n  repaired before that: ${repaired.join(', ')}`;
  }
  io.stderr(`${text}\n`);
  return EXIT_FOR_KIND[kind];
}

declare const __BUILDWARDEN_VERSION__: string | undefined;
const VERSION = typeof __BUILDWARDEN_VERSION__ === 'string' ? __BUILDWARDEN_VERSION__ : 'dev';

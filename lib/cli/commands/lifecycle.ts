import * as z from 'zod';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../policy/lifecycle/grammar';
import { simulateLifecyclePolicy, type LifecycleSimulation } from '../../policy/lifecycle/simulate';
import { imageDetailSchema, type ImageDetail } from '../../policy/model';
import { parseJsonText } from '../../policy/nesting';
import { InvalidInputError, formatIssues } from '../../policy/validation';
import { previewRepositoryLifecycle, RepositoryNotFoundError } from '../../usecases/lifecycle';
import { ecrRegistry } from '../../runtime/adapters';
import { commandDeps } from '../deps';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadSandbox, readInputFile, settingsOf } from '../inputs';
import type { Io } from '../framework';

function loadPolicy(file: string | undefined, io: Io): LifecyclePolicy {
  if (!file) throw new UsageError('--policy FILE is required');
  const parsed = parseLifecyclePolicy(readInputFile(file, io));
  if (!parsed.ok) throw new InvalidInputError(file, parsed.errors);
  return parsed.policy;
}

const describeImagesSchema = z.looseObject({ imageDetails: z.array(imageDetailSchema) });

/** `--images` takes a bare array of image details or a DescribeImages response. */
export function parseImagesFile(text: string, source: string): ImageDetail[] {
  const raw = parseJsonText(text, source);
  if (Array.isArray(raw)) {
    const result = z.array(imageDetailSchema).safeParse(raw);
    if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
    return result.data;
  }
  const result = describeImagesSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidInputError(source, [
      'expected an array of image details or a DescribeImages response ({ "imageDetails": [...] })',
      ...formatIssues(result.error),
    ]);
  }
  return result.data.imageDetails;
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`--now must be an ISO 8601 date or date-time (got "${value}")`);
  }
  return date;
}

function previewTable(simulation: LifecycleSimulation): string {
  const rows = simulation.results.map((r) => [
    r.imageDigest.length > 19 ? `${r.imageDigest.slice(0, 19)}…` : r.imageDigest,
    r.imageTags.length === 0 ? '<untagged>' : r.imageTags.join(','),
    r.action,
    r.rulePriority === null ? '-' : String(r.rulePriority),
  ]);
  const header = ['DIGEST', 'TAGS', 'ACTION', 'RULE'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const { expire, transition, keep } = simulation.summary;
  return `${[line(header), ...rows.map(line)].join('\n')}\n\n${expire} expire, ${transition} transition, ${keep} keep\n`;
}

export const lifecycleValidateCommand: Command = {
  name: 'lifecycle validate',
  summary: "Check a lifecycle policy against ECR's lifecycle grammar and limits.",
  usage: 'buildwarden lifecycle validate --policy FILE',
  details: 'Every error names the rule priority and field. Exit 0 valid, 2 invalid.',
  options: {
    policy: {
      type: 'string',
      valueName: 'FILE',
      description: 'the lifecycle policy JSON (as given to PutLifecyclePolicy)',
    },
  },
  async run({ values }, io) {
    const policy = loadPolicy(stringOption(values, 'policy'), io);
    io.stdout(`valid: ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}\n`);
    return EXIT.ok;
  },
};

export const lifecyclePreviewCommand: Command = {
  name: 'lifecycle preview',
  summary: 'Show which images a lifecycle policy would expire, transition or keep, evaluated locally.',
  usage:
    'buildwarden lifecycle preview --policy FILE (--images FILE | --repository NAME [--snapshot FILE]) [--now ISO-8601] [--format json|table]',
  details:
    '--images takes a bare array of image details or a DescribeImages response. --repository reads the\n' +
    "repository's images from the snapshot (--snapshot) or the live account (read-only).",
  options: {
    policy: { type: 'string', valueName: 'FILE', description: 'the lifecycle policy JSON' },
    images: {
      type: 'string',
      valueName: 'FILE',
      description: 'image details (array or DescribeImages response)',
    },
    repository: {
      type: 'string',
      valueName: 'NAME',
      description: "evaluate against this repository's current images",
    },
    snapshot: {
      type: 'string',
      valueName: 'FILE',
      description: 'with --repository: read from this snapshot instead of the live account',
    },
    now: { type: 'string', valueName: 'ISO-8601', description: 'evaluate as of this time (default: now)' },
    format: { type: 'string', valueName: 'FORMAT', description: 'json (default) or table' },
  },
  async run({ values }, io) {
    const format = choiceOption(values, 'format', ['json', 'table'] as const, 'json');
    const policy = loadPolicy(stringOption(values, 'policy'), io);
    const now = parseNow(stringOption(values, 'now'));
    const imagesFile = stringOption(values, 'images');
    const repository = stringOption(values, 'repository');
    const snapshot = stringOption(values, 'snapshot');
    if ((imagesFile === undefined) === (repository === undefined)) {
      throw new UsageError('give exactly one of --images FILE or --repository NAME');
    }
    if (snapshot !== undefined && repository === undefined)
      throw new UsageError('--snapshot goes with --repository');
    let simulation: LifecycleSimulation;
    if (imagesFile !== undefined) {
      simulation = simulateLifecyclePolicy(
        policy,
        parseImagesFile(readInputFile(imagesFile, io), imagesFile),
        now,
      );
    } else {
      const registry =
        snapshot !== undefined
          ? loadSandbox(snapshot, io).ports().registry
          : (await commandDeps(settingsOf(io), [ecrRegistry])).registry;
      try {
        simulation = await previewRepositoryLifecycle(registry, repository!, policy, now);
      } catch (error) {
        // The repository --repository names does not exist: bad usage.
        if (error instanceof RepositoryNotFoundError) throw new UsageError(error.message);
        throw error;
      }
    }
    io.stdout(format === 'json' ? `${JSON.stringify(simulation, null, 2)}\n` : previewTable(simulation));
    return EXIT.ok;
  },
};

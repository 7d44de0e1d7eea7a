import * as z from 'zod';
import { NotFoundError } from '../../errors';
import type { LifecyclePreviewProgress } from '../../ports';
import {
  describeDecision,
  type ComparedImage,
  type LifecycleComparison,
} from '../../policy/lifecycle/compare';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../policy/lifecycle/grammar';
import { simulateLifecyclePolicy, type LifecycleSimulation } from '../../policy/lifecycle/simulate';
import { imageDetailSchema, type ImageDetail } from '../../policy/model';
import { parseJsonText } from '../../policy/nesting';
import { InvalidInputError, formatIssues } from '../../policy/validation';
import {
  compareWithEcrPreview,
  previewRepositoryLifecycle,
  RepositoryNotFoundError,
  type PolicyText,
} from '../../usecases/lifecycle';
import { ecrLifecyclePreview, ecrRegistry } from '../../runtime/adapters';
import { commandDeps } from '../deps';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadSandbox, readInputFile, settingsOf } from '../inputs';
import type { Io } from '../framework';

function loadPolicyText(file: string, io: Io): PolicyText {
  const text = readInputFile(file, io);
  const parsed = parseLifecyclePolicy(text);
  if (!parsed.ok) throw new InvalidInputError(file, parsed.errors);
  return { text, policy: parsed.policy };
}

function loadPolicy(file: string | undefined, io: Io): LifecyclePolicy {
  if (!file) throw new UsageError('--policy FILE is required');
  return loadPolicyText(file, io).policy;
}

const describeImagesSchema = z.looseObject({ imageDetails: z.array(imageDetailSchema()) });

/** `--images` takes a bare array of image details or a DescribeImages response. */
export function parseImagesFile(text: string, source: string): ImageDetail[] {
  const raw = parseJsonText(text, source);
  if (Array.isArray(raw)) {
    const result = z.array(imageDetailSchema()).safeParse(raw);
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

/** How long `--compare-aws` waits for ECR's preview by default, and at most. */
export const DEFAULT_PREVIEW_TIMEOUT_SECONDS = 300;
const MAX_PREVIEW_TIMEOUT_SECONDS = 3600;

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PREVIEW_TIMEOUT_SECONDS * 1000;
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_PREVIEW_TIMEOUT_SECONDS)) {
    throw new UsageError(
      `--timeout must be a whole number of seconds from 1 to ${MAX_PREVIEW_TIMEOUT_SECONDS} (got "${value}")`,
    );
  }
  return seconds * 1000;
}

/** Waiting for ECR's preview, a line per poll on stderr (polls back off to one every ten seconds). */
function previewProgress(io: Io): (progress: LifecyclePreviewProgress) => void {
  return ({ phase, repositoryName, elapsedMs, results }) => {
    const seconds = Math.round(elapsedMs / 1000);
    const line =
      phase === 'queued'
        ? `another lifecycle policy preview is running on ${repositoryName}; waiting for it (${seconds} s)`
        : phase === 'started'
          ? `started ECR's lifecycle policy preview of ${repositoryName}`
          : phase === 'in-progress'
            ? `ECR's preview of ${repositoryName}: in progress (${seconds} s)`
            : `ECR's preview of ${repositoryName}: complete after ${seconds} s, ${results ?? 0} image${results === 1 ? '' : 's'} acted on`;
    io.stderr(`${line}\n`);
  };
}

const shortDigest = (digest: string) => (digest.length > 19 ? `${digest.slice(0, 19)}…` : digest);
const tagsCell = (tags: string[]) => (tags.length === 0 ? '<untagged>' : tags.join(','));

/**
 * Both results side by side: the images at least one side acts on, a `*` on each row that differs and its
 * notes beneath it, then the counts and what the evaluation time means.
 */
export function comparisonTable(comparison: LifecycleComparison): string {
  const cells = (row: ComparedImage) => [
    row.different ? '*' : '',
    shortDigest(row.imageDigest),
    tagsCell(row.imageTags),
    describeDecision(row.ours),
    describeDecision(row.aws),
  ];
  const header = ['', 'DIGEST', 'TAGS', 'OURS', 'ECR'];
  const rows = comparison.images.map(cells);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out: string[] = [line(header)];
  comparison.images.forEach((row, i) => {
    out.push(line(rows[i]!));
    for (const note of row.notes) out.push(`   note: ${note}`);
  });
  const { summary } = comparison;
  const reported = summary.awsReported;
  const transitions = Object.entries(reported.transitioningImageTotalCounts ?? {})
    .map(([target, n]) => `${n} to ${target}`)
    .join(', ');
  out.push(
    '',
    `${summary.compared} image${summary.compared === 1 ? '' : 's'} acted on by either side: ${summary.same} same, ` +
      `${summary.different} different; ${summary.keptByBoth} kept by both (${summary.imagesRead} images read)`,
    `ours: ${summary.ours.expire} expire, ${summary.ours.transition} transition, ${summary.ours.keep} keep`,
    `ECR:  ${summary.aws.expire} expire, ${summary.aws.transition} transition, ${summary.aws.keep} keep` +
      (summary.aws.notRead > 0 ? `, ${summary.aws.notRead} not among the images read` : '') +
      (summary.aws.other > 0 ? `, ${summary.aws.other} with an action we do not know` : '') +
      ` (ECR's summary: ${reported.expiringImageTotalCount ?? '?'} expiring` +
      (transitions ? `, transitioning ${transitions}` : '') +
      ')',
    `evaluated at ${comparison.evaluatedAt}, when ECR's preview started (complete at ${comparison.previewCompletedAt});`,
    'ECR evaluates at its own time in between: an image within a minute of an age threshold may differ by timing',
    comparison.equal
      ? 'same: our simulator and ECR agree on every image'
      : `different: ${summary.different} image${summary.different === 1 ? '' : 's'} (marked *)`,
  );
  return `${out.join('\n')}\n`;
}

export const lifecyclePreviewCommand: Command = {
  name: 'lifecycle preview',
  summary:
    "Show which images a lifecycle policy would expire, transition or keep, evaluated locally (or compared with ECR's own preview).",
  usage:
    'buildwarden lifecycle preview --policy FILE (--images FILE | --repository NAME [--snapshot FILE]) [--now ISO-8601] [--format json|table]\n' +
    '       buildwarden lifecycle preview --repository NAME --compare-aws [--policy FILE] [--timeout SECONDS] [--format json|table]',
  details:
    '--images takes a bare array of image details or a DescribeImages response. --repository reads the\n' +
    "repository's images from the snapshot (--snapshot) or the live account (read-only).\n" +
    "--compare-aws (live accounts only) also runs ECR's own preview of the policy (--policy, else the\n" +
    "repository's current lifecycle policy) and prints both side by side with every difference: exit 0 when\n" +
    "they agree, 1 when they differ. Our simulator evaluates at the instant ECR's preview starts; ECR\n" +
    'evaluates at its own time, so an image within a minute of an age threshold may differ by timing.',
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
    'compare-aws': {
      type: 'boolean',
      description:
        "with --repository on a live account: compare with ECR's own preview (exit 1 when they differ)",
    },
    timeout: {
      type: 'string',
      valueName: 'SECONDS',
      description: `with --compare-aws: how long to wait for ECR's preview (default ${DEFAULT_PREVIEW_TIMEOUT_SECONDS})`,
    },
    format: { type: 'string', valueName: 'FORMAT', description: 'json (default) or table' },
  },
  async run({ values }, io) {
    const format = choiceOption(values, 'format', ['json', 'table'] as const, 'json');
    if (values['compare-aws'] === true) return compareWithAws(values, format, io);
    if (stringOption(values, 'timeout') !== undefined)
      throw new UsageError('--timeout goes with --compare-aws');
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

/** `--compare-aws`: our simulator and ECR's own preview of one policy on one live repository. */
async function compareWithAws(
  values: Record<string, string | boolean | undefined>,
  format: 'json' | 'table',
  io: Io,
): Promise<number> {
  if (stringOption(values, 'snapshot') !== undefined) {
    throw new UsageError(
      "--compare-aws runs ECR's own lifecycle policy preview, which exists on a live account only: it cannot be used with --snapshot",
    );
  }
  if (stringOption(values, 'images') !== undefined) {
    throw new UsageError(
      "--compare-aws previews a repository's images in ECR: use --repository NAME, not --images",
    );
  }
  if (stringOption(values, 'now') !== undefined) {
    throw new UsageError(
      "--now cannot be used with --compare-aws: the comparison evaluates when ECR's preview starts",
    );
  }
  const repository = stringOption(values, 'repository');
  if (repository === undefined) throw new UsageError('--compare-aws needs --repository NAME');
  const timeoutMs = parseTimeout(stringOption(values, 'timeout'));
  const file = stringOption(values, 'policy');
  const policy = file === undefined ? undefined : loadPolicyText(file, io);
  const deps = await commandDeps(settingsOf(io), [ecrRegistry, ecrLifecyclePreview]);
  let comparison: LifecycleComparison;
  try {
    comparison = await compareWithEcrPreview(deps, repository, {
      ...(policy ? { policy } : {}),
      timeoutMs,
      onProgress: previewProgress(io),
    });
  } catch (error) {
    // The repository --repository names does not exist (or was deleted meanwhile): bad usage, not a difference.
    if (error instanceof NotFoundError && error.resource === 'repository') {
      throw new UsageError(`repository ${repository} does not exist`);
    }
    throw error;
  }
  io.stdout(format === 'json' ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonTable(comparison));
  return comparison.equal ? EXIT.ok : EXIT.findings;
}

/** Notification texts (plain text an email reader can act on) built from use-case results. Pure. */
import type { Finding } from './findings';
import type { AuditSummary } from './findings';
import { SEVERITIES } from './findings';

export interface NotificationText {
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

/**
 * A message attribute for subscription filter policies: one value (SNS `String`), or several (`String.Array`:
 * a filter policy matches when any of them matches). `''` or an empty list is no attribute at all.
 */
export type AttributeValue = string | readonly string[];

/**
 * SNS limits, applied once for every notification: a subject is ASCII without line breaks or control
 * characters and "less than 100 characters"; a message, with its attributes, at most 256 KiB of UTF-8
 * (1 KiB is left for the subject and attributes).
 */
export const SUBJECT_MAX_CHARS = 99;
export const MESSAGE_MAX_BYTES = 256 * 1024;
export const MESSAGE_BUDGET_BYTES = MESSAGE_MAX_BYTES - 1024;
const TRUNCATED = '\n… (truncated to fit the SNS message size limit)';

export function fitSubject(subject: string): string {
  const ascii = subject
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return ascii.length <= SUBJECT_MAX_CHARS ? ascii : `${ascii.slice(0, SUBJECT_MAX_CHARS - 3).trimEnd()}...`;
}

const utf8 = new TextEncoder();
const byteLength = (text: string) => utf8.encode(text).length;

/** The message within `maxBytes` of UTF-8; a cut is said at the end and never splits a character. */
export function fitMessage(message: string, maxBytes = MESSAGE_BUDGET_BYTES): string {
  if (byteLength(message) <= maxBytes) return message;
  const budget = maxBytes - byteLength(TRUNCATED);
  // Each UTF-16 code unit is at most 3 bytes, so this many always fit; then grow while they do.
  let keep = Math.max(0, Math.floor(budget / 3));
  let step = Math.max(1, keep);
  while (step >= 1) {
    if (keep + step <= message.length && byteLength(message.slice(0, keep + step)) <= budget) keep += step;
    else step = Math.floor(step / 2);
  }
  // Never end inside a surrogate pair (it would reach subscribers as U+FFFD).
  if (/[\uD800-\uDBFF]$/.test(message.slice(0, keep))) keep -= 1;
  return message.slice(0, keep) + TRUNCATED;
}

/**
 * At most this many bytes of values in each several-valued attribute (a registry-wide event may name thousands
 * of repositories); the values beyond are left out, and the message still names every resource.
 */
export const ARRAY_ATTRIBUTE_MAX_BYTES = 8 * 1024;

/** The values of a several-valued attribute that fit ARRAY_ATTRIBUTE_MAX_BYTES, in order. */
function fitValues(values: readonly string[]): string[] {
  const kept: string[] = [];
  let bytes = 2; // [ ]
  for (const value of values) {
    bytes += byteLength(JSON.stringify(value)) + 1;
    if (bytes > ARRAY_ATTRIBUTE_MAX_BYTES) break;
    kept.push(value);
  }
  return kept;
}

/**
 * A notification as SNS delivers it, applied by every Notifier (the SNS adapter and the sandbox alike): the
 * subject and message within SNS's limits (several-valued attributes count against the message budget), and
 * no attribute without a value (SNS refuses an empty one).
 */
export function deliverable<A extends Record<string, AttributeValue>>(notification: {
  subject: string;
  message: string;
  attributes: A;
}): { subject: string; message: string; attributes: Record<string, AttributeValue> } {
  const attributes: Record<string, AttributeValue> = {};
  let arrayBytes = 0;
  for (const [name, value] of Object.entries(notification.attributes)) {
    if (typeof value === 'string') {
      if (value !== '') attributes[name] = value;
      continue;
    }
    const kept = fitValues(value);
    if (kept.length === 0) continue;
    attributes[name] = kept;
    arrayBytes += byteLength(JSON.stringify(kept));
  }
  return {
    subject: fitSubject(notification.subject),
    message: fitMessage(notification.message, MESSAGE_BUDGET_BYTES - arrayBytes),
    attributes,
  };
}

/** Keeps at most `max` lines and says how many were left out. */
export function truncateLines(lines: readonly string[], max: number): string[] {
  if (lines.length <= max) return [...lines];
  return [...lines.slice(0, max), `… and ${lines.length - max} more`];
}

export function resourceName(arn: string): string {
  const slash = arn.indexOf('/');
  if (slash >= 0) return arn.slice(slash + 1);
  const parts = arn.split(':');
  return parts[parts.length - 1] ?? arn;
}

export interface AuditNotificationInput {
  accountId: string;
  region: string;
  findings: readonly Finding[];
  summary: AuditSummary;
  /** How many worst offenders to name. */
  top?: number;
  /** What changed since the previous audit (`deltaText` in delta.ts): leads the message, heads the subject. */
  delta?: { headline: string; lines: readonly string[] };
  /** Where the audit's reports were kept: links (the S3 console) named by what they hold. */
  reports?: readonly { name: string; link: string }[];
  /** What the audit's reports or Security Hub could not take, one line each (said after the counts). */
  problems?: readonly string[];
}

/** One summary per scheduled audit: counts per rule and the worst offenders, not one message per finding. */
export function auditSummaryNotification(input: AuditNotificationInput): NotificationText {
  const { summary } = input;
  const top = input.top ?? 10;
  const violations = summary.byStatus.violation;
  const notVisible = summary.byStatus['not-visible'];
  const counts =
    violations + notVisible === 0
      ? 'all guardrails pass'
      : `${violations} violations, ${notVisible} not visible`;
  const subject = `buildwarden audit ${input.accountId}/${input.region}: ${input.delta ? `${input.delta.headline}; ` : ''}${counts}`;

  const perRule = Object.entries(summary.byRule)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([rule, c]) =>
        `  ${rule.padEnd(34)} ${String(c.violation).padStart(5)} violation  ${String(c['not-visible']).padStart(4)} not-visible  ${String(c.exempt).padStart(4)} exempt  ${String(c.compliant).padStart(5)} compliant`,
    );

  const offenders = new Map<string, Finding[]>();
  for (const f of input.findings) {
    if (f.status !== 'violation') continue;
    const list = offenders.get(f.resourceArn) ?? [];
    list.push(f);
    offenders.set(f.resourceArn, list);
  }
  const severityWeight = { critical: 1000, high: 100, medium: 10, low: 1, info: 0 } as const;
  const worst = [...offenders.entries()]
    .map(([arn, list]) => ({ arn, list, score: list.reduce((s, f) => s + severityWeight[f.severity], 0) }))
    .sort((a, b) => b.score - a.score || a.arn.localeCompare(b.arn))
    .map(
      ({ arn, list }) =>
        `  ${resourceName(arn)} — ${list.map((f) => `${f.ruleId} (${f.severity})`).join(', ')}`,
    );

  const message = [
    ...(input.delta ? [...input.delta.lines, ''] : []),
    ...(input.reports && input.reports.length > 0
      ? [...input.reports.map((r) => `${r.name}: ${r.link}`), '']
      : []),
    `Account ${input.accountId}, region ${input.region}.`,
    `Resources: ${summary.resources.repositories} repositories, ${summary.resources.projects} projects, ${summary.resources.roles} roles.`,
    `Findings: ${violations} violations, ${notVisible} not visible, ${summary.byStatus.exempt} exempt, ${summary.byStatus.compliant} compliant.`,
    '',
    'Per rule:',
    ...perRule,
    ...(worst.length > 0
      ? [
          '',
          `Worst offenders (top ${Math.min(top, worst.length)} of ${worst.length}):`,
          ...truncateLines(worst, top),
        ]
      : []),
    ...(input.problems && input.problems.length > 0 ? ['', ...input.problems] : []),
    '',
    'Run `buildwarden audit` for every finding.',
  ].join('\n');

  const worstSeverity = (['critical', 'high', 'medium', 'low', 'info'] as const).find((s) =>
    input.findings.some((f) => f.status === 'violation' && f.severity === s),
  );
  return { subject, message, attributes: { kind: 'audit-summary', severity: worstSeverity ?? 'none' } };
}

/** What one change event did to, or found on, one resource, for a rule. */
export interface ChangeItem {
  ruleId: string;
  resourceArn: string;
  outcome: 'applied' | 'dry-run' | 'refused' | 'reported';
  before: unknown;
  after: unknown;
  reason?: string;
  message?: string;
  /** The finding's notes (an exemption tag naming no rule …), one line each. */
  notes?: readonly string[];
  severity: string;
}

export interface ChangeNotificationInput {
  /** Every action (applied, dry run, refused) and every violation left for people, in the order they happened. */
  items: readonly ChangeItem[];
  principal: string;
  eventName: string;
  region: string;
  accountId: string;
  /** Why the handling stopped before the end (it is retried): what is listed was done before. */
  failure?: string;
}

/** A change event's notification: its attributes may hold several values (see AttributeValue). */
export interface ChangeNotificationText {
  subject: string;
  message: string;
  attributes: Record<string, AttributeValue>;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text;
}

/** The AWS console's host for a region (commercial, China and GovCloud partitions). */
export function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `${region}.console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

export function repositoryConsoleLink(accountId: string, region: string, repositoryName: string): string {
  return `https://${consoleHost(region)}/ecr/repositories/private/${accountId}/${repositoryName}?region=${region}`;
}

/** A link to an object of a bucket (a report) in the S3 console; the key is a query parameter, encoded. */
export function objectConsoleLink(bucket: string, key: string, region: string): string {
  return `https://${consoleHost(region)}/s3/object/${bucket}?region=${region}&bucketType=general&prefix=${encodeURIComponent(key)}`;
}

/** A link to the resource in the AWS console. */
export function consoleLink(resourceArn: string, region: string, accountId: string): string {
  const repository = /:repository\/(.+)$/.exec(resourceArn)?.[1];
  if (repository) return repositoryConsoleLink(accountId, region, repository);
  const role = /:role\/(?:.*\/)?([^/]+)$/.exec(resourceArn)?.[1];
  if (role) return `https://${consoleHost(region)}/iam/home#/roles/details/${role}`;
  const project = /:project\/([^:]+)/.exec(resourceArn)?.[1];
  if (project)
    return `https://${consoleHost(region)}/codesuite/codebuild/${accountId}/projects/${project}?region=${region}`;
  return `https://${consoleHost(region)}/`;
}

const OUTCOME_WORDS = {
  applied: 'fixed',
  'dry-run': 'would fix (dry run)',
  refused: 'did not fix',
  reported: 'found a violation of',
} as const;

/** Among items of one severity, what needs a person comes first: a refused fix, a violation, a dry run. */
const OUTCOME_RANK: Record<ChangeItem['outcome'], number> = {
  refused: 0,
  reported: 1,
  'dry-run': 2,
  applied: 3,
};

function severityRank(severity: string): number {
  const rank = (SEVERITIES as readonly string[]).indexOf(severity);
  return rank < 0 ? SEVERITIES.length : rank;
}

/** The item the subject names: the most severe, and among those the one that most needs a person. */
export function mostSevere<T extends Pick<ChangeItem, 'severity' | 'outcome'>>(
  items: readonly T[],
): T | undefined {
  let top: T | undefined;
  for (const item of items) {
    if (
      !top ||
      severityRank(item.severity) < severityRank(top.severity) ||
      (severityRank(item.severity) === severityRank(top.severity) &&
        OUTCOME_RANK[item.outcome] < OUTCOME_RANK[top.outcome])
    ) {
      top = item;
    }
  }
  return top;
}

/** One value, several (a String.Array), or none (''), from the distinct values in order. */
function attributeOf(values: readonly string[]): AttributeValue {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return '';
  return distinct.length === 1 ? distinct[0]! : distinct;
}

function itemLines(item: ChangeItem, region: string, accountId: string): string[] {
  return [
    `Rule: ${item.ruleId}`,
    `Resource: ${item.resourceArn}`,
    `Outcome: ${item.outcome}${item.reason ? ` — ${item.reason}` : ''}`,
    ...(item.message ? [`Finding: ${item.message}`] : []),
    ...(item.notes ?? []).map((note) => `Note: ${note}`),
    ...(item.outcome === 'reported' ? [] : [`Before: ${show(item.before)}`, `After:  ${show(item.after)}`]),
    `Console: ${consoleLink(item.resourceArn, region, accountId)}`,
  ];
}

function countsLine(items: readonly ChangeItem[]): string {
  const count = (outcome: ChangeItem['outcome']) => items.filter((i) => i.outcome === outcome).length;
  const parts = [
    [count('applied'), 'fixed'],
    [count('dry-run'), 'would be fixed (dry run)'],
    [count('refused'), 'not fixed'],
    [count('reported'), 'violation(s) left for people'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, words]) => `${n} ${words}`)
    .join(', ');
}

/**
 * The ONE notification of a change event: every action (applied, dry run, refused, with before → after) and
 * every violation left for people, each as a block. The subject names the most severe item's outcome, rule and
 * resource (and how many more there are); the attributes hold every kind, resource and the most severe
 * severity, so a filter policy on any of them still matches the message.
 */
export function changeNotification(input: ChangeNotificationInput): ChangeNotificationText {
  const top = mostSevere(input.items);
  if (!top) throw new RangeError('changeNotification: no item to notify');
  const more = input.items.length - 1;
  const subject =
    `buildwarden ${OUTCOME_WORDS[top.outcome]} ${top.ruleId} on ${resourceName(top.resourceArn)}` +
    (more > 0 ? ` (+${more} more)` : '');
  const blocks = input.items.map((item) => itemLines(item, input.region, input.accountId).join('\n'));
  const message = [
    `${countsLine(input.items)}.`,
    ...(input.failure ? [`The handling stopped before the end and will be retried: ${input.failure}`] : []),
    '',
    blocks.join('\n\n'),
    '',
    `Triggered by: ${input.eventName} by ${input.principal}`,
  ].join('\n');
  const names = (pattern: RegExp) =>
    input.items.filter((i) => pattern.test(i.resourceArn)).map((i) => resourceName(i.resourceArn));
  return {
    subject,
    message,
    attributes: {
      kind: attributeOf(
        input.items.map((i) => (i.outcome === 'reported' ? 'guardrail-violation' : 'remediation')),
      ),
      severity: top.severity,
      repository: attributeOf(names(/:repository\//)),
      project: attributeOf(names(/:project\//)),
    },
  };
}

/** Notification texts (plain text an email reader can act on) built from use-case results. Pure. */
import type { Finding } from './findings';
import type { AuditSummary } from './findings';

export interface NotificationText {
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

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

export interface ChangeNotificationInput {
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
  principal: string;
  eventName: string;
  region: string;
  accountId: string;
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

/** One notification per change (or planned change, or violation left for people) caused by a change event. */
export function changeNotification(input: ChangeNotificationInput): NotificationText {
  const name = resourceName(input.resourceArn);
  const subject = `buildwarden ${OUTCOME_WORDS[input.outcome]} ${input.ruleId} on ${name}`;
  const lines = [
    `Rule: ${input.ruleId}`,
    `Resource: ${input.resourceArn}`,
    `Outcome: ${input.outcome}${input.reason ? ` — ${input.reason}` : ''}`,
    ...(input.message ? [`Finding: ${input.message}`] : []),
    ...(input.notes ?? []).map((note) => `Note: ${note}`),
    ...(input.outcome === 'reported'
      ? []
      : [`Before: ${show(input.before)}`, `After:  ${show(input.after)}`]),
    `Triggered by: ${input.eventName} by ${input.principal}`,
    `Console: ${consoleLink(input.resourceArn, input.region, input.accountId)}`,
  ];
  const isRepository = input.resourceArn.includes(':repository/');
  const isProject = input.resourceArn.includes(':project/');
  return {
    subject,
    message: lines.join('\n'),
    attributes: {
      kind: input.outcome === 'reported' ? 'guardrail-violation' : 'remediation',
      severity: input.severity,
      repository: isRepository ? name : '',
      project: isProject ? name : '',
    },
  };
}

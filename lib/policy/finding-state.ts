/**
 * Findings state: what buildwarden remembers about each finding between two evaluations, so that people can
 * tell what is new, what got fixed (and how), and how long a violation has been open. Pure: the caller passes
 * the previous records, the current findings and `now`.
 *
 * A record is kept per account, region, resource and rule. It is created when the finding is first seen open
 * (a violation, or a resource that could not be judged: `not-visible`), updated while it stays open, and
 * resolved when it no longer is — with how: `remediated` (buildwarden fixed it), `exempted` (it is exempt now),
 * `deleted` (the resource is gone) or `fixed` (someone else fixed it). A fix buildwarden applies after it saw the
 * finding open marks the record (`remediatedAt`) instead of resolving it: the next evaluation that no longer
 * sees the finding open resolves it as `remediated`, one that still does clears the mark (the fix did not
 * resolve it). A resolved record expires
 * `retentionDays` after it was resolved (`expiresAt`, epoch seconds: the findings table's TTL attribute); when
 * the finding comes back, the record opens again as a new occurrence. Compliant and exempt findings that were
 * never open leave no record.
 */
import * as z from 'zod';
import { lazy } from './lazy';
import { compareFindings, SEVERITIES, STATUSES, type Finding, type FindingStatus } from './findings';

export const RESOLUTIONS = ['remediated', 'fixed', 'exempted', 'deleted'] as const;
/** How an open finding stopped being open. */
export type Resolution = (typeof RESOLUTIONS)[number];

const timestamp = lazy(() => z.iso.datetime({ offset: true }));

/**
 * One finding's record. `status`, `severity` and `message` are those of the last evaluation that judged the
 * finding (for a resource that is gone, those it had before). `firstSeen`..`lastSeen` is the span during
 * which the current occurrence was seen open.
 */
export const findingRecordSchema = lazy(() =>
  z
    .object({
      accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1'),
      resourceArn: z.string().min(1),
      resourceType: z.string().min(1),
      ruleId: z.string().min(1),
      state: z.enum(['open', 'resolved']),
      status: z.enum(STATUSES),
      severity: z.enum(SEVERITIES),
      message: z.string(),
      firstSeen: timestamp(),
      lastSeen: timestamp(),
      resolvedAt: timestamp().optional(),
      resolution: z.enum(RESOLUTIONS).optional(),
      /** Epoch seconds after which the record may be deleted (resolved records only). */
      expiresAt: z.number().int().positive().optional(),
      /** When buildwarden applied a fix to the open finding (open records only; cleared when it did not help). */
      remediatedAt: timestamp().optional(),
    })
    .superRefine((record, ctx) => {
      const resolvedFields = ['resolvedAt', 'resolution', 'expiresAt'] as const;
      for (const field of resolvedFields) {
        const present = record[field] !== undefined;
        if (present !== (record.state === 'resolved')) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: present ? 'only a resolved record has it' : 'a resolved record needs it',
          });
        }
      }
      if (record.remediatedAt !== undefined && record.state !== 'open') {
        ctx.addIssue({ code: 'custom', path: ['remediatedAt'], message: 'only an open record has it' });
      }
    }),
);
export type FindingRecord = z.infer<ReturnType<typeof findingRecordSchema>>;

export interface Scope {
  accountId: string;
  region: string;
}

/** What identifies a finding: account, region, resource and rule. */
export interface FindingIdentity extends Scope {
  resourceArn: string;
  ruleId: string;
}

/** A finding as evaluations produce it; `accountId`/`region` default to the scope's. */
export type ScopedFinding = Finding & { accountId?: string; region?: string };

/** Statuses that need someone's attention. */
const OPEN_STATUSES: ReadonlySet<FindingStatus> = new Set<FindingStatus>(['violation', 'not-visible']);
export const isOpenStatus = (status: FindingStatus): boolean => OPEN_STATUSES.has(status);

/** A string key for maps and sets: the identity's four parts. */
export function identityKey(identity: FindingIdentity): string {
  return JSON.stringify([identity.accountId, identity.region, identity.resourceArn, identity.ruleId]);
}

/** A finding of `scope` (or of the account and region it names) as an identity. */
export function identityOf(finding: ScopedFinding, scope: Scope): FindingIdentity {
  return {
    accountId: finding.accountId ?? scope.accountId,
    region: finding.region ?? scope.region,
    resourceArn: finding.resourceArn,
    ruleId: finding.ruleId,
  };
}

/**
 * One finding per identity, the worst of them: a rule may judge one resource more than once (a service role is
 * judged for each repository its projects push to); the identity is open while any of them is.
 */
export function worstByIdentity(
  findings: readonly ScopedFinding[],
  scope: Scope,
): Map<string, ScopedFinding> {
  const byKey = new Map<string, ScopedFinding>();
  for (const finding of [...findings].sort(compareFindings)) {
    const key = identityKey(identityOf(finding, scope));
    if (!byKey.has(key)) byKey.set(key, finding);
  }
  return byKey;
}

export interface TransitionOptions {
  now: Date;
  /** Days a resolved record is kept (the deployment's `findingsRetentionDays`). */
  retentionDays: number;
}

/** What one evaluation says about one identity. */
export interface Observation {
  /** The current finding; absent when the rule judged nothing for the resource (it may be gone). */
  finding?: Finding;
  /** Whether the resource still exists (asked only when there is no finding). */
  resourceExists: boolean;
  /**
   * True when buildwarden applied a fix for this rule to the resource during this evaluation. With an open
   * finding (judged before the fix), the record is marked; with a finding no longer open, it is resolved.
   */
  remediated?: boolean;
}

export type Change = 'opened' | 'reopened' | 'updated' | 'resolved';

export interface Transition {
  /** The record to store; undefined when nothing is (or was) open, so nothing is written. */
  record?: FindingRecord;
  /** What happened; undefined when the stored record, if any, stays as it is. */
  change?: Change;
}

const DAY_SECONDS = 24 * 60 * 60;
/** A record's message is cut to this many characters: records stay far below a table item's size limit. */
export const RECORD_MESSAGE_MAX = 4096;

const recordMessage = (message: string) =>
  message.length <= RECORD_MESSAGE_MAX ? message : `${message.slice(0, RECORD_MESSAGE_MAX - 1)}…`;

/** The state transition of one identity: the previous record and the current observation give the next record. */
export function nextRecord(
  identity: FindingIdentity,
  previous: FindingRecord | undefined,
  observation: Observation,
  options: TransitionOptions,
): Transition {
  const now = options.now.toISOString();
  const { finding } = observation;
  // Newest truth wins: an evaluation older than what is stored (a change handled while an audit ran) is dropped.
  if (previous && Date.parse(previous.resolvedAt ?? previous.lastSeen) > options.now.getTime()) return {};
  if (finding && isOpenStatus(finding.status)) {
    const continuing = previous?.state === 'open';
    return {
      change: !previous ? 'opened' : continuing ? 'updated' : 'reopened',
      record: {
        ...identity,
        resourceType: finding.resourceType,
        state: 'open',
        status: finding.status,
        severity: finding.severity,
        message: recordMessage(finding.message),
        // A finding that comes back after it was resolved is a new occurrence: its age starts again.
        firstSeen: continuing ? previous.firstSeen : now,
        lastSeen: now,
        ...(observation.remediated ? { remediatedAt: now } : {}),
      },
    };
  }
  // Nothing open now: only an open record changes (it is resolved); a resolved one stays as it is.
  if (previous?.state !== 'open') return {};
  const resolution: Resolution = observation.remediated
    ? 'remediated'
    : !finding && !observation.resourceExists
      ? 'deleted'
      : finding?.status === 'exempt'
        ? 'exempted'
        : previous.remediatedAt !== undefined
          ? 'remediated'
          : 'fixed';
  return {
    change: 'resolved',
    record: {
      ...identity,
      resourceType: finding?.resourceType ?? previous.resourceType,
      state: 'resolved',
      status: finding?.status ?? previous.status,
      severity: finding?.severity ?? previous.severity,
      message: finding ? recordMessage(finding.message) : previous.message,
      firstSeen: previous.firstSeen,
      lastSeen: previous.lastSeen,
      resolvedAt: now,
      resolution,
      expiresAt: Math.floor(options.now.getTime() / 1000) + options.retentionDays * DAY_SECONDS,
    },
  };
}

export interface ReconcileInput extends TransitionOptions {
  scope: Scope;
  /** The stored records of the scope (others are ignored). */
  previous: readonly FindingRecord[];
  /** What this evaluation found. */
  findings: readonly ScopedFinding[];
  /**
   * The rules this evaluation ran. An open record of another rule is left as it is: a rule that did not run
   * (turned off, or not asked for) says nothing about whether its finding was fixed.
   */
  evaluatedRules: ReadonlySet<string>;
  /**
   * The resources this evaluation covered, when it covered only some (the change handler evaluates one
   * resource); open records of other resources are left as they are. Default: the whole scope.
   */
  evaluatedResources?: ReadonlySet<string>;
  /**
   * The resources that exist (by ARN): an open record of a resource not in it, without a current finding, is
   * resolved as `deleted`. Default: the resources some current finding names.
   */
  existingResources?: ReadonlySet<string>;
  /** Identities (`identityKey`) that buildwarden remediated during this evaluation. */
  remediated?: ReadonlySet<string>;
}

export interface RecordChange {
  change: Change;
  previous?: FindingRecord;
  record: FindingRecord;
}

export interface Reconciliation {
  /** The records to write: every one that changed (open records change at each evaluation: `lastSeen`). */
  writes: FindingRecord[];
  /** Every change, worst first. */
  changes: RecordChange[];
  /** Open records that were not evaluated this time (their rule did not run, or their resource was not covered). */
  unchecked: FindingRecord[];
}

/** The next records of a scope: every current finding and every open record of what was evaluated. */
export function reconcile(input: ReconcileInput): Reconciliation {
  const { scope } = input;
  const inScope = (r: FindingRecord) => r.accountId === scope.accountId && r.region === scope.region;
  const previousByKey = new Map(input.previous.filter(inScope).map((r) => [identityKey(r), r]));
  const current = worstByIdentity(
    input.findings.filter(
      (f) =>
        (f.accountId ?? scope.accountId) === scope.accountId && (f.region ?? scope.region) === scope.region,
    ),
    scope,
  );
  const existing = input.existingResources ?? new Set([...current.values()].map((f) => f.resourceArn));
  const evaluated = (r: FindingRecord) =>
    input.evaluatedRules.has(r.ruleId) && (input.evaluatedResources?.has(r.resourceArn) ?? true);

  const changes: RecordChange[] = [];
  const unchecked: FindingRecord[] = [];
  const apply = (identity: FindingIdentity, previous: FindingRecord | undefined, finding?: Finding) => {
    const key = identityKey(identity);
    const { record, change } = nextRecord(
      identity,
      previous,
      {
        ...(finding ? { finding } : {}),
        resourceExists: existing.has(identity.resourceArn),
        remediated: input.remediated?.has(key) ?? false,
      },
      input,
    );
    if (record && change) changes.push({ change, record, ...(previous ? { previous } : {}) });
  };

  for (const [key, finding] of current) apply(identityOf(finding, scope), previousByKey.get(key), finding);
  for (const [key, previous] of previousByKey) {
    if (current.has(key) || previous.state !== 'open') continue;
    if (evaluated(previous)) apply(previous, previous);
    else unchecked.push(previous);
  }
  changes.sort((a, b) => compareRecords(a.record, b.record));
  return { writes: changes.map((c) => c.record), changes, unchecked };
}

const severityRank = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<string, number>;

/** Open before resolved, then worst severity, oldest first, then by rule and resource: output is stable. */
export function compareRecords(a: FindingRecord, b: FindingRecord): number {
  return (
    (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1) ||
    severityRank[a.severity]! - severityRank[b.severity]! ||
    Date.parse(a.firstSeen) - Date.parse(b.firstSeen) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceArn.localeCompare(b.resourceArn)
  );
}

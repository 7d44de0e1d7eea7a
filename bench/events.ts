/**
 * Handling overhead per event file in events/: what a function does with an event beyond waiting for AWS.
 * Each event is parsed and handed to the use case its function runs (routed by the functions' event patterns,
 * as the EventBridge rules and `buildwarden replay` do), against the SIMULATED demo account with zero latency and no faults.
 * Every run gets a fresh copy of the account (made outside the timed region), so remediating events do the
 * same work each time; a full GC is forced every 20 runs, outside the timed region (minor GCs of the
 * runs' own garbage still land in them, as they would in Lambda). Reported: p50 and p99 of the wall time of parse + use case.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseGuardrails, type Guardrails } from '../lib/policy/guardrails';
import { parseSnapshot, type Snapshot } from '../lib/policy/snapshot';
import { SandboxAccount } from '../lib/sandbox/account';
import { functionsFor } from '../lib/events/routes';
import { activeRules } from '../lib/policy/evaluate';
import type { Read } from '../lib/policy/rules/definition';
import { readsOf } from '../lib/policy/rules/index';
import { parseChangeEvent } from '../lib/policy/change-events';
import { REGISTRY_SETTINGS } from '../lib/policy/registry-settings';
import { REGISTRY_SETTING_READS } from '../lib/usecases/registry-settings';
import { replayEvent } from '../lib/usecases/replay';
import { percentile, round } from './stats';

/** Runs between two forced full GCs: a full GC costs ~20 ms here, too much to force one per run. */
const GC_EVERY = 20;

/** A full GC between runs, outside the timed region, so one run's garbage (and the account copy) is not timed. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return gc ?? (() => {});
}

const NOW = new Date('2026-11-25T12:00:00Z');

export interface EventTiming {
  file: string;
  detailType: string;
  useCase: string;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  /** Simulated API calls one handling makes. */
  calls: number;
  error?: string;
}

/** The function whose rule matches the event, and its use case (lib/usecases/replay.ts routes as the rules do). */
export function route(raw: Record<string, unknown>): {
  useCase: string;
  run: (s: SandboxAccount, g: Guardrails) => Promise<unknown>;
} {
  return {
    useCase: functionsFor(raw)[0] ?? 'none',
    run: (s, g) => replayEvent(raw, s.ports(), g, { now: NOW, dryRun: false, ownRoleArns: [] }),
  };
}

export async function benchEvents(repoRoot: string, runs = 200, warmup = 20): Promise<EventTiming[]> {
  const demo: Snapshot = parseSnapshot(readFileSync(path.join(repoRoot, 'demo/account.json'), 'utf8'));
  const guardrails = parseGuardrails(readFileSync(path.join(repoRoot, 'demo/guardrails.yml'), 'utf8'));
  const files = readdirSync(path.join(repoRoot, 'events'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  const timings: EventTiming[] = [];
  const gc = collector();
  for (const file of files) {
    const raw = JSON.parse(readFileSync(path.join(repoRoot, 'events', file), 'utf8')) as Record<
      string,
      unknown
    >;
    const { useCase, run } = route(raw);
    const samples: number[] = [];
    let calls = 0;
    let error: string | undefined;
    for (let i = 0; i < warmup + runs && !error; i++) {
      const sandbox = new SandboxAccount(structuredClone(demo));
      if (i % GC_EVERY === 0) gc();
      const started = performance.now();
      try {
        await run(sandbox, guardrails);
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      const elapsed = performance.now() - started;
      if (i >= warmup) samples.push(elapsed);
      calls = [...sandbox.calls.values()].reduce((a, b) => a + b, 0);
    }
    timings.push({
      file,
      detailType: String(raw['detail-type']),
      useCase,
      runs: samples.length,
      p50Ms: round(percentile(samples, 50), 3),
      p99Ms: round(percentile(samples, 99), 3),
      calls,
      ...(error ? { error } : {}),
    });
  }
  return timings;
}

/** The simulated latency of every API call in the latency bench. */
export const CALL_LATENCY_MS = 30;

/** Runs per event in the latency bench; the median wall time is reported. */
const LATENCY_RUNS = 5;

export interface EventLatency {
  file: string;
  useCase: string;
  calls: number;
  byApi: Record<string, number>;
  writes: number;
  notifications: number;
  /** Rounds of calls observed: the longest chain of calls each started after the one before it answered. */
  rounds: number;
  /** The fewest rounds the event's dependent calls allow (see floorRounds). */
  floorRounds: number;
  /** The fewest calls the active rules need for the same handling (see minimumCalls). */
  minimumCalls: number;
  /** Median wall time of parse + use case, at CALL_LATENCY_MS per call. */
  wallMs: number;
  error?: string;
}

/** A write: an action that changes the account (or publishes), by its name. */
const WRITE = /^[a-z0-9-]+:(Put|Set|Delete|Attach|Detach|Update|Create|Tag|Untag|Start|BatchImport|Publish)/;

/** The first round of a single role's reads: they need only its name. */
const ROLE_FIRST_READS = ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'];

/** A repository's reads: they need only its name (and ARN), or DescribeRepositories' listing. */
const REPOSITORY_READS = [
  'ecr:DescribeRepositories',
  'ecr:GetLifecyclePolicy',
  'ecr:GetRepositoryPolicy',
  'ecr:ListTagsForResource',
  'ecr:DescribeImages',
];

/** The change handler's last round: the findings state and Security Hub, and the one notification. */
const RECORDING = ['dynamodb:PutItem', 'securityhub:BatchImportFindings', 'sns:Publish'];

/** "API X needs the answer of API Y", whatever the event: the dependencies the APIs themselves impose. */
const NEEDS: Record<string, readonly string[]> = {
  // ListProjects names the projects BatchGetProjects reads.
  'codebuild:BatchGetProjects': ['codebuild:ListProjects'],
  // A policy's users: the projects are listed only once the policy is known to be attached to a role.
  'codebuild:ListProjects': ['iam:ListEntitiesForPolicy'],
  // Inline policies by the names ListRolePolicies returns; managed ones by the ARNs ListAttachedRolePolicies
  // (and GetRole, for the boundary) return; their document by the default version GetPolicy names.
  'iam:GetRolePolicy': ['iam:ListRolePolicies'],
  'iam:GetPolicy': ['iam:ListAttachedRolePolicies', 'iam:GetRole'],
  'iam:GetPolicyVersion': ['iam:GetPolicy'],
};

/**
 * What a call needs besides NEEDS, by what the event names (`kind`: the change event's target, else the
 * function): the roles of a policy event come from ListEntitiesForPolicy, a project event's role and every
 * project's target repositories from BatchGetProjects, a registry-wide change's repositories from
 * DescribeRepositories. The change handler's findings state (Query) needs the ARNs of what it evaluated: the
 * event's repository's is known at once; projects' and their roles' come with BatchGetProjects (a project
 * names its role by ARN); registry subjects come with their reads. Its writes need every read; its last round
 * (records, Security Hub, notification) needs the reads, the writes and the stored state. A scan's
 * notification needs the findings and the stored verdict; the verdict's UpdateItem follows the notification
 * on purpose (a retry after a failed write notifies rather than loses the verdict). A build's notification
 * follows its PutItem (a record that failed is retried before anyone is told, so no notification twice).
 */
function needsOf(action: string, kind: string, present: readonly string[]): readonly string[] {
  const own = NEEDS[action] ?? [];
  if (kind === 'onScan') {
    if (action === 'sns:Publish') return present.filter((a) => a !== action && a !== 'dynamodb:UpdateItem');
    if (action === 'dynamodb:UpdateItem') return ['sns:Publish', 'dynamodb:GetItem'];
    return own;
  }
  if (kind === 'onBuild') {
    if (action === 'dynamodb:PutItem') return ['codebuild:BatchGetProjects'];
    if (action === 'sns:Publish') return ['codebuild:BatchGetProjects', 'dynamodb:PutItem'];
    return own;
  }
  const reads = present.filter((a) => !WRITE.test(a) && a !== 'dynamodb:Query');
  const writes = present.filter((a) => WRITE.test(a) && !RECORDING.includes(a));
  if (RECORDING.includes(action)) return [...reads, ...writes, 'dynamodb:Query'];
  if (writes.includes(action)) return reads;
  if (action === 'dynamodb:Query') {
    if (kind === 'repository') return [];
    if (kind === 'registry') return ['ecr:DescribeRepositories'];
    if (kind === 'registry-setting') return reads;
    return ['codebuild:BatchGetProjects'];
  }
  const extra: string[] = [];
  if (ROLE_FIRST_READS.includes(action)) {
    if (kind === 'project') extra.push('codebuild:BatchGetProjects');
    if (kind === 'policy') extra.push('iam:ListEntitiesForPolicy');
  }
  if (REPOSITORY_READS.includes(action)) {
    if (kind === 'project' || kind === 'role' || kind === 'policy') extra.push('codebuild:BatchGetProjects');
    if (kind === 'registry' && action !== 'ecr:DescribeRepositories') extra.push('ecr:DescribeRepositories');
  }
  return [...own, ...extra];
}

/**
 * The fewest rounds of calls the event allows: the longest chain of calls that depend on each other, each
 * waiting for the one before (see needsOf for the dependencies), over the APIs the handling actually called.
 * E.g. a repository event: 1 round of reads (the repository, the registry scanning configuration, the
 * organization and the repository's findings state), 1 of writes if any, 1 last round (records, Security Hub,
 * notification) if any. A project event: BatchGetProjects → GetRole/lists → GetPolicy → GetPolicyVersion
 * (the repositories after BatchGetProjects, in parallel), then writes and the last round. A role event:
 * ListProjects → BatchGetProjects → repository reads, in parallel with GetRole/lists → GetPolicy →
 * GetPolicyVersion. A policy event: ListEntitiesForPolicy → the role reads, in parallel with ListProjects →
 * BatchGetProjects → repository reads. A registry-wide change: DescribeRepositories → repository reads. A
 * scan: the findings and the stored verdict → notification → UpdateItem. Paged calls count as one.
 */
export function floorRounds(kind: string, byApi: Record<string, number>): number {
  const present = Object.keys(byApi);
  const depth = new Map<string, number>();
  const depthOf = (action: string, visiting: Set<string>): number => {
    const known = depth.get(action);
    if (known !== undefined) return known;
    if (visiting.has(action)) return 0;
    visiting.add(action);
    const needs = needsOf(action, kind, present).filter((a) => a !== action && present.includes(a));
    const d = 1 + Math.max(0, ...needs.map((a) => depthOf(a, visiting)));
    visiting.delete(action);
    depth.set(action, d);
    return d;
  };
  return Math.max(0, ...present.map((a) => depthOf(a, new Set())));
}

/** The rule read (lib/policy/rules/definition.ts READS) that an optional read API serves. */
const READ_SERVED: Record<string, Read> = {
  'ecr:GetRegistryScanningConfiguration': 'registry-scanning',
  'organizations:DescribeOrganization': 'organization',
  'ecr:DescribeImages': 'repository-images',
  'ecr:GetLifecyclePolicy': 'repository-details',
  'ecr:GetRepositoryPolicy': 'repository-details',
  // Each registry-level setting's call serves the read that fills it.
  ...Object.fromEntries(
    Object.entries(REGISTRY_SETTING_READS).map(([read, [setting]]) => [
      REGISTRY_SETTINGS[setting].call,
      read,
    ]),
  ),
};

/** BatchWriteItem writes at most 25 items a call. */
const BATCH_WRITE_MAX = 25;

/**
 * The fewest calls the handling needs: a call to an API that serves only a rule read (READ_SERVED) no active
 * rule declares is not needed; the findings state's PutItems could go 25 to a BatchWriteItem; every other call
 * is needed as made — one per resource read (the event's repository, project, role, policy, each of a role's
 * policies, each page), one per write the rules planned, one notification, one Security Hub import. The
 * active rules are those of the guardrails whatever their scope, so this errs towards more calls needed, not
 * fewer.
 */
export function minimumCalls(byApi: Record<string, number>, activeReads: ReadonlySet<Read>): number {
  let total = 0;
  for (const [api, calls] of Object.entries(byApi)) {
    const serves = READ_SERVED[api];
    if (serves && !activeReads.has(serves)) continue;
    total += api === 'dynamodb:PutItem' ? Math.ceil(calls / BATCH_WRITE_MAX) : calls;
  }
  return total;
}

/** What an event names, for floorRounds: a change event's target kind, else the function that handles it. */
function eventKind(raw: Record<string, unknown>, useCase: string): string {
  if (useCase !== 'onChange') return useCase;
  try {
    return parseChangeEvent(raw).target?.kind ?? 'none';
  } catch {
    return 'none';
  }
}

/** A fault injector that only waits CALL_LATENCY_MS per call and records when each call was in flight. */
class RecordingLatency {
  readonly spans: { action: string; start: number; end: number }[] = [];
  async beforeCall(action: string): Promise<void> {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, CALL_LATENCY_MS));
    this.spans.push({ action, start, end: performance.now() });
  }
}

/**
 * The longest chain of calls each started after the one before it answered: the rounds the handling took.
 * (With one chain at a time, the disjoint stretches of time with a call in flight; chains that run side by
 * side count once.)
 */
export function roundsOf(spans: readonly { start: number; end: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const chain: number[] = [];
  for (const [i, span] of sorted.entries()) {
    let longest = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= span.start) longest = Math.max(longest, chain[j]!);
    chain.push(longest + 1);
  }
  return Math.max(0, ...chain);
}

/**
 * Each events/*.json through its function's use case on the demo account with CALL_LATENCY_MS of SIMULATED
 * latency per call (real timers): the calls made, the rounds they took, and the wall time against the floor.
 */
export async function benchEventLatency(repoRoot: string): Promise<EventLatency[]> {
  const demo: Snapshot = parseSnapshot(readFileSync(path.join(repoRoot, 'demo/account.json'), 'utf8'));
  const guardrails = parseGuardrails(readFileSync(path.join(repoRoot, 'demo/guardrails.yml'), 'utf8'));
  const activeReads = readsOf(activeRules(guardrails));
  const files = readdirSync(path.join(repoRoot, 'events'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  const results: EventLatency[] = [];
  for (const file of files) {
    const raw = JSON.parse(readFileSync(path.join(repoRoot, 'events', file), 'utf8')) as Record<
      string,
      unknown
    >;
    const { useCase, run } = route(raw);
    const walls: number[] = [];
    let last: { spans: RecordingLatency['spans'] } = { spans: [] };
    let error: string | undefined;
    for (let i = 0; i < LATENCY_RUNS && !error; i++) {
      const latency = new RecordingLatency();
      const sandbox = new SandboxAccount(structuredClone(demo), { faults: latency });
      const started = performance.now();
      try {
        await run(sandbox, guardrails);
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      walls.push(performance.now() - started);
      last = latency;
    }
    const byApi: Record<string, number> = {};
    for (const span of last.spans) byApi[span.action] = (byApi[span.action] ?? 0) + 1;
    const actions = last.spans.map((s) => s.action);
    results.push({
      file,
      useCase,
      calls: actions.length,
      byApi,
      writes: actions.filter((a) => WRITE.test(a) && a !== 'sns:Publish').length,
      notifications: actions.filter((a) => a === 'sns:Publish').length,
      rounds: roundsOf(last.spans),
      floorRounds: floorRounds(eventKind(raw, useCase), byApi),
      minimumCalls: minimumCalls(byApi, activeReads),
      wallMs: round(percentile(walls, 50), 1),
      ...(error ? { error } : {}),
    });
  }
  return results;
}

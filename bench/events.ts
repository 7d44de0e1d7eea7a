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
function route(raw: Record<string, unknown>): {
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
  /** Rounds of calls observed: disjoint stretches of time with at least one call in flight. */
  rounds: number;
  /** The fewest rounds the event's dependent calls allow (see floorRounds). */
  floorRounds: number;
  /** Median wall time of parse + use case, at CALL_LATENCY_MS per call. */
  wallMs: number;
  error?: string;
}

/** A write: an action that changes the account (or publishes), by its name. */
const WRITE = /^[a-z0-9-]+:(Put|Set|Delete|Attach|Detach|Update|Create|Tag|Untag|Start|BatchImport|Publish)/;

/**
 * The fewest rounds of calls the event allows, each round waiting for the one before: the reads, whose number
 * of rounds is that of their longest chain (1 when everything read is named by the event: a repository, an
 * image, a build; 2 when a read needs another's answer: a project's service role and target repositories,
 * the projects of a role — ListProjects then BatchGetProjects — or the repositories of a registry-wide
 * change), then one round of writes when there are writes (they do not depend on each other), then one
 * notification when there is one (it reports the writes' outcome).
 */
function floorRounds(raw: Record<string, unknown>, byApi: Record<string, number>): number {
  const detail = (raw.detail ?? {}) as { eventSource?: string; eventName?: string };
  const actions = Object.keys(byApi);
  const reads = actions.filter((a) => !WRITE.test(a));
  const writes = actions.filter((a) => WRITE.test(a) && a !== 'sns:Publish');
  const notifies = actions.includes('sns:Publish');
  let readRounds = reads.length > 0 ? 1 : 0;
  const chained =
    detail.eventSource === 'codebuild.amazonaws.com' ||
    detail.eventSource === 'iam.amazonaws.com' ||
    detail.eventName === 'PutRegistryScanningConfiguration';
  if (readRounds > 0 && chained) readRounds = 2;
  return readRounds + (writes.length > 0 ? 1 : 0) + (notifies ? 1 : 0);
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

/** Disjoint stretches of time with a call in flight. */
function roundsOf(spans: { start: number; end: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let rounds = 0;
  let busyUntil = -Infinity;
  for (const span of sorted) {
    if (span.start >= busyUntil) rounds += 1;
    busyUntil = Math.max(busyUntil, span.end);
  }
  return rounds;
}

/**
 * Each events/*.json through its function's use case on the demo account with CALL_LATENCY_MS of SIMULATED
 * latency per call (real timers): the calls made, the rounds they took, and the wall time against the floor.
 */
export async function benchEventLatency(repoRoot: string): Promise<EventLatency[]> {
  const demo: Snapshot = parseSnapshot(readFileSync(path.join(repoRoot, 'demo/account.json'), 'utf8'));
  const guardrails = parseGuardrails(readFileSync(path.join(repoRoot, 'demo/guardrails.yml'), 'utf8'));
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
      floorRounds: floorRounds(raw, byApi),
      wallMs: round(percentile(walls, 50), 1),
      ...(error ? { error } : {}),
    });
  }
  return results;
}

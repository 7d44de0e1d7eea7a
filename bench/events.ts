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

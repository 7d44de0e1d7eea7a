/**
 * The cold path before and after: the figures of an earlier run, kept as data (bench/before-cold-path.json,
 * taken from bench/results.md at the commit its `source` names), next to this run's, per function (zip, init
 * against its SDK baseline) and per event (rounds and wall time at the simulated per-call latency).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { round, table } from './stats';

interface BeforeFunction {
  zipKiB: number;
  bundleKiB: number;
  initMs: number;
  baselineInitMs: number;
}

interface BeforeEvent {
  calls: number;
  rounds: number;
  floorRounds: number;
  wallMs: number;
}

interface Before {
  source: string;
  functions: Record<string, BeforeFunction>;
  events: Record<string, BeforeEvent>;
}

/** This run's figures of one function. */
export interface FunctionNow {
  name: string;
  zipBytes: number;
  initMs: number;
  baselineInitMs: number;
}

/** This run's figures of one event. */
export interface EventNow {
  file: string;
  calls: number;
  rounds: number;
  wallMs: number;
}

const ratio = (a: number, b: number) => `${round(a / b, 2)}×`;

export function beforeAfterSection(repoRoot: string, functions: FunctionNow[], events: EventNow[]): string[] {
  const before = JSON.parse(
    readFileSync(path.join(repoRoot, 'bench', 'before-cold-path.json'), 'utf8'),
  ) as Before;
  const out: string[] = [
    `Before: ${before.source}. After: this run. A function or event the earlier run did not have shows "—".`,
    '',
  ];
  out.push(
    table(
      [
        'function',
        'zip before → after',
        'init before → after (ms)',
        'SDK baseline init before → after (ms)',
        'init / baseline before → after',
      ],
      functions.map((f) => {
        const b = before.functions[f.name];
        const zip = round(f.zipBytes / 1024, 1);
        return b
          ? [
              f.name,
              `${b.zipKiB} → ${zip} KiB`,
              `${b.initMs} → ${f.initMs}`,
              `${b.baselineInitMs} → ${f.baselineInitMs}`,
              `${ratio(b.initMs, b.baselineInitMs)} → ${ratio(f.initMs, f.baselineInitMs)}`,
            ]
          : [
              f.name,
              `— → ${zip} KiB`,
              `— → ${f.initMs}`,
              `— → ${f.baselineInitMs}`,
              `— → ${ratio(f.initMs, f.baselineInitMs)}`,
            ];
      }),
    ),
  );
  out.push('');
  out.push(
    table(
      ['event file', 'API calls before → after', 'rounds before → after', 'wall before → after (ms)'],
      events.map((e) => {
        const b = before.events[e.file];
        return b
          ? [e.file, `${b.calls} → ${e.calls}`, `${b.rounds} → ${e.rounds}`, `${b.wallMs} → ${e.wallMs}`]
          : [e.file, `— → ${e.calls}`, `— → ${e.rounds}`, `— → ${e.wallMs}`];
      }),
    ),
  );
  return out;
}

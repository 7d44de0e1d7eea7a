/**
 * lib/events/forwarding.ts: the patterns a member account forwards to the hub are the hub's routes, split by
 * `source` into what every Region forwards and what only the global Region (where AWS delivers IAM's events)
 * forwards, so that together they match exactly what the routes match.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  forwardedPatterns,
  GLOBAL_SERVICE_SOURCES,
  type ForwardedPattern,
} from '../../../lib/events/forwarding';
import { EVENT_FUNCTIONS, EVENT_ROUTES, functionsFor } from '../../../lib/events/routes';
import { matchesPattern } from '../../fixtures/event-pattern';
import { awsSample, loadJson, REPO_ROOT } from '../../fixtures/load';

type Event = { source: string } & Record<string, unknown>;

const eventFiles = readdirSync(path.join(REPO_ROOT, 'events')).filter((f) => f.endsWith('.json'));
const sampleFiles = readdirSync(path.join(REPO_ROOT, 'tests/fixtures/aws-samples')).filter(
  (f) =>
    f.endsWith('.json') && !f.startsWith('api-') && !f.includes('policy') && !f.includes('.event-pattern.'),
);
const allEvents: [string, Event][] = [
  ...eventFiles.map((f): [string, Event] => [
    `events/${f}`,
    loadJson<Event>(path.join('..', '..', 'events', f)),
  ]),
  ...sampleFiles.map((f): [string, Event] => [`aws-samples/${f}`, awsSample<Event>(f)]),
].filter(([, e]) => typeof e.source === 'string');

/** Which functions' patterns a member account in a Region of this kind forwards the event for. */
function forwardedFor(event: unknown, inGlobalRegion: boolean): string[] {
  return [
    ...new Set(
      forwardedPatterns()
        .filter((p) => inGlobalRegion || p.scope === 'every-region')
        .filter((p) => matchesPattern(p.pattern, event))
        .map((p) => p.function),
    ),
  ];
}

describe('forwardedPatterns', () => {
  test('every route of every function is forwarded', () => {
    const forwarded = new Set(forwardedPatterns().map((p) => `${p.function}#${p.route}`));

    const routes = EVENT_FUNCTIONS.flatMap((fn) => EVENT_ROUTES[fn].map((_, route) => `${fn}#${route}`));
    expect([...forwarded].sort()).toEqual(routes.sort());
  });

  test('the parts of a route differ from it only in source, and their sources partition the route’s', () => {
    const byRoute = new Map<string, ForwardedPattern[]>();
    for (const p of forwardedPatterns()) {
      const key = `${p.function}#${p.route}`;
      byRoute.set(key, [...(byRoute.get(key) ?? []), p]);
    }

    for (const [key, parts] of byRoute) {
      const [fn, route] = key.split('#') as [keyof typeof EVENT_ROUTES, string];
      const original = EVENT_ROUTES[fn][Number(route)]!;
      const { source: originalSources, ...rest } = original;
      for (const part of parts) {
        const { source: _source, ...partRest } = part.pattern;
        expect({ key, rest: partRest }).toEqual({ key, rest });
      }
      const sources = parts.flatMap((p) => p.pattern.source as string[]);
      expect({ key, sources: [...sources].sort() }).toEqual({
        key,
        sources: [...(originalSources as string[])].sort(),
      });
      expect(new Set(sources).size).toBe(sources.length);
    }
  });

  test('only global-service sources are forwarded from the global Region alone', () => {
    for (const p of forwardedPatterns()) {
      const sources = p.pattern.source as string[];
      const global = sources.map((s) => (GLOBAL_SERVICE_SOURCES as readonly string[]).includes(s));
      expect({ p: `${p.function}#${p.route}`, global }).toEqual({
        p: `${p.function}#${p.route}`,
        global: sources.map(() => p.scope === 'global-region'),
      });
    }
  });

  test('the change handler’s route is split: ECR and CodeBuild from every Region, IAM from the global Region', () => {
    const onChange = forwardedPatterns().filter((p) => p.function === 'onChange');

    expect(onChange.map((p) => ({ scope: p.scope, source: p.pattern.source }))).toEqual([
      { scope: 'every-region', source: ['aws.ecr', 'aws.codebuild'] },
      { scope: 'global-region', source: ['aws.iam'] },
    ]);
  });

  test.each(allEvents)(
    '%s: the global Region forwards it for exactly the functions the hub routes it to',
    (_, event) => {
      expect(forwardedFor(event, true).sort()).toEqual(functionsFor(event).sort());
    },
  );

  test.each(allEvents)(
    '%s: another Region forwards it for the same functions unless a global service sent it',
    (_, event) => {
      const expected = (GLOBAL_SERVICE_SOURCES as readonly string[]).includes(event.source)
        ? []
        : functionsFor(event);

      expect(forwardedFor(event, false).sort()).toEqual(expected.sort());
    },
  );

  test('an IAM change event is forwarded from the global Region only, an ECR one from every Region', () => {
    const iam = allEvents.find(([name]) => name === 'events/iam-PutRolePolicy.json')![1];
    const ecr = allEvents.find(([name]) => name === 'events/ecr-CreateRepository.json')![1];

    expect(forwardedFor(iam, true)).toEqual(['onChange']);
    expect(forwardedFor(iam, false)).toEqual([]);
    expect(forwardedFor(ecr, false)).toEqual(['onChange']);
  });
});

/**
 * Which events a member account forwards to the hub's event bus, and from which Region: the hub functions'
 * event patterns (lib/events/routes.ts), each split by `source` into the part every Region forwards and the
 * part only the global Region forwards. AWS global services (IAM) deliver their CloudTrail events to
 * EventBridge in one Region only (us-east-1 in the aws partition), so a rule for them elsewhere would never
 * fire; the member template (scripts/member-template.ts) creates it only in the global Region.
 *
 * The split changes nothing but `source`, whose values it partitions: an event matches the original pattern
 * exactly when it matches one of the parts, so the hub receives what its own rules would have matched.
 */
import { EVENT_FUNCTIONS, EVENT_ROUTES, type EventFunction } from './routes';
import type { EventPattern } from './pattern';

/** Event sources of AWS global services: their events reach EventBridge in the global Region only. */
export const GLOBAL_SERVICE_SOURCES = ['aws.iam'] as const;

/** Where a member account forwards a pattern from. */
export type ForwardingScope = 'every-region' | 'global-region';

export interface ForwardedPattern {
  /** The hub function whose route the pattern comes from. */
  function: EventFunction;
  /** The route's position in EVENT_ROUTES[function] (0-based). */
  route: number;
  scope: ForwardingScope;
  pattern: EventPattern;
}

const isGlobalSource = (source: unknown) => (GLOBAL_SERVICE_SOURCES as readonly unknown[]).includes(source);

/** One route as the parts a member account forwards (one part, or two when it mixes global and regional sources). */
function partsOf(pattern: EventPattern): { scope: ForwardingScope; pattern: EventPattern }[] {
  const sources = pattern.source;
  // Without a list of sources the pattern may match events of any service: every Region forwards it.
  if (!Array.isArray(sources)) return [{ scope: 'every-region', pattern }];
  const regional = sources.filter((s) => !isGlobalSource(s));
  const global = sources.filter(isGlobalSource);
  const parts: { scope: ForwardingScope; pattern: EventPattern }[] = [];
  if (regional.length > 0) parts.push({ scope: 'every-region', pattern: { ...pattern, source: regional } });
  if (global.length > 0) parts.push({ scope: 'global-region', pattern: { ...pattern, source: global } });
  return parts;
}

/** Every pattern a member account forwards to the hub, function by function, route by route. */
export function forwardedPatterns(): ForwardedPattern[] {
  return EVENT_FUNCTIONS.flatMap((fn) =>
    EVENT_ROUTES[fn].flatMap((pattern, route) =>
      partsOf(pattern).map((part) => ({ function: fn, route, ...part })),
    ),
  );
}

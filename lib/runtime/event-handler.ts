/**
 * The skeleton of every EventBridge-triggered function, written once: parse the event with its schema (a
 * malformed event is dropped with the reason — a retry cannot fix it), run the use case with the function's
 * deps (lib/runtime/lambda.ts), log one line saying what happened, and rethrow anything unexpected so Lambda's
 * retries and the on-failure destination see it.
 *
 * The ecosystem's answer is Powertools' parser envelopes under middy; neither is a dependency here. The
 * skeleton is the few lines of theirs this code uses (an envelope is the event schema each parser already
 * applies), which keeps each bundle's size and cold init to the SDK clients it needs — see ARCHITECTURE.md.
 */
import type { Context } from 'aws-lambda';
import { InvalidInputError } from '../errors';
import { logger } from '../logger';
import type { Deps, Need } from './compose';
import { beginInvocation, functionConfig, invoke, type FunctionShape, type Invocation } from './lambda';
import type { FunctionMetrics } from './observability';

export interface EventFunction<E, N extends readonly Need[], R extends object> extends FunctionShape<N> {
  /** What the function calls its events in log lines: `build event` → "build event dropped". */
  event: string;
  /** The event's schema: throws InvalidInputError naming what is wrong. */
  parse: (raw: unknown) => E;
  /** The use case, with the function's deps. */
  run: (event: E, deps: Deps<N>, invocation: Invocation) => Promise<R>;
  /** The one log line of a handled event: its message and fields. */
  log: (event: E, result: R) => [message: string, fields: Record<string, unknown>];
  metrics?: FunctionMetrics<R>;
}

export type Dropped = { dropped: string };

/** A scheduled function: nothing to parse (the schedule's event only names the trigger), its own log lines. */
export interface ScheduledFunction<N extends readonly Need[], R extends object> extends FunctionShape<N> {
  run: (trigger: string, deps: Deps<N>, invocation: Invocation) => Promise<R>;
  metrics?: FunctionMetrics<R>;
}

export function scheduledHandler<const N extends readonly Need[], R extends object>(
  fn: ScheduledFunction<N, R>,
): (raw: unknown, context?: Context) => Promise<R> {
  return async (raw, context) => {
    beginInvocation(context);
    const id = (raw as { id?: unknown } | null)?.id;
    const trigger = typeof id === 'string' ? id : 'unknown';
    return invoke(fn, context, (deps, invocation) => fn.run(trigger, deps, invocation));
  };
}

export function eventHandler<E, const N extends readonly Need[], R extends object>(
  fn: EventFunction<E, N, R>,
): (raw: unknown, context?: Context) => Promise<R | Dropped> {
  return async (raw, context) => {
    beginInvocation(context);
    // A misconfigured function fails every invocation, before it reads the event.
    await functionConfig(fn);
    let event: E;
    try {
      event = fn.parse(raw);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      logger.warn(`${fn.event} dropped`, { reason: error.problems });
      return { dropped: error.problems.join('; ') };
    }
    const result = await invoke(fn, context, (deps, invocation) => fn.run(event, deps, invocation));
    const [message, fields] = fn.log(event, result);
    logger.info(message, fields);
    return result;
  };
}

/**
 * Metrics and tracing of every function, from the handler skeleton (lib/runtime/lambda.ts `invoke`):
 *
 * - **Metrics**: each function says what its result counts (`FunctionMetrics`: data, no emitting in use cases);
 *   the skeleton adds the API calls the invocation sent (lib/aws/instrument.ts) and publishes them as one
 *   CloudWatch embedded metric format document per dimension set (Powertools Metrics, namespace `buildwarden`),
 *   with low-cardinality dimensions only: `service`, `function` and, where a metric has them, `rule` and
 *   `severity` — never a resource ARN.
 * - **Tracing**: Powertools Tracer captures every SDK client created from the first traced invocation on.
 *
 * Both are loaded on first use, and only when on (BUILDWARDEN_METRICS, BUILDWARDEN_TRACING): a function with
 * them off does not evaluate either package at init.
 */
import { apiCallCount, captureClientsWith } from '../aws/instrument';
import type { Settings } from '../settings';

export const METRICS_NAMESPACE = 'buildwarden';
export const SERVICE_NAME = 'buildwarden';

/** One metric value: a count (default) or milliseconds, with its own dimensions beside `service` and `function`. */
export interface MetricPoint {
  name: string;
  value: number;
  unit?: 'Count' | 'Milliseconds';
  dimensions?: Readonly<Record<string, string>>;
}

/** What a function's results count: its name (the `function` dimension) and the metrics of a result. */
export interface FunctionMetrics<R = unknown> {
  function: string;
  /** The metrics of a handled invocation. */
  of?(result: R): MetricPoint[];
  /** The metrics of an invocation that failed (it is rethrown): e.g. a change the handler could not make. */
  failed?: readonly MetricPoint[];
}

let tracing: Promise<void> | undefined;

/** Installs the tracer (once per process) when tracing is on, before the invocation builds its clients. */
export function startTracing(settings: Settings): Promise<void> {
  if (!settings.BUILDWARDEN_TRACING) return Promise.resolve();
  tracing ??= import('@aws-lambda-powertools/tracer').then(({ Tracer }) => {
    const tracer = new Tracer({ serviceName: SERVICE_NAME });
    captureClientsWith((client) => tracer.captureAWSv3Client(client));
  });
  return tracing;
}

/**
 * Runs an invocation and publishes its metrics (when metrics are on): those of its result, or `failed` when it
 * throws, and the API calls it sent. Publishing never hides the invocation's own outcome.
 */
export async function withMetrics<T>(
  settings: Settings,
  metrics: FunctionMetrics<T> | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (!settings.BUILDWARDEN_METRICS || !metrics) return run();
  const callsBefore = apiCallCount();
  const apiCalls = (): MetricPoint => ({ name: 'ApiCalls', value: apiCallCount() - callsBefore });
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await publish(metrics.function, [...(metrics.failed ?? []), apiCalls()]);
    throw error;
  }
  await publish(metrics.function, [...(metrics.of?.(result) ?? []), apiCalls()]);
  return result;
}

/** One EMF document for the points without dimensions of their own, one per other dimension set. */
async function publish(functionName: string, points: readonly MetricPoint[]): Promise<void> {
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics');
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { function: functionName },
  });
  const unit = (p: MetricPoint) => (p.unit === 'Milliseconds' ? MetricUnit.Milliseconds : MetricUnit.Count);
  const bySet = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const key = JSON.stringify(Object.entries(point.dimensions ?? {}).sort());
    bySet.set(key, [...(bySet.get(key) ?? []), point]);
  }
  for (const [key, group] of bySet) {
    const dimensions = Object.fromEntries(JSON.parse(key) as [string, string][]);
    metrics.addDimensions(dimensions);
    for (const point of group) metrics.addMetric(point.name, unit(point), point.value);
    metrics.publishStoredMetrics();
  }
}

/**
 * A value built the first time it is asked for, then kept: for zod schemas that a module's importers need on
 * some paths only (a function that never validates a scan gate configuration never builds its schema), so a
 * cold start does not pay for them. A build that throws is not kept: the next call builds again.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

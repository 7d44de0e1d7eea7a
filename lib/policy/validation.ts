/** Turning schema failures into messages that name the path of the offending field. */
import type * as z from 'zod';
import { InvalidInputError } from '../errors';

/** `ecr.repositories[3].imageTagMutability` from `['ecr','repositories',3,'imageTagMutability']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => `${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
}

// The class lives with the other domain errors; it is re-exported here, beside the schema helpers.
export { InvalidInputError } from '../errors';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
  return result.data;
}

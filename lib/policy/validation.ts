/** Turning schema failures into messages that name the path of the offending field. */
import type * as z from 'zod';

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

/** Input that failed a schema; `problems` holds one `path: message` line per problem. */
export class InvalidInputError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidInputError';
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
  return result.data;
}

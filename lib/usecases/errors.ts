import { UnreadableError } from '../ports';

/** Error name and message (a failed read: the call and its error), never a stack or request payload. */
export function describeError(error: unknown): string {
  if (error instanceof UnreadableError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

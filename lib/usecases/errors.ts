import { describeFailure } from '../errors';
import { UnreadableError } from '../ports';

/**
 * Error name and message (a failed read: the call and its error), never a stack or request payload. A domain
 * error translated from a service's error reads as that error, as it did before translation.
 */
export function describeError(error: unknown): string {
  if (error instanceof UnreadableError) return error.message;
  return describeFailure(error);
}

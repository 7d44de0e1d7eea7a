/** Shorthands for the outcomes rules return. */
import type { RuleOutcome } from './types';

export const violation = (
  message: string,
  remediable: boolean,
  details?: Record<string, unknown>,
): RuleOutcome => ({
  status: 'violation',
  message,
  remediable,
  ...(details ? { details } : {}),
});
export const compliant = (message: string, details?: Record<string, unknown>): RuleOutcome => ({
  status: 'compliant',
  message,
  ...(details ? { details } : {}),
});

/**
 * What the organization audit's state machine (deploy/organization-audit.asl.json) passes to its three tasks:
 * the run id (the execution's name) to the targets and summary steps, and one target (with where its last
 * part stopped) to the audit-shard. A malformed input is an InvalidInputError naming the field.
 */
import * as z from 'zod';
import { parseWith } from './validation';

const runId = z.string().regex(/^[A-Za-z0-9_.=-]{1,80}$/, 'expected letters, digits and _.=- (at most 80)');

const runInput = z.object({ runId });

const shardInput = z.object({
  runId,
  target: z.object({
    accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
    region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'expected an AWS region'),
  }),
  nextToken: z.string().min(1).optional(),
  part: z.number().int().min(0).optional(),
});

export type RunInput = z.infer<typeof runInput>;
export type ShardTaskInput = z.infer<typeof shardInput>;

export function parseRunInput(raw: unknown): RunInput {
  return parseWith(runInput, raw, 'organization run input');
}

/** The shard's input; a later part's input is the previous part's result, whose other fields are ignored. */
export function parseShardInput(raw: unknown): ShardTaskInput {
  return parseWith(shardInput, raw, 'audit-shard input');
}

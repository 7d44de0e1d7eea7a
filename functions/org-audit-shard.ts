/**
 * The organization audit's shard. Trigger: the state machine's AuditShard task, once per account and Region
 * (again from its page token while repositories remain). Audits the target through its member role, writes
 * the findings as JSON lines to the runs bucket and returns the counts; an account whose role cannot be
 * assumed is one not-visible finding, never a failed task. Like the scheduled audit, it classifies no IAM actions
 * by access level: the action catalogue (lib/action-catalog.ts) reads iam-data's files beside its module, which
 * a function package does not carry — and its module cannot even load from a bundle.
 */
import type { Target } from '../lib/ports';
import { parseShardInput } from '../lib/policy/organization-run-input';
import {
  awsOrganization,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
  s3Runs,
} from '../lib/runtime/adapters';
import { compose } from '../lib/runtime/compose';
import { eventHandler } from '../lib/runtime/event-handler';
import { assumedMemberSource } from '../lib/runtime/members';
import { auditShard } from '../lib/usecases/organization-shard';

/** What the audit of one target reads, in that target's account and Region. */
const TARGET_NEEDS = [ecrRegistry, codebuildProjects, iamIdentity, awsOrganization] as const;

export const handler = eventHandler({
  event: 'audit-shard input',
  parse: parseShardInput,
  needs: [s3Runs],
  run: (input, deps, { settings, guardrails, now }) =>
    auditShard(
      async (target: Target) => compose(settings, TARGET_NEEDS, await assumedMemberSource(settings, target)),
      deps.runs,
      guardrails,
      input,
      { now, pageBudget: settings.BUILDWARDEN_ORG_AUDIT_PAGE_BUDGET },
    ),
  log: (input, result) => [
    'organization target audited',
    { runId: input.runId, ...input.target, part: result.part, more: result.more, counts: result.counts },
  ],
});

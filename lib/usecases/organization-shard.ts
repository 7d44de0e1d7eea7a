/**
 * The organization audit's shard step (organization-run.ts describes the run): one account-region audited, at
 * most `pageBudget` DescribeRepositories pages per invocation, its findings written to the run store. Kept
 * apart from the targets and summary steps so that their functions do not carry the audit.
 */
import type { RegistryReader, RunStore, Target } from '../ports';
import type { Guardrails, RuleId } from '../policy/guardrails';
import { REGISTRY_RULES, RULE_IDS } from '../policy/rules/index';
import { evaluateView, readAccount, type AuditDeps } from './audit';
import { describeError } from './errors';
import { notAuditedFinding } from './organization-audit';
import { checkRunId, shardKey, zero, type ShardInput, type ShardResult } from './organization-run';

const REGISTRY_RULE_IDS: ReadonlySet<string> = new Set(REGISTRY_RULES.map((r) => r.id));

/** A registry that lists at most `pages` pages from `token`, remembering where it stopped. */
function budgeted(registry: RegistryReader, token: string | undefined, pages: number, pageSize?: number) {
  const state: { nextToken: string | undefined } = { nextToken: undefined };
  const reader: RegistryReader = Object.create(registry) as RegistryReader;
  reader.repositoryPages = async function* () {
    let next = token;
    for (let i = 0; i < pages; i += 1) {
      const page = await registry.repositoryPage({
        ...(next !== undefined ? { nextToken: next } : {}),
        ...(pageSize !== undefined ? { maxResults: pageSize } : {}),
      });
      yield page.repositories;
      next = page.nextToken;
      if (next === undefined) break;
    }
    state.nextToken = next;
  };
  return { reader, state };
}

export async function auditShard(
  depsFor: (target: Target) => Promise<AuditDeps>,
  runs: RunStore,
  guardrails: Guardrails,
  input: ShardInput,
  /** pageSize: repositories a DescribeRepositories page asks for (default the service's 1,000). */
  options: { now: Date; pageBudget: number; pageSize?: number; ruleIds?: readonly RuleId[] },
): Promise<ShardResult> {
  checkRunId(input.runId);
  const part = input.part ?? 0;
  const key = shardKey(input.runId, input.target, part);
  let deps: AuditDeps;
  try {
    deps = await depsFor(input.target);
  } catch (error) {
    const reason = describeError(error);
    const finding = notAuditedFinding(input.target, reason);
    await runs.put(key, `${JSON.stringify(finding)}\n`);
    return {
      runId: input.runId,
      target: input.target,
      part,
      more: false,
      counts: { ...zero(), 'not-visible': 1 },
      repositories: 0,
      notAudited: reason,
    };
  }
  const { reader, state } = budgeted(deps.registry, input.nextToken, options.pageBudget, options.pageSize);
  const first = input.nextToken === undefined;
  // Projects and roles once, in the first part; later parts read repositories only.
  const partDeps: AuditDeps = first
    ? { ...deps, registry: reader }
    : {
        account: deps.account,
        registry: reader,
        ...(deps.organization ? { organization: deps.organization } : {}),
      };
  // Registry-level settings are one set per registry: judged in the first part only, like projects and roles.
  const ruleIds = first
    ? options.ruleIds
    : (options.ruleIds ?? RULE_IDS).filter((id) => !REGISTRY_RULE_IDS.has(id));
  const view = await readAccount(partDeps, guardrails, {
    now: options.now,
    ...(ruleIds ? { ruleIds } : {}),
  });
  const findings = await evaluateView(view, deps, guardrails, {
    now: options.now,
    ...(ruleIds ? { ruleIds } : {}),
  });
  const counts = zero();
  const lines: string[] = [];
  for (const f of findings) {
    counts[f.status] += 1;
    lines.push(JSON.stringify({ ...f, accountId: input.target.accountId, region: input.target.region }));
  }
  await runs.put(key, lines.length ? `${lines.join('\n')}\n` : '');
  return {
    runId: input.runId,
    target: input.target,
    ...(state.nextToken !== undefined ? { nextToken: state.nextToken } : {}),
    part: part + 1,
    more: state.nextToken !== undefined,
    counts,
    repositories: view.repositories.length,
  };
}

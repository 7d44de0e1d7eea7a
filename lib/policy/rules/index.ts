/**
 * The rule registry: every guardrail rule, one definition per module (rules/definition.ts says what a
 * definition holds). Their order is the order of the guardrails file's `rules`, of `--rules` listings and of
 * the README table. Adding a rule is a new module, imported and listed here; everything else derives from
 * this list.
 */
import { artifactEncryption } from './codebuild/artifact-encryption';
import { logging } from './codebuild/logging';
import { plaintextCredentials } from './codebuild/plaintext-credentials';
import { privilegedMode } from './codebuild/privileged-mode';
import { projectVisibility } from './codebuild/project-visibility';
import { roleCanPush } from './codebuild/role-can-push';
import { roleLeastPrivilege } from './codebuild/role-least-privilege';
import { roleTrustPolicy } from './codebuild/role-trust-policy';
import { sourceCredentials } from './codebuild/source-credentials';
import type {
  AnyRegistryRule,
  AnyRuleDefinition,
  AnyServiceRoleRule,
  ProjectRuleDefinition,
  Read,
  RepositoryRuleDefinition,
  Scope,
} from './definition';
import { creationTemplates } from './ecr/creation-templates';
import { encryption } from './ecr/encryption';
import { lifecyclePolicy } from './ecr/lifecycle-policy';
import { pullThroughCache } from './ecr/pull-through-cache';
import { registryPolicy } from './ecr/registry-policy';
import { replicationDestinations } from './ecr/replication-destinations';
import { repositoryPolicy } from './ecr/repository-policy';
import { scanOnPush } from './ecr/scan-on-push';
import { tagImmutability } from './ecr/tag-immutability';

export const RULES = [
  lifecyclePolicy,
  scanOnPush,
  tagImmutability,
  encryption,
  repositoryPolicy,
  replicationDestinations,
  registryPolicy,
  pullThroughCache,
  creationTemplates,
  privilegedMode,
  plaintextCredentials,
  logging,
  artifactEncryption,
  sourceCredentials,
  projectVisibility,
  roleCanPush,
  roleLeastPrivilege,
  roleTrustPolicy,
] as const;

export type Rule = (typeof RULES)[number];
export type RuleId = Rule['id'];
export const RULE_IDS: readonly RuleId[] = RULES.map((rule) => rule.id);

/** Each rule's part of the guardrails schema, keyed by rule id (`rules.<id>` in the guardrails file). */
export type RuleSchemas = { [R in Rule as R['id']]: R['config'] };
export function ruleSchemas(): RuleSchemas {
  return Object.fromEntries(RULES.map((rule) => [rule.id, rule.config])) as RuleSchemas;
}

const registered: readonly AnyRuleDefinition<RuleId>[] = RULES;
const BY_ID = new Map<string, AnyRuleDefinition<RuleId>>(registered.map((rule) => [rule.id, rule]));

export function isRuleId(id: string): id is RuleId {
  return BY_ID.has(id);
}

/** The definition of a rule id, or undefined for a string that names no rule. */
export function ruleById(id: string): AnyRuleDefinition<RuleId> | undefined {
  return BY_ID.get(id);
}

export const REPOSITORY_RULES = registered.filter(
  (rule): rule is RepositoryRuleDefinition<RuleId> => rule.scope === 'repository',
);
export const PROJECT_RULES = registered.filter(
  (rule): rule is ProjectRuleDefinition<RuleId> => rule.scope === 'project',
);
export const SERVICE_ROLE_RULES = registered.filter(
  (rule): rule is AnyServiceRoleRule<RuleId> => rule.scope === 'service-role',
);
export const REGISTRY_RULES = registered.filter(
  (rule): rule is AnyRegistryRule<RuleId> => rule.scope === 'registry',
);

/** The rules of `ids` (default: all) that judge resources of `scope`, in registry order. */
export function rulesOfScope(scope: Scope, ids: Iterable<RuleId> = RULE_IDS): Set<RuleId> {
  const wanted = new Set(ids);
  return new Set(registered.filter((r) => r.scope === scope && wanted.has(r.id)).map((r) => r.id));
}

/** Every read the rules `ids` need between them. */
export function readsOf(ids: Iterable<RuleId>): Set<Read> {
  return new Set([...ids].flatMap((id) => BY_ID.get(id)?.reads ?? []));
}

/** The rules of `ids` (default: all) that need `read`, in registry order. */
export function rulesReading(read: Read, ids: Iterable<RuleId> = RULE_IDS): RuleId[] {
  const wanted = new Set(ids);
  return registered.filter((r) => r.reads.includes(read) && wanted.has(r.id)).map((r) => r.id);
}

/**
 * `codebuild.role-least-privilege`: the project's service role grants nothing a build should not have.
 */
import type { ActionCatalog } from '../../iam/actions';
import { iamWriteActions, unknownActions } from '../../iam/actions';
import type { Evaluation, NamedPolicy, StatementRef } from '../../iam/policy-evaluation';
import { evaluate, statementCoversAction, statementCoversResource } from '../../iam/policy-evaluation';
import { patternCouldCover } from '../../iam/match';
import type { NormalizedStatement } from '../../iam/statements';
import { InvalidPolicyError, normalizeStatements, statementLabel } from '../../iam/statements';
import { suffixWitness } from '../../iam/witness';
import type { ManagedPolicy, Role } from '../../model';
import {
  SECRET_SUFFIX_WILDCARD,
  type OutsideReference,
  type ReadNamespace,
  type ReferenceKind,
} from '../../references';
import * as z from 'zod';
import type { Finding } from '../../findings';
import { outsideReferences, readNamespaces } from '../../references';
import { serviceRoleRule, type ProposedFix, type RoleProjectsSubject } from '../definition';
import type { RuleContext, RuleOutcome } from '../types';
import { ECR_PUSH_ACTIONS } from '../../aws-facts';
import { resolveRolePolicies, type RolePolicies } from './role-policies';

/** Push actions that write: a build role may have them on its own repository only. */
const ECR_WRITE_PUSH_ACTIONS = ECR_PUSH_ACTIONS.filter((a) => a !== 'ecr:BatchCheckLayerAvailability');
/** Actions that destroy images or loosen a repository's controls: a build role needs none of them. */
export const ECR_DESTRUCTIVE_ACTIONS = [
  'ecr:BatchDeleteImage',
  'ecr:DeleteRepository',
  'ecr:DeleteRepositoryPolicy',
  'ecr:SetRepositoryPolicy',
  'ecr:DeleteLifecyclePolicy',
  'ecr:PutLifecyclePolicy',
  'ecr:PutImageTagMutability',
] as const;
/** AWS managed policies that are administrator-class by name, always forbidden on a build role. */
export const ADMIN_CLASS_MANAGED_POLICIES = [
  'AdministratorAccess',
  'PowerUserAccess',
  'IAMFullAccess',
] as const;

export interface RoleLeastPrivilegeInput {
  role: Role;
  policies: ManagedPolicy[];
  /** The repository the project pushes to, when known. */
  ownRepositoryArn?: string;
  /** Managed policies (name or ARN) treated as administrator-class besides ADMIN_CLASS_MANAGED_POLICIES. */
  forbiddenManagedPolicies: string[];
  /** When given, IAM actions are classified by iam-data access levels and unknown actions are reported. */
  actionCatalog?: ActionCatalog;
  /**
   * Parameters and secrets the role's projects reference outside their namespaces (see
   * `outsideReferences`): each one the role can read is an excess.
   */
  outsideReferences?: readonly OutsideReference[];
  /**
   * The namespaces of the role's projects: an Allow of parameter or secret reads on a wildcard pattern (or
   * NotResource) that reaches beyond them is an excess.
   */
  readNamespaces?: readonly ReadNamespace[];
}

export interface Excess {
  policy: string;
  policyArn?: string;
  /** Sid or `#index`; absent when the excess is the attachment of a forbidden managed policy. */
  statement?: string;
  reason: string;
  /** The granting statement has a Condition (not evaluated): the grant may be narrower than it reads. */
  conditional?: boolean;
}

interface ProbeContext {
  partition: string;
  region: string;
  account: string;
  ownRepositoryArn?: string;
}

const isIamPattern = (p: string) => p.toLowerCase().startsWith('iam:');
const hasWildcard = (p: string) => /[*?]/.test(p);

const couldBeRepository = (pattern: string) => patternCouldCover(pattern, 'ecr', 'repository/');

/** The Resource patterns (or NotResource) through which a statement reaches other repositories. */
function otherRepositoryResources(statement: NormalizedStatement, probes: ProbeContext): string[] {
  if (statement.notResources) {
    const probe = `arn:${probes.partition}:ecr:${probes.region}:${probes.account}:repository/buildwarden-probe`;
    return statementCoversResource(statement, probe, 'identity') === 'no'
      ? []
      : [`NotResource ${statement.notResources.join(', ')}`];
  }
  return (statement.resources ?? []).filter((p) => {
    if (!couldBeRepository(p)) return false;
    if (probes.ownRepositoryArn === undefined) return hasWildcard(p); // one named repository may be its own
    return p !== probes.ownRepositoryArn;
  });
}

function repositoryResources(statement: NormalizedStatement, probes: ProbeContext): string[] {
  if (statement.notResources) return otherRepositoryResources(statement, probes);
  return (statement.resources ?? []).filter(couldBeRepository);
}

/** Does the statement reach every role (iam:PassRole / sts:AssumeRole on any role)? */
function reachesAnyRole(statement: NormalizedStatement, probes: ProbeContext): boolean {
  const probe = `arn:${probes.partition}:iam::${probes.account}:role/buildwarden-probe/any-role`;
  return statementCoversResource(statement, probe, 'identity') !== 'no';
}

const list = (items: readonly string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

/** Why one Allow statement grants more than a build role needs (empty when it does not). */
function excessReasons(
  statement: NormalizedStatement,
  probes: ProbeContext,
  catalog?: ActionCatalog,
): string[] {
  if (statement.actions?.includes('*')) return ['grants every action ("*")'];
  if (statement.notActions) {
    return [`Allow with NotAction grants every action except ${statement.notActions.join(', ')}`];
  }
  const actions = statement.actions ?? [];
  const reasons: string[] = [];

  const iamWrites = [...new Set(actions.filter(isIamPattern).flatMap((p) => iamWriteActions(p, catalog)))];
  if (iamWrites.length > 0) reasons.push(`grants IAM write actions: ${list(iamWrites)}`);

  const resourceElement = statement.notResources
    ? `NotResource ${list(statement.notResources)}`
    : list(statement.resources ?? []);
  for (const action of ['iam:PassRole', 'sts:AssumeRole']) {
    if (statementCoversAction(statement, action) && reachesAnyRole(statement, probes)) {
      reasons.push(`allows ${action} on every role (${resourceElement})`);
    }
  }

  const pushes = ECR_WRITE_PUSH_ACTIONS.filter((a) => statementCoversAction(statement, a));
  const otherRepositories = pushes.length > 0 ? otherRepositoryResources(statement, probes) : [];
  if (otherRepositories.length > 0) {
    const own = probes.ownRepositoryArn ? ` (its own is ${probes.ownRepositoryArn})` : '';
    reasons.push(`allows pushing (${list(pushes)}) to other repositories: ${list(otherRepositories)}${own}`);
  }

  const destructive = ECR_DESTRUCTIVE_ACTIONS.filter((a) => statementCoversAction(statement, a));
  const repositories = destructive.length > 0 ? repositoryResources(statement, probes) : [];
  if (repositories.length > 0) {
    reasons.push(`allows destructive ECR actions (${list(destructive)}) on ${list(repositories)}`);
  }
  return reasons;
}

/** Whether an ARN names one of ADMIN_CLASS_MANAGED_POLICIES (the AWS managed policy, in any partition). */
export function isAdministratorClassAwsPolicy(policyArn: string): boolean {
  return (ADMIN_CLASS_MANAGED_POLICIES as readonly string[]).some((name) =>
    new RegExp(`^arn:[^:]+:iam::aws:policy/${name}$`).test(policyArn),
  );
}

function isForbiddenAttachment(
  attached: { PolicyName: string; PolicyArn: string },
  forbidden: string[],
): boolean {
  return (
    isAdministratorClassAwsPolicy(attached.PolicyArn) ||
    forbidden.includes(attached.PolicyName) ||
    forbidden.includes(attached.PolicyArn)
  );
}

function probeContext(role: Role, ownRepositoryArn: string | undefined): ProbeContext {
  const roleParts = role.Arn.split(':');
  const repoParts = ownRepositoryArn?.split(':');
  const probes: ProbeContext = {
    partition: roleParts[1] || 'aws',
    account: roleParts[4] || '000000000000',
    region: repoParts?.[3] || 'us-east-1',
  };
  if (ownRepositoryArn !== undefined) probes.ownRepositoryArn = ownRepositoryArn;
  return probes;
}

/** What a build calls to read a reference (CodeBuild resolves PARAMETER_STORE variables with GetParameters). */
const READ_ACTIONS: Record<ReferenceKind, string> = {
  parameter: 'ssm:GetParameters',
  secret: 'secretsmanager:GetSecretValue',
};
const SUFFIX_LENGTH = SECRET_SUFFIX_WILDCARD.length - 1;

/**
 * The ARNs to ask the evaluator about. A parameter or a complete secret ARN is one exact ARN. A secret known
 * by name ends in six random characters nobody knows here, so every Allow pattern of the role that could
 * name it gives a candidate (`name-AbC123` itself, `name-*` → `name-xxxxxx`, `*` → …), and `name-000000`
 * stands for the rest.
 */
function readProbes(reference: OutsideReference, policies: readonly NamedPolicy[]): string[] {
  const { arn } = reference.reference;
  if (!arn.endsWith(SECRET_SUFFIX_WILDCARD)) return [arn];
  const base = arn.slice(0, arn.length - SUFFIX_LENGTH);
  const action = READ_ACTIONS[reference.kind];
  const probes = new Set([`${base}${'0'.repeat(SUFFIX_LENGTH)}`]);
  for (const policy of policies) {
    for (const statement of normalizeStatements(policy.document, policy.name)) {
      if (statement.effect !== 'Allow' || !statementCoversAction(statement, action)) continue;
      for (const pattern of statement.resources ?? []) {
        const suffix = suffixWitness(pattern, base, SUFFIX_LENGTH);
        if (suffix !== undefined) probes.add(`${base}${suffix}`);
      }
    }
  }
  return [...probes];
}

const DECISION_RANK = { 'explicit-deny': 0, 'implicit-deny': 0, conditional: 1, allowed: 2 } as const;

/** The most permissive answer over the probes: can the role read the reference, and by which statement? */
function canRead(
  role: Role,
  reference: OutsideReference,
  resolved: RolePolicies,
): { decision: Evaluation['decision']; by?: StatementRef } {
  const policies = [...resolved.identity, ...(resolved.boundary ? [resolved.boundary] : [])];
  let best: { decision: Evaluation['decision']; by?: StatementRef } = { decision: 'implicit-deny' };
  for (const resource of readProbes(reference, policies)) {
    const result = evaluate(
      { action: READ_ACTIONS[reference.kind], resource, principalArn: role.Arn },
      { identity: resolved.identity, permissionsBoundary: resolved.boundary },
    );
    if (DECISION_RANK[result.decision] <= DECISION_RANK[best.decision]) continue;
    const grants = result.decision === 'allowed' ? result.allowedBy : result.conditionalBy;
    const by = grants.find((ref) => ref.source === 'identity' && ref.effect === 'Allow');
    best = by ? { decision: result.decision, by } : { decision: result.decision };
  }
  return best;
}

/**
 * The actions that read parameter and secret values. GetParametersByPath reads everything under the path
 * its resource names, so for it even an exact ARN reaches the whole subtree.
 */
const VALUE_READ_ACTIONS: Record<ReferenceKind, readonly string[]> = {
  parameter: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
  secret: ['secretsmanager:GetSecretValue'],
};
const SERVICE_PRODUCTS: Record<ReferenceKind, [string, string]> = {
  parameter: ['ssm', 'parameter/'],
  secret: ['secretsmanager', 'secret:'],
};

/**
 * Does a Resource pattern of a statement granting `actions` reach values outside `arnPrefixes`? Only
 * patterns that could name such a value count. The part before the first wildcard must start with one of
 * the prefixes; anything else (a `*`, another account, a shorter path) fails closed.
 */
function reachesBeyond(
  pattern: string,
  kind: ReferenceKind,
  actions: readonly string[],
  arnPrefixes: readonly string[],
): boolean {
  const [service, product] = SERVICE_PRODUCTS[kind];
  if (!patternCouldCover(pattern, service, product)) return false;
  const wildcard = pattern.search(/[*?]/);
  const byPath = actions.includes('ssm:GetParametersByPath');
  if (wildcard < 0 && !byPath) return false; // one named value: judged as a reference, not as a grant
  const literal = wildcard < 0 ? `${pattern}/` : pattern.slice(0, wildcard);
  return !arnPrefixes.some((prefix) => literal.startsWith(prefix));
}

/** Why an Allow statement grants reading parameters or secrets beyond the role's projects' namespaces. */
function wideReadReasons(statement: NormalizedStatement, namespaces: readonly ReadNamespace[]): string[] {
  return namespaces.flatMap(({ kind, arnPrefixes, allowed }) => {
    const actions = VALUE_READ_ACTIONS[kind].filter((a) => statementCoversAction(statement, a));
    if (actions.length === 0) return [];
    const beyond = statement.notResources
      ? [`NotResource ${list(statement.notResources)}`]
      : (statement.resources ?? []).filter((r) => reachesBeyond(r, kind, actions, arnPrefixes));
    if (beyond.length === 0) return [];
    return [
      `allows reading ${kind}s (${list(actions)}) beyond the namespaces of its projects (${allowed}): ${list(beyond)}`,
    ];
  });
}

/** An excess for each outside reference the role can read (or read under conditions). */
function outsideReadExcess(
  role: Role,
  references: readonly OutsideReference[],
  resolved: RolePolicies,
): Excess[] {
  return references.flatMap((reference) => {
    let read: ReturnType<typeof canRead>;
    try {
      read = canRead(role, reference, resolved);
    } catch (error) {
      // An invalid policy is reported on its own (details.invalidPolicies).
      if (error instanceof InvalidPolicyError) return [];
      throw error;
    }
    if (read.decision !== 'allowed' && read.decision !== 'conditional') return [];
    const { kind, name } = reference.reference;
    const entry: Excess = {
      policy: read.by?.policy ?? '(role policies)',
      reason:
        `can read ${kind} ${name} (${READ_ACTIONS[kind]}), which project ${reference.project} references in ` +
        `${reference.location} and which ${reference.problem.replace(/^names a (?:parameter|secret) /, 'is ')}`,
    };
    if (read.by) entry.statement = statementLabel(read.by);
    if (read.decision === 'conditional') entry.conditional = true;
    return [entry];
  });
}

/**
 * Violation when the role's policies GRANT more than a build needs, whatever a boundary or Deny currently
 * masks (a masked grant still has to be narrowed):
 * - an Allow of every action (`*`) or an Allow with NotAction;
 * - IAM write actions (any resource; iam:PassRole aside), iam:PassRole or sts:AssumeRole on every role;
 * - ECR push actions on any repository but its own (with no known own repository: on any wildcard pattern);
 * - destructive ECR actions (ECR_DESTRUCTIVE_ACTIONS) on any repository, its own included;
 * - an administrator-class managed policy attached (ADMIN_CLASS_MANAGED_POLICIES or the configured list);
 * - parameter or secret reads on a wildcard pattern reaching beyond its projects' namespaces (`readNamespaces`:
 *   `parameter/*`, `secret:*`, a shorter path), or GetParametersByPath on a path above them;
 * - read access (identity policies within the boundary, explicit denies applied) to a parameter or secret
 *   that one of its projects references outside that project's namespaces (`outsideReferences`).
 * A `service:*` pattern is not excess by itself; it is through the dangerous actions it covers, so `logs:*`
 * is fine and `ecr:*` is not. Statements with a Condition count (flagged `conditional`). Unknown or
 * misspelled actions (with a catalogue) are a note in `details.unknownActions`, not a violation.
 */
export function evaluateRoleLeastPrivilege(input: RoleLeastPrivilegeInput): RuleOutcome {
  const { role } = input;
  const resolved = resolveRolePolicies(role, input.policies);
  const probes = probeContext(role, input.ownRepositoryArn);
  const excess: Excess[] = [];

  for (const attached of role.AttachedManagedPolicies) {
    if (isForbiddenAttachment(attached, input.forbiddenManagedPolicies)) {
      excess.push({
        policy: attached.PolicyName,
        policyArn: attached.PolicyArn,
        reason: 'administrator-class managed policy attached',
      });
    }
  }

  const unknown: { policy: string; action: string }[] = [];
  const invalid: InvalidPolicyError[] = [];
  for (const policy of resolved.identity) {
    let statements: NormalizedStatement[];
    try {
      statements = normalizeStatements(policy.document, policy.name);
      if (input.actionCatalog) {
        unknown.push(
          ...unknownActions(policy.document, input.actionCatalog).map((action) => ({
            policy: policy.name,
            action,
          })),
        );
      }
    } catch (error) {
      if (!(error instanceof InvalidPolicyError)) throw error;
      invalid.push(error);
      continue;
    }
    for (const statement of statements.filter((s) => s.effect === 'Allow')) {
      const reasons = [
        ...excessReasons(statement, probes, input.actionCatalog),
        ...wideReadReasons(statement, input.readNamespaces ?? []),
      ];
      for (const reason of reasons) {
        const entry: Excess = { policy: policy.name, statement: statementLabel(statement), reason };
        if (policy.arn) entry.policyArn = policy.arn;
        if (statement.conditions.length > 0) entry.conditional = true;
        excess.push(entry);
      }
    }
  }

  excess.push(...outsideReadExcess(role, input.outsideReferences ?? [], resolved));

  const details: Record<string, unknown> = { excess };
  if (input.actionCatalog) details.unknownActions = unknown;
  if (resolved.notVisible.length > 0) details.notVisible = resolved.notVisible;
  if (invalid.length > 0) {
    details.invalidPolicies = invalid.map((e) => ({ policy: e.policy, problems: e.problems }));
  }
  const unknownNote =
    unknown.length > 0 ? `; unknown actions: ${list(unknown.map((u) => `${u.action} (${u.policy})`))}` : '';

  if (excess.length > 0) {
    const where = (e: Excess) => (e.statement ? `${e.policy} ${e.statement}` : e.policy);
    return {
      status: 'violation',
      message: `role ${role.RoleName} grants more than a build needs: ${excess.map((e) => `${where(e)}: ${e.reason}`).join('; ')}${unknownNote}`,
      remediable: false,
      details,
    };
  }
  if (resolved.notVisible.length > 0 || invalid.length > 0) {
    const unreadable = [...resolved.notVisible, ...invalid.map((e) => `${e.policy} (invalid)`)];
    return {
      status: 'not-visible',
      message: `role ${role.RoleName}: cannot judge policies: ${unreadable.join(', ')}${unknownNote}`,
      details,
    };
  }
  return {
    status: 'compliant',
    message: `role ${role.RoleName} grants nothing beyond what a build needs${unknownNote}`,
    details,
  };
}

/**
 * The role judged once with every project using it: each project is held to its own namespaces (`{name}` =
 * its name), the same the provisioning API uses.
 */
const leastPrivilegeOfRole = (subject: RoleProjectsSubject, ctx: RuleContext): RuleOutcome => {
  if (subject.unreadablePolicy) return subject.unreadablePolicy;
  const { view, guardrails } = ctx;
  const outside = subject.projects.flatMap((p) => outsideReferences(p, guardrails.provisioning, view));
  const [own, ...others] = subject.targetRepositoryArns;
  return evaluateRoleLeastPrivilege({
    role: subject.role,
    policies: view.policies,
    ...(own !== undefined && others.length === 0 ? { ownRepositoryArn: own } : {}),
    forbiddenManagedPolicies: guardrails.rules['codebuild.role-least-privilege'].forbiddenManagedPolicies,
    ...(ctx.actionCatalog ? { actionCatalog: ctx.actionCatalog } : {}),
    ...(outside.length > 0 ? { outsideReferences: outside } : {}),
    readNamespaces: readNamespaces(subject.projects, guardrails.provisioning, view),
  });
};

/**
 * Only in mode remediate (never the default): detach the administrator-class managed policies the finding
 * names. Statements inside policies are never edited.
 */
function planDetachments(role: Role, finding: Finding): ProposedFix[] {
  const excess = (finding.details?.excess ?? []) as { policyArn?: string; statement?: string }[];
  const arns = [
    ...new Set(excess.filter((e) => e.policyArn && e.statement === undefined).map((e) => e.policyArn!)),
  ];
  return arns.map((policyArn) => ({
    write: { type: 'DetachRolePolicy' as const, roleName: role.RoleName, policyArn },
    before: role.AttachedManagedPolicies.map((p) => p.PolicyArn),
    after: role.AttachedManagedPolicies.map((p) => p.PolicyArn).filter((arn) => arn !== policyArn),
  }));
}

export const roleLeastPrivilege = serviceRoleRule({
  id: 'codebuild.role-least-privilege',
  join: 'projects',
  severity: 'high',
  mode: 'report',
  options: () => ({
    /** Managed policies treated as administrator-class (in addition to the built-in list). */
    forbiddenManagedPolicies: z.array(z.string()).default([]),
  }),
  title: 'CodeBuild service roles should grant least privilege',
  recommendation:
    'Remove the excess permissions the finding names (wildcard actions, IAM writes, administrator-class policies, access outside the project namespaces).',
  documentationUrl: 'https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html',
  reads: ['projects', 'iam'],
  summary: "the project's service role grants nothing a build does not need",
  remediates:
    'detaches administrator-class managed policies (opt in: mode `remediate`); never edits statements',
  evaluate: leastPrivilegeOfRole,
  remediation: { writes: ['DetachRolePolicy'], plan: planDetachments, partial: true },
});

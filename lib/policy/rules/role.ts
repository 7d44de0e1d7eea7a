/**
 * The CodeBuild service-role rules: `codebuild.role-can-push` (the role can push the project's image),
 * `codebuild.role-least-privilege` (and grants nothing a build should not have) and
 * `codebuild.role-trust-policy` (and only CodeBuild, on behalf of this account, can assume it).
 * Pure functions over the role, the managed policies visible in the account and the repository; the audit
 * wires them to projects.
 */
import {
  CODEBUILD_SERVICE_PRINCIPAL,
  ECR_AUTH_ACTION,
  ECR_CACHE_PULL_ACTIONS,
  ECR_PUSH_ACTIONS,
} from '../aws-facts';
import type { ActionCatalog } from '../iam/actions';
import { iamWriteActions, unknownActions } from '../iam/actions';
import type { Evaluation, NamedPolicy, StatementRef } from '../iam/policy-evaluation';
import { evaluate, statementCoversAction, statementCoversResource } from '../iam/policy-evaluation';
import { patternCouldCover } from '../iam/match';
import type { NormalizedStatement } from '../iam/statements';
import { InvalidPolicyError, normalizeStatements, statementLabel } from '../iam/statements';
import { suffixWitness } from '../iam/witness';
import type { ManagedPolicy, Role } from '../model';
import { defaultPolicyDocument, policyDocumentSchema } from '../model';
import {
  SECRET_SUFFIX_WILDCARD,
  type OutsideReference,
  type ReadNamespace,
  type ReferenceKind,
} from '../references';
import type { RuleOutcome } from './types';

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

/** The grants `docker push` to `repositoryArn` needs, as (action, resource) pairs. */
export function requiredPushGrants(
  repositoryArn: string,
  requireCachePull: boolean,
): { action: string; resource: string }[] {
  const onRepository = [...ECR_PUSH_ACTIONS, ...(requireCachePull ? ECR_CACHE_PULL_ACTIONS : [])];
  return [
    { action: ECR_AUTH_ACTION, resource: '*' },
    ...onRepository.map((action) => ({ action, resource: repositoryArn })),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The role's policies

interface RolePolicies {
  identity: NamedPolicy[];
  boundary?: NamedPolicy;
  /** ARNs of attached policies or the boundary whose document is not in the view. */
  notVisible: string[];
}

function managedPolicy(
  arn: string,
  name: string,
  policies: readonly ManagedPolicy[],
): NamedPolicy | undefined {
  const policy = policies.find((p) => p.Arn === arn);
  const document = policy && defaultPolicyDocument(policy);
  return document && { name, arn, document };
}

/** Inline policies, attached managed policies (found by ARN in `policies`) and the boundary. */
export function resolveRolePolicies(role: Role, policies: readonly ManagedPolicy[]): RolePolicies {
  const notVisible: string[] = [];
  const identity: NamedPolicy[] = role.RolePolicyList.map((p) => ({
    name: p.PolicyName,
    document: p.PolicyDocument,
  }));
  for (const attached of role.AttachedManagedPolicies) {
    const resolved = managedPolicy(attached.PolicyArn, attached.PolicyName, policies);
    if (resolved) identity.push(resolved);
    else notVisible.push(attached.PolicyArn);
  }
  const result: RolePolicies = { identity, notVisible };
  const boundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn;
  if (boundaryArn) {
    const name = boundaryArn.slice(boundaryArn.lastIndexOf('/') + 1);
    const boundary = managedPolicy(boundaryArn, name, policies);
    if (boundary) result.boundary = boundary;
    else notVisible.push(boundaryArn);
  }
  return result;
}

const refLabel = (ref: StatementRef) => `${ref.policy} ${statementLabel(ref)}`;
const notVisibleOutcome = (role: Role, arns: string[], extra: Record<string, unknown> = {}): RuleOutcome => ({
  status: 'not-visible',
  message: `role ${role.RoleName}: policy documents not visible: ${arns.join(', ')}`,
  details: { notVisible: arns, ...extra },
});
const invalidOutcome = (
  role: Role,
  error: InvalidPolicyError,
  extra: Record<string, unknown> = {},
): RuleOutcome => ({
  status: 'not-visible',
  message: `role ${role.RoleName}: ${error.message}`,
  details: { invalidPolicy: error.policy, problems: error.problems, ...extra },
});

// ---------------------------------------------------------------------------------------------------------
// codebuild.role-can-push

export interface RoleCanPushInput {
  role: Role;
  policies: ManagedPolicy[];
  repositoryArn: string;
  repositoryPolicyText?: string;
  requireCachePull: boolean;
}

interface Blocked {
  action: string;
  by: 'explicit-deny' | 'permissions-boundary';
  statements: string[];
}

/**
 * The role must be allowed ECR_AUTH_ACTION on `*` and ECR_PUSH_ACTIONS (plus ECR_CACHE_PULL_ACTIONS when
 * `requireCachePull`) on the repository, by its inline and attached policies, within its permissions
 * boundary and without an explicit Deny from its policies or the repository policy. A policy that cannot be
 * read makes the outcome `not-visible`, never compliant. Actions allowed only under conditions are listed in
 * `details.conditional` and do not make a violation on their own: buildwarden does not evaluate conditions,
 * and an automatic fix must not widen a grant someone deliberately made conditional.
 */
export function evaluateRoleCanPush(input: RoleCanPushInput): RuleOutcome {
  const { role, repositoryArn } = input;
  const resolved = resolveRolePolicies(role, input.policies);
  if (resolved.notVisible.length > 0) return notVisibleOutcome(role, resolved.notVisible, { repositoryArn });

  let resourcePolicy: NamedPolicy | undefined;
  if (input.repositoryPolicyText !== undefined) {
    const parsed = policyDocumentSchema.safeParse(input.repositoryPolicyText);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid';
      return {
        status: 'not-visible',
        message: `repository policy of ${repositoryArn} cannot be read: ${why}`,
        details: { repositoryArn },
      };
    }
    resourcePolicy = { name: 'repository policy', document: parsed.data };
  }

  const missing: string[] = [];
  const conditional: string[] = [];
  const blocked: Blocked[] = [];
  for (const grant of requiredPushGrants(repositoryArn, input.requireCachePull)) {
    let result: Evaluation;
    try {
      result = evaluate(
        { ...grant, principalArn: role.Arn },
        {
          identity: resolved.identity,
          permissionsBoundary: resolved.boundary,
          // The repository policy governs actions on the repository, not the registry-wide token.
          resourcePolicy: grant.resource === '*' ? undefined : resourcePolicy,
        },
      );
    } catch (error) {
      if (error instanceof InvalidPolicyError) return invalidOutcome(role, error, { repositoryArn });
      throw error;
    }
    if (result.decision === 'allowed') continue;
    if (result.decision === 'conditional') {
      conditional.push(grant.action);
      continue;
    }
    missing.push(grant.action);
    const boundaryAllows = [...result.allowedBy, ...result.conditionalBy].some(
      (r) => r.source === 'permissions-boundary' && r.effect === 'Allow',
    );
    if (result.decision === 'explicit-deny') {
      blocked.push({ action: grant.action, by: 'explicit-deny', statements: result.deniedBy.map(refLabel) });
    } else if (resolved.boundary && !boundaryAllows) {
      // Adding an Allow to the role would not help: the boundary does not allow the action either.
      blocked.push({
        action: grant.action,
        by: 'permissions-boundary',
        statements: [resolved.boundary.name],
      });
    }
  }

  const details = { missing, conditional, repositoryArn, blocked };
  const conditionalNote =
    conditional.length > 0 ? `; allowed only under conditions: ${conditional.join(', ')}` : '';
  if (missing.length === 0) {
    return {
      status: 'compliant',
      message: `role ${role.RoleName} can push to ${repositoryArn}${conditionalNote}`,
      details,
    };
  }
  const blockers = new Set(
    blocked.map((b) => (b.by === 'explicit-deny' ? 'an explicit Deny' : 'the permissions boundary')),
  );
  const blockNote = blockers.size > 0 ? ` (blocked by ${[...blockers].join(' and ')})` : '';
  return {
    status: 'violation',
    message: `role ${role.RoleName} cannot push to ${repositoryArn}: missing ${missing.join(', ')}${blockNote}${conditionalNote}`,
    remediable: blocked.length === 0,
    details,
  };
}

// ---------------------------------------------------------------------------------------------------------
// codebuild.role-least-privilege

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

function isForbiddenAttachment(
  attached: { PolicyName: string; PolicyArn: string },
  forbidden: string[],
): boolean {
  const builtIn = (ADMIN_CLASS_MANAGED_POLICIES as readonly string[]).some((name) =>
    new RegExp(`^arn:[^:]+:iam::aws:policy/${name}$`).test(attached.PolicyArn),
  );
  return builtIn || forbidden.includes(attached.PolicyName) || forbidden.includes(attached.PolicyArn);
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

// ---------------------------------------------------------------------------------------------------------
// codebuild.role-trust-policy

const CONFUSED_DEPUTY_KEYS = ['aws:sourceaccount', 'aws:sourcearn'];

function principalProblem(statement: NormalizedStatement): string | undefined {
  if (statement.notPrincipal) return 'Allow with NotPrincipal trusts every principal not listed';
  const principal = statement.principal;
  if (principal === undefined) return 'names no principal';
  if (principal === '*') return 'trusts every principal ("*")';
  const others = Object.entries(principal).flatMap(([type, values]) =>
    values
      .filter((v) => type !== 'Service' || v.toLowerCase() !== CODEBUILD_SERVICE_PRINCIPAL)
      .map((v) => `${type} ${v}`),
  );
  return others.length > 0
    ? `trusts principals other than ${CODEBUILD_SERVICE_PRINCIPAL}: ${others.join(', ')}`
    : undefined;
}

const trustsCodeBuild = (statement: NormalizedStatement) =>
  statement.principal !== undefined &&
  statement.principal !== '*' &&
  (statement.principal.Service ?? []).some((v) => v.toLowerCase() === CODEBUILD_SERVICE_PRINCIPAL);

/**
 * The trust policy must let only the CodeBuild service principal assume the role, and every Allow of
 * sts:AssumeRole must carry an `aws:SourceAccount` or `aws:SourceArn` condition (any operator; keys
 * case-insensitive), which keeps CodeBuild acting for another account from assuming it (confused deputy).
 * Deny statements only narrow trust and are not judged.
 */
export function evaluateRoleTrustPolicy(role: Role): RuleOutcome {
  if (role.AssumeRolePolicyDocument === undefined) {
    return { status: 'not-visible', message: `role ${role.RoleName}: trust policy not visible` };
  }
  let statements: NormalizedStatement[];
  try {
    statements = normalizeStatements(role.AssumeRolePolicyDocument, `${role.RoleName} trust policy`);
  } catch (error) {
    if (error instanceof InvalidPolicyError) return invalidOutcome(role, error);
    throw error;
  }
  const problems: { statement: string; reason: string }[] = [];
  let assumableByCodeBuild = false;
  for (const statement of statements.filter((s) => s.effect === 'Allow')) {
    const label = statementLabel(statement);
    const principal = principalProblem(statement);
    if (principal) problems.push({ statement: label, reason: principal });
    if (!statementCoversAction(statement, 'sts:AssumeRole')) continue;
    if (trustsCodeBuild(statement)) assumableByCodeBuild = true;
    const scoped = statement.conditions.some((c) => CONFUSED_DEPUTY_KEYS.includes(c.key.toLowerCase()));
    if (!scoped) {
      problems.push({
        statement: label,
        reason: 'allows sts:AssumeRole without an aws:SourceAccount or aws:SourceArn condition',
      });
    }
  }
  if (!assumableByCodeBuild) {
    problems.push({
      statement: '(policy)',
      reason: `does not let ${CODEBUILD_SERVICE_PRINCIPAL} assume the role`,
    });
  }
  if (problems.length === 0) {
    return {
      status: 'compliant',
      message: `role ${role.RoleName} is assumable only by CodeBuild for its account`,
      details: { problems },
    };
  }
  return {
    status: 'violation',
    message: `role ${role.RoleName} trust policy: ${problems.map((p) => `${p.statement} ${p.reason}`).join('; ')}`,
    remediable: false,
    details: { problems },
  };
}

/**
 * A pure IAM policy evaluator for one request (action, resource, principal) against a role's identity
 * policies, its permissions boundary and a resource policy. It answers what buildwarden's rules need and
 * says "conditional" instead of guessing. The semantics, exactly:
 *
 * - Statements: `Statement` object or array; Action/NotAction, Resource/NotResource, Principal/NotPrincipal
 *   as string or array (see statements.ts). Actions match case-insensitively with `*`/`?`; resources match
 *   case-sensitively (partition/service/region/account segments case-insensitively) with `*`/`?`, segment by
 *   segment; short ARNs are padded with `*` in Resource and NotResource alike (see match.ts). A request
 *   resource of `*` (actions without resource-level permissions, such as ecr:GetAuthorizationToken) is
 *   only covered by a `*` Resource, so a `Deny` with `NotResource` listing ARNs does deny such actions.
 * - Decision: any matching unconditional Deny (identity, boundary or resource policy) → `explicit-deny`.
 *   Otherwise the request needs an identity Allow AND, when a boundary is given, a boundary Allow; missing
 *   either → `implicit-deny`. When both are present unconditionally and no conditional Deny matches →
 *   `allowed`.
 * - Conditions are never evaluated. A statement with a non-empty `Condition` that otherwise matches is
 *   "conditional". If the only identity Allows (or the only boundary Allows) are conditional, or a
 *   conditional Deny matches an otherwise allowed request, the decision is `conditional`. A conditional
 *   Deny never turns an implicit deny into anything else.
 * - Policy variables (`${aws:username}`, Version 2012-10-17 only; `${*}`, `${?}`, `${$}` are literals) in a
 *   Resource or NotResource: the variable is matched as `*`; when that matches, the statement is treated as
 *   conditional (its outcome depends on request context), whatever its Effect. So a Deny with
 *   `NotResource: …/${aws:username}` is conditional, never silently ignored.
 * - Resource policy: only its Deny statements are used, and only those whose Principal names the request's
 *   principal (`*`, the principal ARN, or its account as an id or `:root` ARN) or whose NotPrincipal does
 *   not exclude it. A role's requests are made by its sessions, and (as the IAM user guide says of
 *   NotPrincipal with Deny) listing the role ARN in NotPrincipal does not exclude them: such a Deny applies,
 *   or is conditional when NotPrincipal lists one of the role's session ARNs. The resource policy's Allow
 *   statements are ignored: buildwarden asks whether a role's own policies let it act on a repository in
 *   its account, and a same-account repository-policy Allow can only add access, which the rules
 *   deliberately do not count on. So cross-account access (which would need a resource-policy Allow) is
 *   not modelled: requests are evaluated as same-account.
 * - Which policies apply is the caller's choice: pass a repository policy only for actions on that
 *   repository (not for ecr:GetAuthorizationToken).
 * - Not modelled: SCPs, RCPs, session policies, VPC endpoint policies.
 *
 * `allowedBy`, `deniedBy` and `conditionalBy` list every statement that matched the request
 * (unconditionally Allow / unconditionally Deny / conditionally either), whatever the decision; `source`
 * tells identity, boundary and resource-policy statements apart.
 */
import type { PolicyDocument } from '../model';
import type { Match, ResourceMatchOptions } from './match';
import {
  actionMatches,
  allOf,
  anyOf,
  negate,
  notPrincipalExcludes,
  principalMatches,
  resourceMatches,
} from './match';
import type { Effect, NormalizedStatement } from './statements';
import { InvalidPolicyError, normalizeStatements } from './statements';

export type Decision = 'allowed' | 'implicit-deny' | 'explicit-deny' | 'conditional';
export type PolicySource = 'identity' | 'permissions-boundary' | 'resource-policy';

export interface NamedPolicy {
  name: string;
  arn?: string;
  document: PolicyDocument;
}

export interface StatementRef {
  policy: string;
  sid?: string;
  index: number;
  source: PolicySource;
  effect: Effect;
}

export interface EvaluationRequest {
  action: string;
  resource: string;
  principalArn?: string;
}

export interface PolicySet {
  identity: NamedPolicy[];
  permissionsBoundary?: NamedPolicy;
  resourcePolicy?: NamedPolicy;
}

export interface Evaluation {
  decision: Decision;
  allowedBy: StatementRef[];
  deniedBy: StatementRef[];
  conditionalBy: StatementRef[];
}

/** Does the statement's Action/NotAction element cover the action? */
export function statementCoversAction(statement: NormalizedStatement, action: string): boolean {
  if (statement.actions) return statement.actions.some((p) => actionMatches(p, action));
  if (statement.notActions) return !statement.notActions.some((p) => actionMatches(p, action));
  return false;
}

/** Does the statement's Resource/NotResource element cover the resource? (No element: `yes`.) */
export function statementCoversResource(
  statement: NormalizedStatement,
  resource: string,
  kind: ResourceMatchOptions['kind'],
): Match {
  const options = { policyVariables: statement.policyVariables, kind };
  if (statement.resources)
    return anyOf(statement.resources.map((p) => resourceMatches(p, resource, options)));
  if (statement.notResources) {
    return negate(anyOf(statement.notResources.map((p) => resourceMatches(p, resource, options))));
  }
  return 'yes';
}

/** Does the statement's Principal/NotPrincipal element name the principal? (No element: `no`.) */
export function statementCoversPrincipal(
  statement: NormalizedStatement,
  principalArn: string | undefined,
): Match {
  if (statement.principal) return principalMatches(statement.principal, principalArn);
  if (statement.notPrincipal) return negate(notPrincipalExcludes(statement.notPrincipal, principalArn));
  return 'no';
}

/** `yes`: the statement applies; `maybe`: it applies only for some conditions / variable values. */
export function statementApplies(
  statement: NormalizedStatement,
  request: EvaluationRequest,
  source: PolicySource,
): Match {
  if (!statementCoversAction(statement, request.action)) return 'no';
  const isResourcePolicy = source === 'resource-policy';
  return allOf(
    statementCoversResource(statement, request.resource, isResourcePolicy ? 'resource' : 'identity'),
    isResourcePolicy ? statementCoversPrincipal(statement, request.principalArn) : 'yes',
    statement.conditions.length > 0 ? 'maybe' : 'yes',
  );
}

interface Matched {
  allow: StatementRef[];
  conditionalAllow: StatementRef[];
  deny: StatementRef[];
  conditionalDeny: StatementRef[];
}

function matchPolicy(
  policy: NamedPolicy,
  request: EvaluationRequest,
  source: PolicySource,
  into: Matched,
): void {
  const statements = normalizeStatements(policy.document, policy.name);
  const incomplete =
    source === 'resource-policy'
      ? statements
          .filter((s) => !s.principal && !s.notPrincipal)
          .map((s) => `statement ${s.index}: needs Principal or NotPrincipal`)
      : statements
          .filter((s) => !s.resources && !s.notResources)
          .map((s) => `statement ${s.index}: needs Resource or NotResource`);
  if (incomplete.length > 0) throw new InvalidPolicyError(policy.name, incomplete);
  for (const statement of statements) {
    if (source === 'resource-policy' && statement.effect === 'Allow') continue;
    const applies = statementApplies(statement, request, source);
    if (applies === 'no') continue;
    const ref: StatementRef = {
      policy: policy.name,
      index: statement.index,
      source,
      effect: statement.effect,
    };
    if (statement.sid !== undefined) ref.sid = statement.sid;
    if (statement.effect === 'Deny') (applies === 'yes' ? into.deny : into.conditionalDeny).push(ref);
    else (applies === 'yes' ? into.allow : into.conditionalAllow).push(ref);
  }
}

const empty = (): Matched => ({ allow: [], conditionalAllow: [], deny: [], conditionalDeny: [] });

/** How strongly one layer (identity policies, or the boundary) allows the request. */
function grant(layer: Matched): Match {
  if (layer.allow.length > 0) return 'yes';
  return layer.conditionalAllow.length > 0 ? 'maybe' : 'no';
}

/**
 * Evaluates one request. Identity policies and the boundary must have Resource or NotResource in every
 * statement; resource-policy statements must name a Principal or NotPrincipal, and those without a Resource
 * apply to the resource the policy is attached to (as in ECR repository policies).
 * @throws InvalidPolicyError when a document is malformed.
 */
export function evaluate(request: EvaluationRequest, policies: PolicySet): Evaluation {
  const identity = empty();
  for (const policy of policies.identity) matchPolicy(policy, request, 'identity', identity);
  const boundary = empty();
  if (policies.permissionsBoundary) {
    matchPolicy(policies.permissionsBoundary, request, 'permissions-boundary', boundary);
  }
  const resource = empty();
  if (policies.resourcePolicy) matchPolicy(policies.resourcePolicy, request, 'resource-policy', resource);

  const layers = [identity, boundary, resource];
  const allowedBy = [...identity.allow, ...boundary.allow];
  const deniedBy = layers.flatMap((l) => l.deny);
  const conditionalBy = layers.flatMap((l) => [...l.conditionalAllow, ...l.conditionalDeny]);
  const conditionalDenies = layers.some((l) => l.conditionalDeny.length > 0);

  let decision: Decision;
  const granted = allOf(grant(identity), policies.permissionsBoundary ? grant(boundary) : 'yes');
  if (deniedBy.length > 0) decision = 'explicit-deny';
  else if (granted === 'no') decision = 'implicit-deny';
  else if (granted === 'yes' && !conditionalDenies) decision = 'allowed';
  else decision = 'conditional';
  return { decision, allowedBy, deniedBy, conditionalBy };
}

/**
 * What the CodeBuild service-role rules share: a role's policies resolved
 * from the account's IAM data (inline, attached managed, the permissions boundary) with the outcomes for
 * policies that cannot be read.
 */
import type { NamedPolicy, StatementRef } from '../../iam/policy-evaluation';
import { InvalidPolicyError, statementLabel } from '../../iam/statements';
import type { ManagedPolicy, Role } from '../../model';
import { defaultPolicyDocument } from '../../model';
import type { RuleOutcome } from '../types';

export interface RolePolicies {
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

export const refLabel = (ref: StatementRef) => `${ref.policy} ${statementLabel(ref)}`;
export const notVisibleOutcome = (
  role: Role,
  arns: string[],
  extra: Record<string, unknown> = {},
): RuleOutcome => ({
  status: 'not-visible',
  message: `role ${role.RoleName}: policy documents not visible: ${arns.join(', ')}`,
  details: { notVisible: arns, ...extra },
});
export const invalidOutcome = (
  role: Role,
  error: InvalidPolicyError,
  extra: Record<string, unknown> = {},
): RuleOutcome => ({
  status: 'not-visible',
  message: `role ${role.RoleName}: ${error.message}`,
  details: { invalidPolicy: error.policy, problems: error.problems, ...extra },
});

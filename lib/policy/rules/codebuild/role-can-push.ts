/**
 * `codebuild.role-can-push`: the project's service role can push the project's image to its target repository.
 */
import type { Evaluation, NamedPolicy } from '../../iam/policy-evaluation';
import { evaluate } from '../../iam/policy-evaluation';
import { InvalidPolicyError } from '../../iam/statements';
import type { ManagedPolicy, Role } from '../../model';
import { policyDocumentSchema } from '../../model';
import * as z from 'zod';
import type { Finding } from '../../findings';
import { serviceRoleRule, type ProposedFix, type RoleTargetSubject } from '../definition';
import type { RuleContext, RuleOutcome } from '../types';
import { ECR_AUTH_ACTION, ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from '../../aws-facts';
import { invalidOutcome, notVisibleOutcome, refLabel, resolveRolePolicies } from './role-policies';

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
    const parsed = policyDocumentSchema().safeParse(input.repositoryPolicyText);
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

/** The role judged for one target repository, as the service-role join presents it. */
const canPushToTarget = (subject: RoleTargetSubject, ctx: RuleContext): RuleOutcome =>
  subject.unreadablePolicy ??
  evaluateRoleCanPush({
    role: subject.role,
    policies: ctx.view.policies,
    repositoryArn: subject.repositoryArn,
    ...(subject.repository?.repositoryPolicyText
      ? { repositoryPolicyText: subject.repository.repositoryPolicyText }
      : {}),
    requireCachePull: ctx.guardrails.rules['codebuild.role-can-push'].requireCachePull,
  });

// ---------------------------------------------------------------------------------------------------------
// Remediation

export const PUSH_POLICY_NAME = 'buildwarden-ecr-push';

function pushStatementSid(repositoryArn: string): string {
  const name = repositoryArn.slice(repositoryArn.indexOf(':repository/') + ':repository/'.length);
  return `BuildwardenPush${name.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 100);
}

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

/**
 * One inline policy (`buildwarden-ecr-push`) holding exactly the missing actions, scoped to the target
 * repository's ARN (ecr:GetAuthorizationToken on `*`). An existing buildwarden-ecr-push policy is extended,
 * never replaced, so fixes for several repositories of a shared role accumulate.
 */
function planPushPolicy(role: Role, finding: Finding): ProposedFix | undefined {
  const missing = (finding.details?.missing ?? []) as string[];
  const repositoryArn = finding.details?.repositoryArn as string | undefined;
  if (missing.length === 0 || !repositoryArn) return undefined;
  const existing = role.RolePolicyList.find((p) => p.PolicyName === PUSH_POLICY_NAME)?.PolicyDocument;
  const statements: PolicyStatement[] = structuredClone(
    ((existing?.Statement as PolicyStatement[] | undefined) ?? []).filter((s) => s && typeof s === 'object'),
  );
  const upsert = (sid: string, actions: string[], resource: string) => {
    if (actions.length === 0) return;
    const found = statements.find((s) => s.Sid === sid);
    if (found) {
      found.Action = [...new Set([...[found.Action].flat(), ...actions])].sort();
    } else {
      statements.push({ Sid: sid, Effect: 'Allow', Action: [...actions].sort(), Resource: resource });
    }
  };
  upsert(
    'BuildwardenEcrLogin',
    missing.filter((a) => a === 'ecr:GetAuthorizationToken'),
    '*',
  );
  upsert(
    pushStatementSid(repositoryArn),
    missing.filter((a) => a !== 'ecr:GetAuthorizationToken'),
    repositoryArn,
  );
  const after = { Version: '2012-10-17', Statement: statements };
  return {
    write: {
      type: 'PutRolePolicy',
      roleName: role.RoleName,
      policyName: PUSH_POLICY_NAME,
      policyDocument: JSON.stringify(after),
    },
    before: existing ?? null,
    after,
  };
}

export const roleCanPush = serviceRoleRule({
  id: 'codebuild.role-can-push',
  join: 'target-repository',
  severity: 'high',
  mode: 'remediate',
  options: () => ({
    /** Also require ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (`docker build --cache-from` pulls). */
    requireCachePull: z.boolean().default(false),
  }),
  title: 'CodeBuild service roles should be able to push to their target repository',
  recommendation:
    'Grant the service role the missing ECR push actions on the target repository. buildwarden adds them as the inline policy buildwarden-ecr-push when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html',
  reads: ['projects', 'iam'],
  summary: "the project's service role can push its image to the target repository",
  remediates:
    'puts exactly the missing actions in the inline policy `buildwarden-ecr-push` (extended, never replaced); ' +
    'not when a Deny or the permissions boundary blocks',
  evaluate: canPushToTarget,
  remediation: { writes: ['PutRolePolicy'], plan: planPushPolicy },
});

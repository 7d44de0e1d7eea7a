/**
 * `ecr.repository-policy`: the repository policy grants access only within the allowed accounts and
 * organizations (the judgement of each statement is in ./repository-policy-statements).
 */
import * as z from 'zod';
import type { Finding } from '../../findings';
import type { Repository } from '../../model';
import { repositoryRule, type ProposedFix } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule, RuleContext } from '../types';
import { registryOf } from './registry';
import {
  findOffendingStatements,
  LIMITING_CONDITIONS,
  withoutStatements,
  type OffendingStatement,
  type RepositoryPolicyOptions,
} from './repository-policy-statements';

const accountId = () => z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const organizationId = () => z.string().regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id (o-…)');

/**
 * How a policy's statements are judged, from `ecr.repository-policy`'s allowlists (also those of the registry
 * policy) and what the account view knows of the own organization.
 */
export function policyJudgement(ctx: RuleContext, ownAccountId: string): RepositoryPolicyOptions {
  const options = ctx.guardrails.rules['ecr.repository-policy'];
  return {
    ownAccountId,
    allowedAccounts: options.allowedAccounts,
    allowedOrganizations: options.allowedOrganizations,
    deniedOrganizations: options.deniedOrganizations,
    removeUnknownOrganizations: options.removeUnknownOrganizations,
    ownOrganizationId: ctx.view.organizationId,
    ownOrganizationUnknown: ctx.view.organizationUnreadable,
  };
}

/** Each offending statement by Sid (or index) with why, and why it is left in place when it is. */
export function describeOffending(offending: readonly OffendingStatement[]): string {
  return offending
    .map(
      (s) =>
        `${s.sid ?? `#${s.index}`}: ${s.reason}${s.keptBecause ? ` (left in place: ${s.keptBecause})` : ''}`,
    )
    .join('; ');
}

export const repositoryPolicyRule: RepositoryRule = (repository, ctx) => {
  const text = repository.repositoryPolicyText;
  if (text === undefined || text.trim() === '') return compliant('no repository policy');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return violation('repository policy is not valid JSON', false);
  }
  const offending = findOffendingStatements(
    document,
    policyJudgement(ctx, repository.registryId ?? ctx.view.accountId),
  );
  if (offending.length === 0)
    return compliant('repository policy grants access only within the allowed accounts and organizations');
  return violation(
    `repository policy is too open — ${describeOffending(offending)}. Note: ${LIMITING_CONDITIONS}`,
    offending.some((s) => s.removable),
    { offendingStatements: offending },
  );
};

/** Removes the statements the finding judged removable; deletes the policy when nothing is left. */
function planRepositoryPolicy(repository: Repository, finding: Finding): ProposedFix {
  const before = repository.repositoryPolicyText ?? null;
  const offending = (finding.details?.offendingStatements ?? []) as OffendingStatement[];
  // Only statements the rule judged removable: never one limited to an organization by default.
  const removable = offending.filter((s) => s.removable === true);
  if (before === null || removable.length === 0) {
    const kept = offending
      .filter((s) => s.keptBecause)
      .map((s) => `${s.sid ?? `#${s.index}`}: ${s.keptBecause}`);
    return {
      refused:
        kept.length > 0 ? `nothing to remove; left in place — ${kept.join('; ')}` : 'nothing to remove',
      before,
      after: before,
    };
  }
  const document = JSON.parse(before) as Record<string, unknown>;
  const kept = withoutStatements(
    document,
    removable.map((s) => s.index),
  );
  if (!kept) {
    return {
      write: {
        type: 'DeleteRepositoryPolicy',
        repositoryName: repository.repositoryName,
        ...registryOf(repository),
      },
      before,
      after: null,
    };
  }
  const after = JSON.stringify(kept);
  return {
    write: {
      type: 'SetRepositoryPolicy',
      repositoryName: repository.repositoryName,
      ...registryOf(repository),
      policyText: after,
    },
    before,
    after,
  };
}

export const repositoryPolicy = repositoryRule({
  id: 'ecr.repository-policy',
  severity: 'critical',
  mode: 'remediate',
  options: () => ({
    /** Other accounts that may be granted access (the repository's own account always may). */
    allowedAccounts: z.array(accountId()).default([]),
    /**
     * Organization ids (`o-…`) besides the account's own whose organization conditions make a `*` principal
     * acceptable.
     */
    allowedOrganizations: z.array(organizationId()).default([]),
    /** Organizations never acceptable, not even the own one: remediation removes statements limited to them. */
    deniedOrganizations: z.array(organizationId()).default([]),
    /** Remediation also removes statements limited to organizations neither own nor allowed (default: report). */
    removeUnknownOrganizations: z.boolean().default(false),
  }),
  refineOptions: (schema) =>
    schema.refine((o) => !o.allowedOrganizations.some((id) => o.deniedOrganizations.includes(id)), {
      message: 'an organization cannot be both in allowedOrganizations and deniedOrganizations',
      path: ['deniedOrganizations'],
    }),
  title: 'ECR repository policies should grant access only to allowed accounts and organizations',
  recommendation:
    'Remove or limit the policy statements that grant access outside the allowed accounts and organizations (a principal of an allowed account, or an aws:PrincipalAccount / aws:PrincipalOrgID condition).',
  documentationUrl: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html',
  reads: ['repository-details', 'organization'],
  summary: 'every Allow statement is provably limited to the allowed accounts and organizations',
  remediates:
    'removes the statements that are open or grant accounts outside the allowlist; deletes the policy when ' +
    'nothing is left',
  evaluate: repositoryPolicyRule,
  remediation: {
    writes: ['SetRepositoryPolicy', 'DeleteRepositoryPolicy'],
    plan: planRepositoryPolicy,
  },
});

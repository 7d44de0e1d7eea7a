/**
 * `ecr.repository-policy`: the repository policy grants access only within the allowed accounts and
 * organizations (the judgement of each statement is in ./repository-policy-statements).
 */
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';
import { findOffendingStatements, LIMITING_CONDITIONS } from './repository-policy-statements';

export const repositoryPolicyRule: RepositoryRule = (repository, ctx) => {
  const text = repository.repositoryPolicyText;
  if (text === undefined || text.trim() === '') return compliant('no repository policy');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return violation('repository policy is not valid JSON', false);
  }
  const options = ctx.guardrails.rules['ecr.repository-policy'];
  const offending = findOffendingStatements(document, {
    ownAccountId: repository.registryId ?? ctx.view.accountId,
    allowedAccounts: options.allowedAccounts,
    allowedOrganizations: options.allowedOrganizations,
    deniedOrganizations: options.deniedOrganizations,
    removeUnknownOrganizations: options.removeUnknownOrganizations,
    ownOrganizationId: ctx.view.organizationId,
    ownOrganizationUnknown: ctx.view.organizationUnreadable,
  });
  if (offending.length === 0)
    return compliant('repository policy grants access only within the allowed accounts and organizations');
  const names = offending.map(
    (s) =>
      `${s.sid ?? `#${s.index}`}: ${s.reason}${s.keptBecause ? ` (left in place: ${s.keptBecause})` : ''}`,
  );
  return violation(
    `repository policy is too open — ${names.join('; ')}. Note: ${LIMITING_CONDITIONS}`,
    offending.some((s) => s.removable),
    { offendingStatements: offending },
  );
};

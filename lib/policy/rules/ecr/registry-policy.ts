/**
 * `ecr.registry-policy`: no statement of the registry policy lets `*` or an account outside the allowlists
 * replicate into this registry, create repositories in it or import upstream images into it. Each statement
 * is judged as `ecr.repository-policy` judges one (same fail-closed condition logic, same allowlists: that
 * rule's `allowedAccounts`, `allowedOrganizations`, `deniedOrganizations`, `removeUnknownOrganizations`).
 */
import type { Finding } from '../../findings';
import { REGISTRY_POLICY_ACTIONS, statementMayGrant } from '../../registry-settings';
import { registryRule, type ProposedFix, type RegistrySubjects } from '../definition';
import { compliant, violation } from '../outcomes';
import { describeOffending, policyJudgement } from './repository-policy';
import type { RuleContext, RuleOutcome } from '../types';
import {
  findOffendingStatements,
  LIMITING_CONDITIONS,
  statementsOf,
  withoutStatements,
  type OffendingStatement,
} from './repository-policy-statements';

type Subject = RegistrySubjects['registry-policy'];

export const registryPolicyRule = (subject: Subject, ctx: RuleContext): RuleOutcome => {
  const text = subject.policyText;
  if (text === null || text.trim() === '') return compliant('no registry policy');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return violation('registry policy is not valid JSON', false);
  }
  const statements = statementsOf(document);
  const offending = findOffendingStatements(document, policyJudgement(ctx, ctx.view.accountId)).filter(
    (s) => {
      const statement = statements[s.index];
      return statement !== undefined && statementMayGrant(statement, REGISTRY_POLICY_ACTIONS);
    },
  );
  if (offending.length === 0) {
    return compliant(
      'registry policy lets only the allowed accounts and organizations replicate, create repositories or import upstream images',
    );
  }
  return violation(
    `registry policy is too open (${REGISTRY_POLICY_ACTIONS.join(', ')}) — ${describeOffending(offending)}. Note: ${LIMITING_CONDITIONS}`,
    offending.some((s) => s.removable),
    { offendingStatements: offending },
  );
};

/** Removes the statements the finding judged removable; deletes the policy when nothing is left. */
function planRegistryPolicy(subject: Subject, finding: Finding): ProposedFix {
  const before = subject.policyText;
  const offending = (finding.details?.offendingStatements ?? []) as OffendingStatement[];
  const removable = offending.filter((s) => s.removable === true);
  if (before === null || removable.length === 0) {
    return { refused: 'nothing to remove', before, after: before };
  }
  const document = JSON.parse(before) as Record<string, unknown>;
  const kept = withoutStatements(
    document,
    removable.map((s) => s.index),
  );
  if (!kept) return { write: { type: 'DeleteRegistryPolicy' }, before, after: null };
  const after = JSON.stringify(kept);
  return { write: { type: 'PutRegistryPolicy', policyText: after }, before, after };
}

export const registryPolicy = registryRule({
  id: 'ecr.registry-policy',
  resource: 'registry-policy',
  severity: 'critical',
  mode: 'report',
  title:
    'ECR registry policies should let only allowed accounts replicate into or create repositories in the registry',
  recommendation:
    'Remove or limit the registry policy statements that let accounts outside the allowlists (the ecr.repository-policy options) replicate images, create repositories or import upstream images.',
  documentationUrl: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html',
  reads: ['registry-policy', 'organization'],
  summary:
    'no statement lets `*` or an account outside the `ecr.repository-policy` allowlists replicate, create repositories or import upstream images',
  remediates: 'removes only the offending statements; deletes the policy when nothing is left',
  evaluate: registryPolicyRule,
  remediation: { writes: ['PutRegistryPolicy', 'DeleteRegistryPolicy'], plan: planRegistryPolicy },
});

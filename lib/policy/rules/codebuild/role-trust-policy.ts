/**
 * `codebuild.role-trust-policy`: only CodeBuild, acting for this account, can assume the project's service role.
 */
import type { NormalizedStatement } from '../../iam/statements';
import { InvalidPolicyError, normalizeStatements, statementLabel } from '../../iam/statements';
import { statementCoversAction } from '../../iam/policy-evaluation';
import type { Role } from '../../model';
import { serviceRoleRule, type RoleSubject } from '../definition';
import type { RuleOutcome } from '../types';
import { CODEBUILD_SERVICE_PRINCIPAL } from '../../aws-facts';
import { invalidOutcome } from './role-policies';

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

export const roleTrustPolicy = serviceRoleRule({
  id: 'codebuild.role-trust-policy',
  join: 'role',
  severity: 'high',
  mode: 'report',
  title: 'CodeBuild service roles should trust only CodeBuild, for this account',
  recommendation:
    'Let the trust policy allow only codebuild.amazonaws.com, with an aws:SourceAccount or aws:SourceArn condition (confused deputy protection).',
  documentationUrl: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
  reads: ['projects', 'iam'],
  summary:
    'only `codebuild.amazonaws.com` can assume the service role, with an `aws:SourceAccount` or ' +
    '`aws:SourceArn` condition',
  remediates: 'never: changing who may assume a role can break whoever relies on it',
  evaluate: (subject: RoleSubject): RuleOutcome => evaluateRoleTrustPolicy(subject.role),
});

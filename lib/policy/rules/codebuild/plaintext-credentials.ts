/**
 * `codebuild.plaintext-credentials`: no PLAINTEXT environment variable, and no inline buildspec, holds a
 * credential. Report only: moving a value to Parameter Store or Secrets Manager needs a person.
 */
import { buildspecEnv, isInlineBuildspec } from '../../buildspec';
import type { Project } from '../../model';
import { projectRule } from '../definition';
import type { ProjectRule } from '../types';
import { plaintextCredentialReason, recognisedSecret, type SecretReason } from './secrets';

/** A flagged variable: environment variables by name; buildspec entries with where they are. */
interface FlaggedCredential {
  name: string;
  reason: SecretReason;
  /** `buildspec` (the primary source's) or `secondarySources[<id>].buildspec`; absent for the environment. */
  where?: string;
}

/**
 * Credentials an inline buildspec holds: each `env.variables` entry judged like a PLAINTEXT environment
 * variable (by its name and value); without such an entry, any credential recognisable by its shape
 * anywhere in the text (a token in a command). A buildspec that is not YAML is read as text.
 */
export function buildspecCredentials(buildspec: string): { name: string; reason: SecretReason }[] {
  const env = buildspecEnv(buildspec);
  const flagged = env.variables.flatMap((entry) => {
    const reason = plaintextCredentialReason(entry.name, entry.value);
    return reason ? [{ name: entry.path, reason }] : [];
  });
  if (flagged.length > 0) return flagged;
  const anywhere = recognisedSecret(buildspec);
  return anywhere ? [{ name: '(text)', reason: anywhere }] : [];
}

function projectBuildspecs(project: Project): { where: string; buildspec: string }[] {
  const sources = [
    ...(project.source ? [{ where: 'buildspec', source: project.source }] : []),
    ...(project.secondarySources ?? []).map((source, index) => ({
      where: `secondarySources[${source.sourceIdentifier ?? index}].buildspec`,
      source,
    })),
  ];
  return sources.flatMap(({ where, source }) =>
    source.buildspec !== undefined && isInlineBuildspec(source.buildspec)
      ? [{ where, buildspec: source.buildspec }]
      : [],
  );
}

/**
 * PLAINTEXT environment variables, and the inline buildspecs of the project's sources (see
 * buildspecCredentials). Messages and details name the variable and the reason, never the value.
 */
export const plaintextCredentialsRule: ProjectRule = (project) => {
  const variables = project.environment?.environmentVariables ?? [];
  const flagged: FlaggedCredential[] = [];
  for (const variable of variables) {
    // Absent type means PLAINTEXT (the CodeBuild API default).
    if ((variable.type ?? 'PLAINTEXT') !== 'PLAINTEXT') continue;
    const reason = plaintextCredentialReason(variable.name, variable.value);
    if (reason) flagged.push({ name: variable.name, reason });
  }
  for (const { where, buildspec } of projectBuildspecs(project)) {
    for (const found of buildspecCredentials(buildspec)) flagged.push({ ...found, where });
  }
  if (flagged.length === 0) {
    return {
      status: 'compliant',
      message: 'no PLAINTEXT environment variable or inline buildspec holds a credential',
      details: { variables: [] },
    };
  }
  const label = (v: FlaggedCredential) => (v.where ? `${v.where} ${v.name}` : v.name);
  const listed = flagged.map((v) => `${label(v)} (${v.reason})`).join(', ');
  const noun = flagged.length === 1 ? 'variable holds' : 'variables hold';
  return {
    status: 'violation',
    message:
      `PLAINTEXT ${noun} a credential: ${listed}. Move the value to SSM Parameter Store or Secrets Manager and ` +
      `reference it with type PARAMETER_STORE or SECRETS_MANAGER (or the buildspec's env.parameter-store / ` +
      `env.secrets-manager); rotate it: plaintext values are readable by anyone who can call ` +
      `codebuild:BatchGetProjects`,
    remediable: false,
    details: { variables: flagged },
  };
};

export const plaintextCredentials = projectRule({
  id: 'codebuild.plaintext-credentials',
  severity: 'critical',
  mode: 'report',
  title: 'CodeBuild projects should not hold credentials in plaintext environment variables',
  recommendation:
    'Move the credential to AWS Systems Manager Parameter Store or AWS Secrets Manager and reference it with a PARAMETER_STORE or SECRETS_MANAGER variable; rotate the exposed value.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html',
  reads: ['projects'],
  summary: 'no PLAINTEXT environment variable and no inline buildspec holds a credential',
  remediates: 'never: the value has to move to Parameter Store or Secrets Manager, and be rotated',
  evaluate: plaintextCredentialsRule,
});

/**
 * What the reports say about each finding besides its message: the rule's remediation hint and, for an exempt
 * finding, why it is exempt. The hints repeat the README's rule table in one sentence each.
 */
import type { Finding } from '../policy/findings';
import type { RuleId } from '../policy/guardrails';

export const REMEDIATION_HINTS: Readonly<Record<RuleId, string>> = {
  'ecr.lifecycle-policy':
    'Add a lifecycle policy whose untagged rule expires untagged images within the configured age or count; in mode remediate buildwarden adds the default policy or merges the missing rule.',
  'ecr.scan-on-push':
    'Turn on scanOnPush for the repository, or add it to a registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN); fixed automatically in mode remediate.',
  'ecr.tag-immutability':
    'Set image tag mutability to IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION); fixed automatically in mode remediate.',
  'ecr.encryption':
    'Encryption cannot be changed after a repository is created: create a KMS-encrypted repository and migrate the images.',
  'ecr.repository-policy':
    'Remove statements open to everyone or to accounts outside the allowlist, or limit them with aws:PrincipalAccount or aws:PrincipalOrgID conditions; remediation removes only such statements.',
  'codebuild.privileged-mode':
    'Turn privileged mode off, or declare the project an image build (tag buildwarden:docker-build=true or list it in dockerBuildProjects).',
  'codebuild.plaintext-credentials':
    'Move the value to SSM Parameter Store or Secrets Manager, reference it with type PARAMETER_STORE or SECRETS_MANAGER, and rotate it.',
  'codebuild.logging': 'Enable CloudWatch Logs or S3 logs for the project.',
  'codebuild.artifact-encryption': 'Turn artifact encryption back on (encryptionDisabled: false).',
  'codebuild.source-credentials':
    'Remove the credentials from the source URL, rotate them, and connect the source with CodeBuild source credentials or a CodeConnections connection.',
  'codebuild.project-visibility':
    'Make the project PRIVATE unless it is meant to be public, and check its build logs for secrets; fixed in mode remediate.',
  'codebuild.role-can-push':
    'Grant the missing ECR push actions on the target repository (remediation adds the inline policy buildwarden-ecr-push), unless a Deny or the permissions boundary is what blocks them.',
  'codebuild.role-least-privilege':
    "Remove wildcard actions, IAM writes, iam:PassRole or sts:AssumeRole on *, push rights to other repositories and administrator-class policies; scope parameter and secret reads to the project's namespaces.",
  'codebuild.role-trust-policy':
    'Trust only codebuild.amazonaws.com, with an aws:SourceAccount or aws:SourceArn condition.',
};

/** The rule's remediation hint ('' for a rule this build does not know, e.g. from a newer report). */
export function remediationHint(ruleId: string): string {
  return (REMEDIATION_HINTS as Record<string, string>)[ruleId] ?? '';
}

/** Why an exempt finding is exempt (the tag or the config exemption's reason), else ''. */
export function exemptionReason(finding: Pick<Finding, 'status' | 'details'>): string {
  const reason = finding.details?.exemption;
  return finding.status === 'exempt' && typeof reason === 'string' ? reason : '';
}

/** The guardrail rules, by the resource they judge. */
import { artifactEncryptionRule } from './codebuild/artifact-encryption';
import { loggingRule } from './codebuild/logging';
import { plaintextCredentialsRule } from './codebuild/plaintext-credentials';
import { privilegedModeRule } from './codebuild/privileged-mode';
import { projectVisibilityRule } from './codebuild/project-visibility';
import { sourceCredentialsRule } from './codebuild/source-credentials';
import { encryptionRule } from './ecr/encryption';
import { lifecyclePolicyRule } from './ecr/lifecycle-policy';
import { repositoryPolicyRule } from './ecr/repository-policy';
import { scanOnPushRule } from './ecr/scan-on-push';
import { tagImmutabilityRule } from './ecr/tag-immutability';
import type { ProjectRule, RepositoryRule } from './types';

export const repositoryRules = {
  'ecr.lifecycle-policy': lifecyclePolicyRule,
  'ecr.scan-on-push': scanOnPushRule,
  'ecr.tag-immutability': tagImmutabilityRule,
  'ecr.encryption': encryptionRule,
  'ecr.repository-policy': repositoryPolicyRule,
} as const satisfies Record<string, RepositoryRule>;

export const projectRules = {
  'codebuild.privileged-mode': privilegedModeRule,
  'codebuild.plaintext-credentials': plaintextCredentialsRule,
  'codebuild.logging': loggingRule,
  'codebuild.artifact-encryption': artifactEncryptionRule,
  'codebuild.source-credentials': sourceCredentialsRule,
  'codebuild.project-visibility': projectVisibilityRule,
} satisfies Record<string, ProjectRule>;

/**
 * The IAM actions each function's adapters call. serverless.yml grants each function exactly these (plus its
 * log stream and failure destination); tests/unit/deploy/template.test.ts keeps the two in step. Functions
 * never import this module: it pulls in every adapter. The functions that act in member accounts
 * (lib/runtime/member-actions.ts) also assume the member role, and those placing events list the guarded accounts;
 * serverless.yml grants both in organization mode only.
 */
import { stsActions } from '../aws/account';
import { codebuildReadActions } from '../aws/codebuild';
import { findingsAuditActions, findingsChangeActions } from '../aws/findings-store';
import { ecrReadActions } from '../aws/ecr';
import { iamPolicyUsageActions, iamReadActions, iamRoleReadActions } from '../aws/iam';
import { idempotencyActions } from '../aws/idempotency';
import { imageLookupActions } from '../aws/images';
import { memberCredentialsActions } from '../aws/member-credentials';
import { organizationsActions, targetListerActions } from '../aws/organizations';
import { provisionerActions } from '../aws/provisioner';
import { provisioningClaimActions } from '../aws/provisioning-claims';
import { writeActions } from '../aws/remediator';
import { reportStoreActions } from '../aws/reports';
import { runReadActions, runWriteActions } from '../aws/run-store';
import { scanFindingsActions } from '../aws/scan-findings';
import { securityHubActions } from '../aws/securityhub';
import { snsActions } from '../aws/sns';
import { verdictReadActions, verdictStoreActions } from '../aws/verdicts';
import { RULES } from '../policy/rules/index';

/** What the change handler's fixes may write: the write types the rules' remediations declare. */
const remediationActions = writeActions(RULES.flatMap((rule) => rule.remediation?.writes ?? []));

export const functionActions = {
  audit: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamReadActions,
    ...organizationsActions,
    ...memberCredentialsActions,
    ...stsActions,
    ...snsActions,
    ...findingsAuditActions,
    ...reportStoreActions,
    // Granted only when `securityHub` is true.
    ...securityHubActions,
  ],
  onScan: [
    ...scanFindingsActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...memberCredentialsActions,
    ...targetListerActions,
    ...stsActions,
    ...snsActions,
  ],
  onBuild: [
    ...codebuildReadActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...memberCredentialsActions,
    ...targetListerActions,
    ...stsActions,
    ...snsActions,
  ],
  onImagePush: [
    ...verdictStoreActions,
    ...imageLookupActions,
    ...memberCredentialsActions,
    ...targetListerActions,
    ...stsActions,
  ],
  verdictApi: [...verdictReadActions, ...stsActions],
  projectsApi: [
    ...provisionerActions,
    ...provisioningClaimActions,
    'ecr:DescribeRepositories',
    'ecr:GetLifecyclePolicy',
    'ecr:GetRepositoryPolicy',
    'ecr:ListTagsForResource',
    'ecr:GetRegistryScanningConfiguration',
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...organizationsActions,
    ...memberCredentialsActions,
    ...targetListerActions,
    ...stsActions,
  ],
  onChange: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...iamPolicyUsageActions,
    ...remediationActions,
    ...idempotencyActions,
    ...organizationsActions,
    ...memberCredentialsActions,
    ...targetListerActions,
    ...stsActions,
    ...snsActions,
    ...findingsChangeActions,
    // Granted only when `securityHub` is true.
    ...securityHubActions,
  ],
  // The organization audit's steps (organization mode only; the state machine invokes them).
  orgTargets: [...targetListerActions, ...runWriteActions, ...stsActions],
  orgAuditShard: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamReadActions,
    ...organizationsActions,
    ...memberCredentialsActions,
    ...stsActions,
    ...runWriteActions,
  ],
  orgSummary: [...runReadActions, ...targetListerActions, ...stsActions, ...snsActions],
} as const;

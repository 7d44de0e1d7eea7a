/**
 * The IAM actions each function's adapters call. serverless.yml grants each function exactly these (plus its
 * log stream and failure destination); tests/unit/deploy/template.test.ts keeps the two in step. Functions
 * never import this module: it pulls in every adapter.
 */
import { stsActions } from '../aws/account';
import { codebuildReadActions } from '../aws/codebuild';
import { ecrReadActions } from '../aws/ecr';
import { iamPolicyUsageActions, iamReadActions, iamRoleReadActions } from '../aws/iam';
import { idempotencyActions } from '../aws/idempotency';
import { imageLookupActions } from '../aws/images';
import { provisionerActions } from '../aws/provisioner';
import { remediatorActions } from '../aws/remediator';
import { scanFindingsActions } from '../aws/scan-findings';
import { snsActions } from '../aws/sns';
import { verdictReadActions, verdictStoreActions } from '../aws/verdicts';

export const functionActions = {
  audit: [...ecrReadActions, ...codebuildReadActions, ...iamReadActions, ...stsActions, ...snsActions],
  onScan: [
    ...scanFindingsActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...stsActions,
    ...snsActions,
  ],
  onBuild: [
    ...codebuildReadActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...stsActions,
    ...snsActions,
  ],
  onImagePush: [...verdictStoreActions, ...imageLookupActions, ...stsActions],
  verdictApi: [...verdictReadActions, ...stsActions],
  projectsApi: [
    ...provisionerActions,
    'ecr:DescribeRepositories',
    'ecr:GetLifecyclePolicy',
    'ecr:GetRepositoryPolicy',
    'ecr:ListTagsForResource',
    'ecr:GetRegistryScanningConfiguration',
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...stsActions,
  ],
  onChange: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...iamPolicyUsageActions,
    ...remediatorActions,
    ...idempotencyActions,
    ...stsActions,
    ...snsActions,
  ],
} as const;

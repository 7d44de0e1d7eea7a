/**
 * Composition root of the Lambda functions: config parsed once at cold start, adapters created once.
 * Handlers in functions/ import from here and never touch the SDK themselves.
 */
import { loadConfig, type RuntimeConfig } from './config';
import { currentAccount, stsActions } from './aws/account';
import { EcrRegistry, ecrReadActions } from './aws/ecr';
import { SnsNotifier, snsActions } from './aws/sns';
import { CodeBuildProjects, codebuildReadActions } from './aws/codebuild';
import { IamIdentity, iamReadActions, iamRoleReadActions } from './aws/iam';
import { AwsRemediator, remediatorActions } from './aws/remediator';
import type { ChangeDeps } from './usecases/on-change';
import type { AccountInfo } from './ports';

let config: RuntimeConfig | undefined;
let account: Promise<AccountInfo> | undefined;

export function runtimeConfig(): RuntimeConfig {
  return (config ??= loadConfig());
}

export const auditDeps = async () => {
  const cfg = runtimeConfig();
  return {
    account: await (account ??= currentAccount()),
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    notifier: new SnsNotifier(cfg.NOTIFICATION_TOPIC_ARN),
  };
};

export const changeDeps = async (): Promise<ChangeDeps> => {
  const cfg = runtimeConfig();
  return {
    account: await (account ??= currentAccount()),
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    remediator: new AwsRemediator(),
    notifier: new SnsNotifier(cfg.NOTIFICATION_TOPIC_ARN),
  };
};

/**
 * The IAM actions each function's adapters call. serverless.yml grants each function exactly these (plus its
 * log stream and failure destination); tests/unit/deploy/template.test.ts keeps the two in step.
 */
export const functionActions = {
  audit: [...ecrReadActions, ...codebuildReadActions, ...iamReadActions, ...stsActions, ...snsActions],
  onChange: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...remediatorActions,
    ...stsActions,
    ...snsActions,
  ],
} as const;

/**
 * Composition root of the Lambda functions: config parsed once at cold start, adapters created once.
 * Handlers in functions/ import from here and never touch the SDK themselves.
 */
import { loadConfig, required, type RuntimeConfig } from './config';
import { currentAccount, stsActions } from './aws/account';
import { EcrRegistry, ecrReadActions } from './aws/ecr';
import { SnsNotifier, snsActions } from './aws/sns';
import { CodeBuildProjects, codebuildReadActions } from './aws/codebuild';
import { IamIdentity, iamReadActions, iamRoleReadActions } from './aws/iam';
import { AwsRemediator, remediatorActions } from './aws/remediator';
import type { ChangeDeps } from './usecases/on-change';
import { EcrScanFindings, scanFindingsActions } from './aws/scan-findings';
import { DynamoVerdictStore, verdictReadActions, verdictStoreActions } from './aws/verdicts';
import { idempotencyActions, onceByKey } from './aws/idempotency';
import type { BuildDeps, ScanDeps } from './usecases/scan-gate';
export { onceByKey };
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

export function verdictStore(): DynamoVerdictStore {
  const cfg = runtimeConfig();
  return new DynamoVerdictStore({
    verdicts: required(cfg, 'VERDICTS_TABLE'),
    ...(cfg.BUILDS_TABLE ? { builds: cfg.BUILDS_TABLE } : {}),
  });
}

export const scanDeps = async (): Promise<ScanDeps> => ({
  account: await (account ??= currentAccount()),
  findings: new EcrScanFindings(),
  verdicts: verdictStore(),
  notifier: new SnsNotifier(runtimeConfig().NOTIFICATION_TOPIC_ARN),
});

export const buildDeps = async (): Promise<BuildDeps> => ({
  account: await (account ??= currentAccount()),
  projects: new CodeBuildProjects(),
  verdicts: verdictStore(),
  notifier: new SnsNotifier(runtimeConfig().NOTIFICATION_TOPIC_ARN),
});

export const idempotencyTable = (): string => required(runtimeConfig(), 'IDEMPOTENCY_TABLE');

/**
 * The IAM actions each function's adapters call. serverless.yml grants each function exactly these (plus its
 * log stream and failure destination); tests/unit/deploy/template.test.ts keeps the two in step.
 */
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
  onImagePush: [...verdictStoreActions],
  verdictApi: [...verdictReadActions],
  onChange: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...remediatorActions,
    ...stsActions,
    ...snsActions,
  ],
} as const;

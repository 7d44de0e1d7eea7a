/** Wiring of the scan, build and push handlers: findings, the verdict store, CodeBuild reads, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrScanFindings } from '../aws/scan-findings';
import { SnsNotifier } from '../aws/sns';
import { required } from '../config';
import type { BuildDeps, ScanDeps } from '../usecases/scan-gate';
import { runtimeConfig, type Wiring } from './core';
import { dynamoVerdicts } from './verdicts';

export { onceByKey } from '../aws/idempotency';

export const idempotencyTable = (): string => required(runtimeConfig(), 'IDEMPOTENCY_TABLE');

export const scanWiring: Wiring<ScanDeps> = {
  aws: (account, config) => ({
    account,
    findings: new EcrScanFindings(),
    verdicts: dynamoVerdicts(config),
    notifier: new SnsNotifier(config.NOTIFICATION_TOPIC_ARN),
  }),
  sandbox: (s) => ({ account: s.info, findings: s, verdicts: s, notifier: s }),
};

export const buildWiring: Wiring<BuildDeps> = {
  aws: (account, config) => ({
    account,
    projects: new CodeBuildProjects(),
    verdicts: dynamoVerdicts(config),
    notifier: new SnsNotifier(config.NOTIFICATION_TOPIC_ARN),
  }),
  sandbox: (s) => ({ account: s.info, projects: s, verdicts: s, notifier: s }),
};

export { verdictWiring as pushWiring } from './verdicts';

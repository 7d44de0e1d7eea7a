/** Wiring of the scan handler: scan findings, the verdict store, SNS. */
import { EcrScanFindings } from '../aws/scan-findings';
import { SnsNotifier } from '../aws/sns';
import type { ScanDeps } from '../usecases/scan-gate';
import type { Wiring } from './core';
import { dynamoVerdicts } from './verdicts';

export const scanWiring: Wiring<ScanDeps> = {
  aws: (account, config) => ({
    account,
    findings: new EcrScanFindings(),
    verdicts: dynamoVerdicts(config),
    notifier: new SnsNotifier(config.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!),
  }),
  sandbox: (s) => s.ports(),
};

/** Wiring of the build handler: CodeBuild reads, the build ledger, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { SnsNotifier } from '../aws/sns';
import type { BuildDeps } from '../usecases/scan-gate';
import type { Wiring } from './core';
import { dynamoVerdicts } from './verdicts';

export const buildWiring: Wiring<BuildDeps> = {
  aws: (account, config) => ({
    account,
    projects: new CodeBuildProjects(),
    verdicts: dynamoVerdicts(config),
    notifier: new SnsNotifier(config.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!),
  }),
  sandbox: (s) => s.ports(),
};

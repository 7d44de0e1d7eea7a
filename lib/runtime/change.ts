/** Wiring of the change-event handler: reads, remediation writes, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsRemediator } from '../aws/remediator';
import { SnsNotifier } from '../aws/sns';
import type { ChangeDeps } from '../usecases/on-change';
import type { Wiring } from './core';

export const changeWiring: Wiring<ChangeDeps> = {
  aws: (account, config) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    remediator: new AwsRemediator(),
    notifier: new SnsNotifier(config.NOTIFICATION_TOPIC_ARN),
  }),
  sandbox: (s) => s.ports(),
};

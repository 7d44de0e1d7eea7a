/** Wiring of the change-event handler: reads (Organizations too), remediation writes, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsOrganization } from '../aws/organizations';
import { AwsRemediator } from '../aws/remediator';
import { SnsNotifier } from '../aws/sns';
import type { ChangeDeps } from '../usecases/on-change';
import type { Wiring } from './core';

/** Kept across invocations: the organization is read once per cold start. */
const organization = new AwsOrganization();

export const changeWiring: Wiring<ChangeDeps> = {
  aws: (account, config) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    organization,
    remediator: new AwsRemediator(),
    notifier: new SnsNotifier(config.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!),
  }),
  sandbox: (s) => s.ports(),
};

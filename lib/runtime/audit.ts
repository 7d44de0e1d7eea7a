/** Wiring of the scheduled audit: ECR, CodeBuild and IAM reads, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { SnsNotifier } from '../aws/sns';
import type { Notifier } from '../ports';
import type { AuditDeps } from '../usecases/audit';
import type { Wiring } from './core';

export const auditWiring: Wiring<AuditDeps & { notifier: Notifier }> = {
  aws: (account, config) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    notifier: new SnsNotifier(config.NOTIFICATION_TOPIC_ARN),
  }),
  sandbox: (s) => s.ports(),
};

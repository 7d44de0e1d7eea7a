/** Wiring of the scheduled audit: ECR, CodeBuild, IAM and Organizations reads, SNS. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsOrganization } from '../aws/organizations';
import { SnsNotifier } from '../aws/sns';
import type { Notifier } from '../ports';
import type { AuditDeps } from '../usecases/audit';
import type { Wiring } from './core';

/** Kept across invocations: the organization is read once per cold start. */
const organization = new AwsOrganization();

export const auditWiring: Wiring<AuditDeps & { notifier: Notifier }> = {
  aws: (account, config) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    organization,
    notifier: new SnsNotifier(config.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!),
  }),
  sandbox: (s) => s.ports(),
};

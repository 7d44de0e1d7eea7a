/** Wiring of the provisioning API: ECR, IAM and CodeBuild reads and writes, the Organizations read. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsOrganization } from '../aws/organizations';
import { AwsProvisioner } from '../aws/provisioner';
import type { ProvisioningDeps } from '../usecases/provisioning';
import type { Wiring } from './core';

/** Kept across invocations: the organization is read once per cold start. */
const organization = new AwsOrganization();

export const projectsWiring: Wiring<ProvisioningDeps> = {
  aws: (account) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    organization,
    provisioner: new AwsProvisioner(),
  }),
  sandbox: (s) => s.ports(),
};

/** Wiring of the provisioning API: ECR, IAM and CodeBuild reads and writes. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsProvisioner } from '../aws/provisioner';
import type { ProvisioningDeps } from '../usecases/provisioning';
import type { Wiring } from './core';

export const projectsWiring: Wiring<ProvisioningDeps> = {
  aws: (account) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    provisioner: new AwsProvisioner(),
  }),
  sandbox: (s) => s.ports(),
};

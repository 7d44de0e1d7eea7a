/** Wiring of the provisioning API: ECR, IAM and CodeBuild reads and writes, claims on project names. */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { AwsOrganization } from '../aws/organizations';
import { AwsProvisioner } from '../aws/provisioner';
import { DynamoProvisioningClaims } from '../aws/provisioning-claims';
import { requireSettings } from '../settings';
import type { ProvisioningClaims } from '../ports';
import type { ProvisioningDeps } from '../usecases/provisioning';
import type { RuntimeConfig, Wiring } from './core';

/** Claims in the idempotency table, which is required on first use (reads never need it). */
function dynamoClaims(config: RuntimeConfig): ProvisioningClaims {
  let claims: DynamoProvisioningClaims | undefined;
  const table = () => {
    requireSettings(config, ['BUILDWARDEN_IDEMPOTENCY_TABLE']);
    return (claims ??= new DynamoProvisioningClaims(config.BUILDWARDEN_IDEMPOTENCY_TABLE!));
  };
  return {
    claimName: (claim, now) => table().claimName(claim, now),
    readClaim: (name) => table().readClaim(name),
    endClaim: (name, token, state, keepUntil) => table().endClaim(name, token, state, keepUntil),
  };
}
/** Kept across invocations: the organization is read once per cold start. */
const organization = new AwsOrganization();

export const projectsWiring: Wiring<ProvisioningDeps> = {
  aws: (account, config) => ({
    account,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    organization,
    provisioner: new AwsProvisioner(),
    claims: dynamoClaims(config),
  }),
  sandbox: (s) => s.ports(),
};

/** Composition for the CLI: the sandbox account from a snapshot file, or the live account of the credentials. */
import { catalogFor } from '../action-catalog';
import { EcrRegistry } from '../aws/ecr';
import { currentAccount } from '../aws/account';
import { CodeBuildProjects } from '../aws/codebuild';
import { IamIdentity } from '../aws/iam';
import { AwsOrganization } from '../aws/organizations';
import type { AuditDeps } from '../usecases/audit';
import type { SandboxAccount } from '../sandbox/account';

/** The sandbox's ports for the audit, with the IAM action catalogue (unknown-action reporting). */
export function sandboxDeps(sandbox: SandboxAccount): AuditDeps {
  return { ...sandbox.ports(), actionCatalog: catalogFor };
}

/** The account of the current AWS credentials and region; AWS_ENDPOINT_URL is honoured by the SDK itself. */
export async function liveDeps(): Promise<AuditDeps> {
  return {
    account: await currentAccount(),
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    organization: new AwsOrganization(),
    actionCatalog: catalogFor,
  };
}

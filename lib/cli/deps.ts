/** Composition for the CLI: the sandbox account from a snapshot file, or the live account of the credentials. */
import { catalogFor } from '../action-catalog';
import { EcrRegistry } from '../aws/ecr';
import { currentAccount } from '../aws/account';
import { CodeBuildProjects } from '../aws/codebuild';
import { IamIdentity } from '../aws/iam';
import type { AuditDeps } from '../usecases/audit';
import type { ChangeDeps } from '../usecases/on-change';
import type { SandboxAccount } from '../sandbox/account';

export function sandboxDeps(sandbox: SandboxAccount): AuditDeps {
  return {
    account: sandbox.info,
    registry: sandbox,
    projects: sandbox,
    identity: sandbox,
    actionCatalog: catalogFor,
  };
}

/** Everything change handling needs, from the sandbox (it reads, writes and records notifications). */
export function sandboxChangeDeps(sandbox: SandboxAccount): ChangeDeps {
  return {
    account: sandbox.info,
    registry: sandbox,
    projects: sandbox,
    identity: sandbox,
    remediator: sandbox,
    notifier: sandbox,
  };
}

/** The account of the current AWS credentials and region; AWS_ENDPOINT_URL is honoured by the SDK itself. */
export async function liveDeps(): Promise<AuditDeps> {
  return {
    account: await currentAccount(),
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    actionCatalog: catalogFor,
  };
}

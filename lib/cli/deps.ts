/**
 * How a CLI command gets its ports: through the one composition root (lib/runtime/compose.ts), from the
 * sandbox of `--snapshot FILE` or from the live account of the current credentials and region
 * (AWS_ENDPOINT_URL is honoured by the SDK itself). Each command runs in its own adapter scope, so nothing
 * one command read (the account, the organization) is kept for the next.
 */
import { catalogFor } from '../action-catalog';
import {
  awsOrganization,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
  organizationTargets,
} from '../runtime/adapters';
import {
  AdapterScope,
  compose,
  fromSandbox,
  type Deps,
  type Need,
  type SandboxPorts,
} from '../runtime/compose';
import type { Target, TargetLister } from '../ports';
import { assumedMemberSource, ownMemberCredentials } from '../runtime/members';
import type { Settings } from '../settings';
import type { AuditDeps } from '../usecases/audit';

/** What the audit and the snapshot read. */
export const AUDIT_NEEDS = [ecrRegistry, codebuildProjects, iamIdentity, awsOrganization] as const;

/** The deps of `needs` for one command: the sandbox's ports, or the live account's. */
export async function commandDeps<const N extends readonly Need[]>(
  settings: Settings,
  needs: N,
  sandbox?: SandboxPorts,
): Promise<Deps<N>> {
  return compose(settings, needs, sandbox ? { sandbox } : { scope: new AdapterScope() });
}

/** Audit deps: the ports of AUDIT_NEEDS, and the IAM action catalogue (unknown-action reporting). */
function auditDeps(deps: Deps<typeof AUDIT_NEEDS>): AuditDeps {
  // Assigned, not spread: spreading would build every port of a live account at once.
  return Object.assign(deps, { actionCatalog: catalogFor });
}

/** The sandbox's ports for the audit, with the IAM action catalogue. */
export function sandboxDeps(sandbox: SandboxPorts): AuditDeps {
  return auditDeps(fromSandbox(sandbox, AUDIT_NEEDS));
}

/** The live account's ports for the audit and the snapshot, with the IAM action catalogue. */
export async function liveDeps(settings: Settings): Promise<AuditDeps> {
  return auditDeps(await commandDeps(settings, AUDIT_NEEDS));
}

/**
 * The live organization of the current credentials (the management account or a delegated administrator):
 * its guarded targets from AWS Organizations (BUILDWARDEN_REGIONS, BUILDWARDEN_ACCOUNTS and
 * BUILDWARDEN_ORGANIZATIONAL_UNITS narrow it), and each target's audit deps through its member role
 * (BUILDWARDEN_MEMBER_ROLE_NAME, BUILDWARDEN_MEMBER_EXTERNAL_ID); the credentials' own account and region is
 * read directly. One adapter scope and one set of member credentials per command.
 */
export async function liveOrganizationDeps(settings: Settings): Promise<{
  lister: TargetLister;
  depsFor: (target: Target) => Promise<AuditDeps>;
}> {
  const hub = new AdapterScope();
  await hub.accountInfo(); // the credentials' own account is never assumed into
  const credentials = ownMemberCredentials();
  return {
    lister: hub.adapter(organizationTargets, settings),
    depsFor: async (target) =>
      auditDeps(
        await compose(
          settings,
          AUDIT_NEEDS,
          await assumedMemberSource(settings, target, { hub, credentials }),
        ),
      ),
  };
}

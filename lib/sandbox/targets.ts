/**
 * The sandbox's TargetLister: a SIMULATED organization (accounts with their state and parent, organizational
 * units with theirs), answering what lib/aws/organizations.ts answers over AWS Organizations for the same
 * organization: only ACTIVE accounts, narrowed to the configured organizational units (and every OU below them)
 * and accounts, × the Regions, in ascending account id order. A single sandbox account is an organization of
 * one (SandboxAccount.ports()).
 */
import { ConfigError } from '../errors';
import type { Target, TargetLister } from '../ports';
import { guardedTargets, isActiveAccount, type TargetSelection } from '../policy/organization-targets';

export interface SimulatedOrganization {
  /** `r-…` */
  rootId: string;
  /** Each OU under its parent (the root or another OU). */
  organizationalUnits: { id: string; parentId: string }[];
  /** Each account under its parent, with its Organizations `State` and `Name`. */
  accounts: { id: string; name?: string; state: string; parentId: string }[];
}

export class SandboxTargetLister implements TargetLister {
  constructor(
    private readonly organization: SimulatedOrganization,
    private readonly selection: TargetSelection,
  ) {}

  async targets(): Promise<Target[]> {
    const { organizationalUnits } = this.selection;
    const accounts = this.organization.accounts.filter((account) =>
      isActiveAccount({ State: account.state }),
    );
    const under = organizationalUnits ? this.containersUnder(organizationalUnits) : undefined;
    const members = accounts.filter((a) => !under || under.has(a.parentId)).map((a) => a.id);
    return guardedTargets(members, this.selection);
  }

  async accountName(accountId: string): Promise<string | undefined> {
    return this.organization.accounts.find((a) => a.id === accountId)?.name;
  }

  /** The configured roots and OUs and every OU below them; a configured id that does not exist is refused. */
  private containersUnder(parents: readonly string[]): Set<string> {
    const { rootId, organizationalUnits } = this.organization;
    const exists = (id: string) => id === rootId || organizationalUnits.some((u) => u.id === id);
    const missing = parents.find((id) => !exists(id));
    if (missing) {
      throw new ConfigError(
        `BUILDWARDEN_ORGANIZATIONAL_UNITS: ${missing} is not a root or organizational unit of the organization`,
      );
    }
    const found = new Set(parents);
    for (let grew = true; grew;) {
      grew = false;
      for (const unit of organizationalUnits) {
        if (found.has(unit.parentId) && !found.has(unit.id)) {
          found.add(unit.id);
          grew = true;
        }
      }
    }
    return found;
  }
}

/** The organization of a single sandbox account: that account alone, ACTIVE, under a root. */
export function organizationOfOne(accountId: string): SimulatedOrganization {
  return {
    rootId: 'r-sandbox',
    organizationalUnits: [],
    accounts: [{ id: accountId, state: 'ACTIVE', parentId: 'r-sandbox' }],
  };
}

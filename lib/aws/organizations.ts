/**
 * AWS Organizations adapters: the organization of the account, read once (statements limited to it by
 * aws:PrincipalOrgID / aws:PrincipalOrgPaths are the standard way to share images across an organization),
 * and, in organization mode, the accounts and Regions one deployment guards (the TargetLister port).
 */
import {
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ConfigError } from '../errors';
import type { OrganizationReader, Target, TargetLister } from '../ports';
import { ORGANIZATIONS_PAGE_MAX } from '../policy/aws-facts';
import {
  guardedTargets,
  isActiveAccount,
  type OrganizationAccount,
  type TargetSelection,
} from '../policy/organization-targets';
import { organizationsClient } from './clients';
import { isAwsError } from './common';

/** DescribeOrganization supports only the `*` resource. */
export const organizationsActions = ['organizations:DescribeOrganization'] as const;

/**
 * What listing the guarded accounts calls. Only the management account or a delegated administrator may call
 * them. ListAccounts supports only `*`; the others the organization's roots, OUs and accounts.
 */
export const targetListerActions = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListOrganizationalUnitsForParent',
  'organizations:DescribeAccount',
] as const;

export class AwsOrganization implements OrganizationReader {
  /** An account's organization does not change under a running function: one successful read is kept. */
  private read: Promise<string | undefined> | undefined;

  constructor(private readonly client: OrganizationsClient = organizationsClient()) {}

  organizationId(): Promise<string | undefined> {
    this.read ??= this.describe().catch((error: unknown) => {
      this.read = undefined; // a failure is not kept: the next invocation asks again
      throw error;
    });
    return this.read;
  }

  private async describe(): Promise<string | undefined> {
    try {
      const { Organization } = await this.client.send(new DescribeOrganizationCommand({}));
      if (!Organization?.Id) throw new Error('DescribeOrganization returned no organization id');
      return Organization.Id;
    } catch (error) {
      // "Your account is not a member of an organization."
      if (isAwsError(error, 'AWSOrganizationsNotInUseException')) return undefined;
      throw error;
    }
  }
}

/** How long a listing of the organization answers before it is read again (accounts join and leave). */
export const TARGETS_KEPT_MS = 5 * 60_000;

export interface AwsTargetListerOptions {
  client?: OrganizationsClient;
  /** BUILDWARDEN_REGIONS; unset: the deployment's own Region (`defaultRegion`). */
  regions?: readonly string[] | undefined;
  accounts?: readonly string[] | undefined;
  organizationalUnits?: readonly string[] | undefined;
  /** The deployment's own Region. Default: the client's. */
  defaultRegion?: () => Promise<string>;
  /** Epoch milliseconds, for how long a listing is kept. */
  now?: () => number;
}

/**
 * The guarded accounts × Regions over AWS Organizations: ListAccounts (every page), or, with organizational
 * units configured, ListAccountsForParent under each of them and, recursively, every OU below
 * (ListOrganizationalUnitsForParent); only ACTIVE accounts, and of those only the configured accounts when
 * some are. A listing is kept for TARGETS_KEPT_MS; account names from it (or DescribeAccount) are kept too.
 */
export class AwsTargetLister implements TargetLister {
  private readonly client: OrganizationsClient;
  private readonly now: () => number;
  private listing: { read: Promise<Target[]>; at: number } | undefined;
  private readonly names = new Map<string, string>();

  constructor(private readonly options: AwsTargetListerOptions = {}) {
    this.client = options.client ?? organizationsClient();
    this.now = options.now ?? Date.now;
  }

  targets(): Promise<Target[]> {
    const kept = this.listing;
    if (kept && this.now() - kept.at < TARGETS_KEPT_MS) return kept.read;
    const read = this.list().catch((error: unknown) => {
      if (this.listing?.read === read) this.listing = undefined; // a failure is not kept
      throw error;
    });
    this.listing = { read, at: this.now() };
    return read;
  }

  async accountName(accountId: string): Promise<string | undefined> {
    const known = this.names.get(accountId);
    if (known !== undefined) return known;
    try {
      const { Account } = await this.client.send(new DescribeAccountCommand({ AccountId: accountId }));
      if (Account?.Name) this.names.set(accountId, Account.Name);
      return Account?.Name;
    } catch {
      // A name only decorates a notification: one that cannot be read is left out, never an error.
      return undefined;
    }
  }

  private async list(): Promise<Target[]> {
    const regions = this.options.regions ?? [await this.defaultRegion()];
    const selection: TargetSelection = {
      regions,
      accounts: this.options.accounts,
      organizationalUnits: this.options.organizationalUnits,
    };
    const members = this.options.organizationalUnits
      ? await this.accountsUnder(this.options.organizationalUnits)
      : await this.allAccounts();
    return guardedTargets(members, selection);
  }

  private defaultRegion(): Promise<string> {
    return this.options.defaultRegion ? this.options.defaultRegion() : this.client.config.region();
  }

  /** Keeps the names of the accounts listed and answers the ACTIVE ones' ids. */
  private active(accounts: OrganizationAccount[] | undefined): string[] {
    const ids: string[] = [];
    for (const account of accounts ?? []) {
      if (!account.Id) continue;
      if (account.Name) this.names.set(account.Id, account.Name);
      if (isActiveAccount(account)) ids.push(account.Id);
    }
    return ids;
  }

  private async allAccounts(): Promise<string[]> {
    const ids: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListAccountsCommand({ MaxResults: ORGANIZATIONS_PAGE_MAX, ...(NextToken ? { NextToken } : {}) }),
      );
      ids.push(...this.active(page.Accounts));
      NextToken = page.NextToken;
    } while (NextToken);
    return ids;
  }

  /** The accounts directly in each parent and in every OU below it (each OU visited once). */
  private async accountsUnder(parents: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    const seen = new Set<string>();
    const queue = [...parents];
    while (queue.length > 0) {
      const parent = queue.shift()!;
      if (seen.has(parent)) continue;
      seen.add(parent);
      try {
        let NextToken: string | undefined;
        do {
          const page = await this.client.send(
            new ListAccountsForParentCommand({
              ParentId: parent,
              MaxResults: ORGANIZATIONS_PAGE_MAX,
              ...(NextToken ? { NextToken } : {}),
            }),
          );
          ids.push(...this.active(page.Accounts));
          NextToken = page.NextToken;
        } while (NextToken);
        do {
          const page = await this.client.send(
            new ListOrganizationalUnitsForParentCommand({
              ParentId: parent,
              MaxResults: ORGANIZATIONS_PAGE_MAX,
              ...(NextToken ? { NextToken } : {}),
            }),
          );
          for (const unit of page.OrganizationalUnits ?? []) if (unit.Id) queue.push(unit.Id);
          NextToken = page.NextToken;
        } while (NextToken);
      } catch (error) {
        // An OU below a configured one may be deleted while the listing runs: its accounts moved elsewhere.
        if (isAwsError(error, 'ParentNotFoundException') && !parents.includes(parent)) continue;
        if (isAwsError(error, 'ParentNotFoundException')) {
          throw new ConfigError(
            `BUILDWARDEN_ORGANIZATIONAL_UNITS: ${parent} is not a root or organizational unit of the organization`,
            { cause: error },
          );
        }
        throw error;
      }
    }
    return ids;
  }
}

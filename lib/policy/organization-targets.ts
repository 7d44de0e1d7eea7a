/**
 * Organization mode: which accounts and Regions one deployment guards, and why an event's account or Region is
 * not among them. Pure: the listing comes from the TargetLister port (AWS Organizations, or the sandbox).
 */
import { ACCOUNT_ID, partitionOf, REGION } from './aws-facts';

/** One account and Region (the ports' `Target`). */
export interface AccountRegion {
  accountId: string;
  region: string;
}

/** The fields of an Organizations `Account` buildwarden reads. */
export interface OrganizationAccount {
  Id?: string | undefined;
  Name?: string | undefined;
  State?: string | undefined;
  Status?: string | undefined;
}

/**
 * Whether an account is ACTIVE. `State` is the account's lifecycle state; `Status`, which it replaced, was
 * retired on 9 September 2026 and is read only from an answer that has no `State` (an older emulator). An
 * account whose state is not known is not guarded.
 */
export function isActiveAccount(account: OrganizationAccount): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

/** What selects the guarded targets (the settings of organization mode). */
export interface TargetSelection {
  /** The guarded Regions (BUILDWARDEN_REGIONS, else the deployment's own). */
  regions: readonly string[];
  /** Only these accounts (BUILDWARDEN_ACCOUNTS); each must still be an ACTIVE member. */
  accounts?: readonly string[] | undefined;
  /** Only the accounts under these organizational units or roots (BUILDWARDEN_ORGANIZATIONAL_UNITS). */
  organizationalUnits?: readonly string[] | undefined;
}

/**
 * The guarded targets: the ACTIVE member accounts given (already narrowed to the organizational units), those
 * of `selection.accounts` only when it is set, × the Regions; accounts in ascending id order, each account's
 * Regions in the order configured.
 */
export function guardedTargets(members: Iterable<string>, selection: TargetSelection): AccountRegion[] {
  const only = selection.accounts ? new Set(selection.accounts) : undefined;
  const accounts = [...new Set(members)].filter((id) => !only || only.has(id)).sort();
  const regions = [...new Set(selection.regions)];
  return accounts.flatMap((accountId) => regions.map((region) => ({ accountId, region })));
}

/**
 * Why an event's account and Region are not the deployment's to act in, naming what excludes them; undefined
 * when `guarded` holds them.
 */
export function unguardedReason(
  place: AccountRegion,
  selection: TargetSelection,
  guarded: readonly AccountRegion[],
  lead = 'the event is from',
): string | undefined {
  if (!selection.regions.includes(place.region)) {
    return `${lead} region ${place.region}, which this deployment does not guard (regions: ${selection.regions.join(', ')})`;
  }
  if (guarded.some((t) => t.accountId === place.accountId && t.region === place.region)) return undefined;
  if (selection.accounts && !selection.accounts.includes(place.accountId)) {
    return `${lead} account ${place.accountId}, which is not one of the configured accounts (BUILDWARDEN_ACCOUNTS)`;
  }
  const narrowed = selection.organizationalUnits
    ? ` under the configured organizational units (${selection.organizationalUnits.join(', ')})`
    : '';
  return `${lead} account ${place.accountId}, which is not an ACTIVE account of the organization${narrowed}`;
}

/**
 * A notification of a hub function about a member account (or another Region of the hub's): its subject and
 * message name the account (with its name in the organization, when known) and the Region, and it carries
 * them as message attributes (`account`, `region`) for subscribers to filter on.
 */
export function namingAccount<
  N extends { subject: string; message: string; attributes: Record<string, string | readonly string[]> },
>(notification: N, place: AccountRegion, accountName: string | undefined): N {
  const account = accountName ? `${place.accountId} (${accountName})` : place.accountId;
  return {
    ...notification,
    subject: `[${account} ${place.region}] ${notification.subject}`,
    message: `Account ${account}, region ${place.region}.\n\n${notification.message}`,
    attributes: { ...notification.attributes, account: place.accountId, region: place.region },
  };
}

/**
 * The member stack's permissions boundary of the build roles it lets the hub provision (deploy/member-account.yml,
 * with provisioning enabled): one per account and Region.
 */
export const MEMBER_BOUNDARY_POLICY_PREFIX = 'buildwarden-provisioned-role-boundary-';

export function memberBoundaryPolicyArn(place: AccountRegion): string {
  return `arn:${partitionOf(place.region)}:iam::${place.accountId}:policy/${MEMBER_BOUNDARY_POLICY_PREFIX}${place.region}`;
}

/** A request's optional `account` and `region` (provisioning into a member account), each checked by name. */
export function parseRequestPlace(
  account: unknown,
  region: unknown,
): { problems: string[]; place: Partial<AccountRegion> } {
  const problems: string[] = [];
  const place: Partial<AccountRegion> = {};
  if (account !== undefined) {
    if (typeof account === 'string' && ACCOUNT_ID.test(account)) place.accountId = account;
    else problems.push('account: expected a 12-digit AWS account id');
  }
  if (region !== undefined) {
    if (typeof region === 'string' && REGION.test(region)) place.region = region;
    else problems.push('region: expected an AWS Region name such as us-east-1');
  }
  return { problems, place };
}

/**
 * Organization mode: where a hub function acts on an event — the hub's own account and Region, a guarded
 * member account and Region, or nowhere (foreign: skipped with the reason). Through the TargetLister port
 * only; which deps a place gets is the front door's (lib/runtime/members.ts).
 */
import type { AccountInfo, Target, TargetLister } from '../ports';
import { unguardedReason } from '../policy/organization-targets';

/** What decides whether a place is guarded: the listing, and the settings it was listed with. */
export interface Guarded {
  targets: TargetLister;
  /** BUILDWARDEN_REGIONS; unset: the hub's own Region. */
  regions?: readonly string[] | undefined;
  accounts?: readonly string[] | undefined;
  organizationalUnits?: readonly string[] | undefined;
}

export type Placement = { at: 'hub' } | { at: 'target' } | { foreign: string };

/**
 * `hub` when the place is the hub's own account and Region, `target` when the organization's listing guards
 * it (a member account, or the hub's account in another guarded Region), else why not (naming the account or
 * Region and the setting that excludes it).
 */
export async function placeOf(
  place: Target,
  hub: AccountInfo,
  guarded: Guarded,
  /** How a reason begins: `the event is from` (default), `the request names`. */
  lead?: string,
): Promise<Placement> {
  if (place.accountId === hub.accountId && place.region === hub.region) return { at: 'hub' };
  const selection = {
    regions: guarded.regions ?? [hub.region],
    accounts: guarded.accounts,
    organizationalUnits: guarded.organizationalUnits,
  };
  // A Region outside the guarded ones needs no listing of the organization.
  const early = selection.regions.includes(place.region)
    ? undefined
    : unguardedReason(place, selection, [], lead);
  if (early) return { foreign: early };
  const reason = unguardedReason(place, selection, await guarded.targets.targets(), lead);
  if (reason) return { foreign: reason };
  return { at: 'target' };
}

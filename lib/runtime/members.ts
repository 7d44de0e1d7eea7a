/**
 * Organization mode: the deps of a hub function in a member account and Region. `memberSource` is a compose()
 * source (lib/runtime/compose.ts) whose adapters sign with the member role's credentials — sts:AssumeRole on
 * `arn:<partition>:iam::<account>:role/<BUILDWARDEN_MEMBER_ROLE_NAME>` with BUILDWARDEN_MEMBER_EXTERNAL_ID,
 * kept per account until shortly before they expire — in the target's Region, and whose account is the
 * target. What stays in the hub (its topic, tables, identity and organization) is reached with the process's
 * clients. The hub's own account and Region is the process scope itself: nothing is assumed there.
 */
import {
  memberClients,
  memberRoleArn,
  processMemberCredentials,
  MemberCredentials,
} from '../aws/member-credentials';
import { ConfigError } from '../errors';
import type { AccountInfo, Notifier, ProvisioningClaims, Target, TargetLister } from '../ports';
import { namingAccount } from '../policy/organization-targets';
import type { Settings } from '../settings';
import { placeOf } from '../usecases/placement';
import { organizationTargets } from './adapters';
import { AdapterScope, compose, processScope, type Deps, type Need, type Source } from './compose';
import type { ChangeOptions } from '../usecases/on-change';

export interface MemberSourceOptions {
  /** The hub's scope (default: the process's): its account is never assumed into. */
  hub?: AdapterScope;
  /** Where member roles' credentials are kept (default: the process's). */
  credentials?: MemberCredentials;
}

/** Member scopes are kept per hub scope, account, Region and role: their adapters and credentials live on. */
const kept = new WeakMap<AdapterScope, Map<string, AdapterScope>>();

/** Whether the deployment acts in member accounts: the member role's external id is configured. */
export function organizationMode(settings: Settings): boolean {
  return settings.BUILDWARDEN_MEMBER_EXTERNAL_ID !== undefined;
}

/** The source of a target's deps: the hub scope for the hub's own account and Region, else the member role's. */
export function memberSource(settings: Settings, target: Target, options: MemberSourceOptions = {}): Source {
  const hub = options.hub ?? processScope;
  const own = hub.knownAccount();
  if (own?.accountId === target.accountId && own.region === target.region) return { scope: hub };
  const roleName = settings.BUILDWARDEN_MEMBER_ROLE_NAME;
  const externalId = settings.BUILDWARDEN_MEMBER_EXTERNAL_ID;
  const key = [target.accountId, target.region, roleName, externalId ?? ''].join('\n');
  let scopes = kept.get(hub);
  if (!scopes) kept.set(hub, (scopes = new Map()));
  let scope = scopes.get(key);
  if (!scope) {
    const account: AccountInfo = { accountId: target.accountId, region: target.region };
    const clients = memberClients(
      target,
      {
        roleName,
        externalId: () => {
          if (externalId === undefined) {
            throw new ConfigError(
              `BUILDWARDEN_MEMBER_EXTERNAL_ID: acting in account ${target.accountId} needs the member role's external id`,
            );
          }
          return externalId;
        },
      },
      {
        hubAccount: async () => (await hub.accountInfo()).accountId,
        ...(options.credentials ? { credentials: options.credentials } : {}),
      },
    );
    scope = new AdapterScope({ clients, account: () => Promise.resolve(account) });
    scopes.set(key, scope);
  }
  return { scope };
}

/** Member roles' credentials of their own (a CLI command's), not the process's. */
export function ownMemberCredentials(): MemberCredentials {
  return new MemberCredentials();
}

/**
 * memberSource, with the member role assumed first (any account but the hub's own): a role that cannot be
 * assumed (an SCP, a missing member stack, another external id) fails here, once, with a ForbiddenError naming
 * it, rather than in each read of the target. The organization audit (its shard, the CLI's `--org`) asks this.
 */
export async function assumedMemberSource(
  settings: Settings,
  target: Target,
  options: MemberSourceOptions = {},
): Promise<Source> {
  const hub = options.hub ?? processScope;
  const own = await hub.accountInfo();
  if (target.accountId !== own.accountId) {
    const externalId = settings.BUILDWARDEN_MEMBER_EXTERNAL_ID;
    if (externalId === undefined) {
      throw new ConfigError(
        `BUILDWARDEN_MEMBER_EXTERNAL_ID: acting in account ${target.accountId} needs the member role's external id`,
      );
    }
    const roleArn = memberRoleArn(target.accountId, target.region, settings.BUILDWARDEN_MEMBER_ROLE_NAME);
    await (options.credentials ?? processMemberCredentials).provider(roleArn, externalId)();
  }
  return memberSource(settings, target, options);
}

/** What a function decides an event's deps with; the default acts through memberSource on AWS. */
export interface Placer {
  /** The guarded accounts and Regions, and their names (the TargetLister port). */
  targets: TargetLister;
  /** The source of a guarded target's deps. */
  sourceOf(target: Target): Source;
}

/**
 * The deps a function acts with on an event from `place`: the hub's (`hub`) in single-account mode, on the
 * local stage's sandbox and for the hub's own account and Region; a guarded target's from its source
 * (`placer`, default the member role's); `foreign` with the reason for an account or Region outside the
 * organization, BUILDWARDEN_ACCOUNTS, the organizational units or BUILDWARDEN_REGIONS.
 */
export async function depsAt<const N extends readonly Need[]>(
  place: Target,
  hub: Deps<N>,
  needs: N,
  settings: Settings,
  options: { sandbox?: boolean; placer?: Placer; lead?: string } = {},
): Promise<{ deps: Deps<N> } | { foreign: string }> {
  if (!options.placer && (options.sandbox || !organizationMode(settings))) return { deps: hub };
  const placer = options.placer ?? awsPlacer(settings);
  const placement = await placeOf(
    place,
    hub.account,
    {
      targets: placer.targets,
      regions: settings.BUILDWARDEN_REGIONS,
      accounts: settings.BUILDWARDEN_ACCOUNTS,
      organizationalUnits: settings.BUILDWARDEN_ORGANIZATIONAL_UNITS,
    },
    options.lead,
  );
  if ('foreign' in placement) return placement;
  if (placement.at === 'hub') return { deps: hub };
  const deps = await compose(settings, needs, placer.sourceOf(place));
  if (!('notifier' in deps) && !('claims' in deps)) return { deps };
  // The ports stay built on first use: each is read through; the hub's notifier and claims, which serve
  // every account, are wrapped when first asked for, to name the account and Region.
  const placed: Record<string, unknown> = {};
  const wrapped = new Map<string, unknown>();
  const wrap: Record<string, (port: unknown) => unknown> = {
    notifier: (port) => accountNamingNotifier(port as Notifier, place, placer.targets),
    claims: (port) => placedClaims(port as ProvisioningClaims, place),
  };
  for (const key of Object.keys(deps)) {
    Object.defineProperty(placed, key, {
      enumerable: true,
      get: () => {
        const port = (deps as Record<string, unknown>)[key];
        const wrapper = wrap[key];
        if (!wrapper) return port;
        if (!wrapped.has(key)) wrapped.set(key, wrapper(port));
        return wrapped.get(key);
      },
    });
  }
  return { deps: placed as Deps<N> };
}

/**
 * The hub's provisioning claims for a project name in another account and Region: kept in the hub's table,
 * keyed with the account and Region, so one name may be provisioned in several accounts at once.
 */
export function placedClaims(claims: ProvisioningClaims, place: Target): ProvisioningClaims {
  const key = (name: string) => `${place.accountId}/${place.region}/${name}`;
  return {
    claimName: (claim, now) => claims.claimName({ ...claim, name: key(claim.name) }, now),
    readClaim: (name) => claims.readClaim(key(name)),
    endClaim: (name, token, state, keepUntil) => claims.endClaim(key(name), token, state, keepUntil),
  };
}

/** Publishes through `notifier`, each notification naming the account (and its name) and the Region. */
export function accountNamingNotifier(notifier: Notifier, place: Target, targets: TargetLister): Notifier {
  return {
    async publish(notification) {
      const name = await targets.accountName(place.accountId);
      await notifier.publish(namingAccount(notification, place, name));
    },
  };
}

/** On AWS: the organization's listing from the hub, and each target through its member role. */
function awsPlacer(settings: Settings): Placer {
  return {
    targets: processScope.adapter(organizationTargets, settings),
    sourceOf: (target) => memberSource(settings, target),
  };
}

/**
 * The change handler's options from the settings, the same for the Lambda function and `buildwarden replay`:
 * its own role and (organization mode) the member role, whose events are buildwarden's own; the roles and
 * policies remediation may write to or detach; how long resolved findings are kept.
 */
export function changeOptionsOf(settings: Settings, now: Date): ChangeOptions {
  const own = settings.BUILDWARDEN_REMEDIATION_ROLE_ARN;
  return {
    now,
    ownRoleArns: own ? [own] : [],
    memberRoleName: organizationMode(settings) ? settings.BUILDWARDEN_MEMBER_ROLE_NAME : undefined,
    remediableRoles: settings.BUILDWARDEN_REMEDIABLE_ROLES,
    detachablePolicyArns: settings.BUILDWARDEN_DETACHABLE_POLICY_ARNS ?? [],
    retentionDays: settings.BUILDWARDEN_FINDINGS_RETENTION_DAYS,
  };
}

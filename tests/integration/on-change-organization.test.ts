/**
 * The change handler in organization mode, end to end on sandboxes, no mocks: a fleet of simulated accounts
 * (account and Region → SandboxAccount) in a simulated organization; each event is placed (depsAt) and the use
 * case runs on the account it names: a member's repository is fixed in that member's sandbox only, the
 * notification names the member account, and an outsider's event changes nothing anywhere.
 */
import path from 'node:path';
import { parseChangeEvent } from '../../lib/policy/change-events';
import { defaultGuardrails } from '../../lib/policy/guardrails';
import type { Notification, Target } from '../../lib/ports';
import { compose } from '../../lib/runtime/compose';
import { depsAt, type Placer } from '../../lib/runtime/members';
import { SandboxAccount } from '../../lib/sandbox/account';
import { SandboxTargetLister } from '../../lib/sandbox/targets';
import { parseSettings } from '../../lib/settings';
import { onChangeEvent, type ChangeResult } from '../../lib/usecases/on-change';
import { needs } from '../../functions/on-change';
import { NOW } from '../fixtures/builders';
import { loadJson } from '../fixtures/load';

const HUB = '123456789012';
const MEMBER = '444455556666';
const OUTSIDER = '999988887777';
const REGION = 'us-east-1';

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;

/** The demo account's snapshot as account `accountId` (every id of the demo account replaced). */
function accountAs(accountId: string): SandboxAccount {
  const text = JSON.stringify(loadJson(path.join('..', '..', 'demo', 'account.json'))).replaceAll(
    HUB,
    accountId,
  );
  return new SandboxAccount(JSON.parse(text) as ConstructorParameters<typeof SandboxAccount>[0]);
}

/** The PutImageTagMutability event of events/, made in `accountId`. */
function eventIn(accountId: string): RawEvent {
  const raw = loadJson<RawEvent>(path.join('..', '..', 'events', 'ecr-PutImageTagMutability.json'));
  return JSON.parse(JSON.stringify(raw).replaceAll(HUB, accountId)) as RawEvent;
}

function givenFleet() {
  const fleet = new Map<string, SandboxAccount>([
    [`${HUB}/${REGION}`, accountAs(HUB)],
    [`${MEMBER}/${REGION}`, accountAs(MEMBER)],
  ]);
  const placer: Placer = {
    targets: new SandboxTargetLister(
      {
        rootId: 'r-a1b2',
        organizationalUnits: [],
        accounts: [
          { id: HUB, name: 'Security Tooling', state: 'ACTIVE', parentId: 'r-a1b2' },
          { id: MEMBER, name: 'Builds', state: 'ACTIVE', parentId: 'r-a1b2' },
        ],
      },
      { regions: [REGION] },
    ),
    sourceOf: (t: Target) => ({ sandbox: fleet.get(`${t.accountId}/${t.region}`)! }),
  };
  return { fleet, placer };
}

const settings = parseSettings({ BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id' }, []);

async function handle(
  raw: RawEvent,
  { fleet, placer }: ReturnType<typeof givenFleet>,
): Promise<ChangeResult> {
  const event = parseChangeEvent(raw);
  const hub = await compose(settings, needs, { sandbox: fleet.get(`${HUB}/${REGION}`)! });
  const placed = await depsAt({ accountId: event.account, region: event.region }, hub, needs, settings, {
    placer,
  });
  if ('foreign' in placed) return { skipped: placed.foreign, actions: [], notifications: [] };
  return onChangeEvent(event, placed.deps, defaultGuardrails(), {
    now: NOW,
    ownRoleArns: [],
    memberRoleName: settings.BUILDWARDEN_MEMBER_ROLE_NAME,
  });
}

const mutability = (account: SandboxAccount) =>
  account.snapshot.ecr.repositories.find((r) => r.repositoryName === 'web/frontend')?.imageTagMutability;

const published = (account: SandboxAccount) =>
  (account.snapshot.sns?.topics[0]?.messages ?? []) as unknown as Notification[];

describe('change handler on a sandbox organization', () => {
  test('a member account’s event fixes the repository in that member account only', async () => {
    const org = givenFleet();

    const result = await handle(eventIn(MEMBER), org);

    expect(result.skipped).toBeNull();
    expect(mutability(org.fleet.get(`${MEMBER}/${REGION}`)!)).toBe('IMMUTABLE');
    expect(mutability(org.fleet.get(`${HUB}/${REGION}`)!)).toBe('MUTABLE');
  });

  test('its notifications name the member account and its name', async () => {
    const org = givenFleet();

    const result = await handle(eventIn(MEMBER), org);

    expect(result.notifications.length).toBeGreaterThan(0);
    const sent = published(org.fleet.get(`${MEMBER}/${REGION}`)!);
    expect(sent.length).toBeGreaterThan(0);
    for (const n of sent) expect(n.subject).toMatch(new RegExp(`^\\[${MEMBER} \\(Builds\\) ${REGION}\\] `));
  });

  test('an event of an account outside the organization changes nothing anywhere', async () => {
    const org = givenFleet();

    const result = await handle(eventIn(OUTSIDER), org);

    expect(result.skipped).toBe(
      `the event is from account ${OUTSIDER}, which is not an ACTIVE account of the organization`,
    );
    for (const account of org.fleet.values()) expect(mutability(account)).toBe('MUTABLE');
  });

  test('an event caused by the member role in a member account is skipped as buildwarden’s own', async () => {
    const org = givenFleet();
    const raw = eventIn(MEMBER);
    const identity = raw.detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = `arn:aws:sts::${MEMBER}:assumed-role/buildwarden-member/buildwarden`;
    identity.sessionContext.sessionIssuer.arn = `arn:aws:iam::${MEMBER}:role/buildwarden-member`;

    const result = await handle(raw, org);

    expect(result.skipped).toBe(
      `caused by buildwarden's member role buildwarden-member in account ${MEMBER}`,
    );
    expect(mutability(org.fleet.get(`${MEMBER}/${REGION}`)!)).toBe('MUTABLE');
  });
});

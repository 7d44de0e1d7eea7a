/**
 * Organization mode's sources: memberSource gives the hub's own account and Region the hub scope itself, and
 * any other target a scope of its own whose account is the target and whose ECR adapter signs with the member
 * role (sts:AssumeRole with the external id); depsAt places an event's deps at the hub, in a guarded target,
 * or nowhere (foreign, with the reason) — here with the sandbox organization and a fleet of sandbox accounts.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MemberCredentials } from '../../../lib/aws/member-credentials';
import { ConfigError } from '../../../lib/errors';
import type { Target } from '../../../lib/ports';
import { ecrRegistry } from '../../../lib/runtime/adapters';
import { AdapterScope, compose } from '../../../lib/runtime/compose';
import {
  changeOptionsOf,
  depsAt,
  memberSource,
  organizationMode,
  type Placer,
} from '../../../lib/runtime/members';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { SandboxTargetLister, type SimulatedOrganization } from '../../../lib/sandbox/targets';
import { parseSettings } from '../../../lib/settings';
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { loadJson } from '../../fixtures/load';

const sts = mockClient(STSClient);
const HUB = '111122223333';
const MEMBER = '444455556666';
const OUTSIDER = '999988887777';

const orgSettings = (env: Record<string, string> = {}) =>
  parseSettings({ BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id', ...env }, []);

/** A hub scope that knows its account (as after the first invocation asked it). */
async function hubScope(): Promise<AdapterScope> {
  const scope = new AdapterScope({ account: async () => ({ accountId: HUB, region: 'us-east-1' }) });
  await scope.accountInfo();
  return scope;
}

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: HUB });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 3_600_000),
    },
  });
});

describe('memberSource', () => {
  test('the hub’s own account and Region is the hub scope: nothing is assumed', async () => {
    const hub = await hubScope();

    const source = memberSource(orgSettings(), { accountId: HUB, region: 'us-east-1' }, { hub });

    expect(source).toEqual({ scope: hub });
  });

  test('a member account’s deps work in the member account and Region', async () => {
    const hub = await hubScope();

    const deps = await compose(
      orgSettings(),
      [ecrRegistry],
      memberSource(orgSettings(), { accountId: MEMBER, region: 'eu-west-1' }, { hub }),
    );

    expect(deps.account).toEqual({ accountId: MEMBER, region: 'eu-west-1' });
  });

  test('a member account’s adapters sign with the member role assumed with the external id', async () => {
    const hub = await hubScope();
    const credentials = new MemberCredentials({ client: new STSClient({}) });
    const source = memberSource(
      orgSettings(),
      { accountId: MEMBER, region: 'eu-west-1' },
      { hub, credentials },
    );
    if (!('scope' in source)) throw new Error('expected a scope');

    const registry = source.scope.adapter(ecrRegistry, orgSettings()) as unknown as { client: ECRClient };
    const client = Object.values(registry).find((v): v is ECRClient => v instanceof ECRClient)!;
    await expect(client.config.credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAMEMBER' });

    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/buildwarden-member`,
      ExternalId: 'org-external-id',
    });
  });

  test('a target keeps its scope: its adapters and credentials are reused', async () => {
    const hub = await hubScope();
    const target = { accountId: MEMBER, region: 'eu-west-1' };

    expect(memberSource(orgSettings(), target, { hub })).toEqual(
      memberSource(orgSettings(), target, { hub }),
    );
    expect(memberSource(orgSettings(), target, { hub })).not.toEqual(
      memberSource(orgSettings(), { ...target, region: 'us-east-1' }, { hub }),
    );
  });

  test('without the external id, acting in a member account is a ConfigError naming the setting', async () => {
    const hub = await hubScope();
    const settings = parseSettings({}, []);
    const source = memberSource(settings, { accountId: MEMBER, region: 'eu-west-1' }, { hub });
    if (!('scope' in source)) throw new Error('expected a scope');

    const registry = source.scope.adapter(ecrRegistry, settings);
    const client = Object.values(registry).find((v): v is ECRClient => v instanceof ECRClient)!;

    await expect(client.config.credentials()).rejects.toThrow(ConfigError);
    await expect(client.config.credentials()).rejects.toThrow('BUILDWARDEN_MEMBER_EXTERNAL_ID');
  });
});

describe('organizationMode', () => {
  test('is on when the member role’s external id is set, an empty one included as off', () => {
    expect(organizationMode(orgSettings())).toBe(true);
    expect(organizationMode(parseSettings({ BUILDWARDEN_MEMBER_EXTERNAL_ID: '' }, []))).toBe(false);
  });
});

describe('depsAt over a sandbox organization and fleet', () => {
  const organization: SimulatedOrganization = {
    rootId: 'r-a1b2',
    organizationalUnits: [{ id: 'ou-a1b2-11111111', parentId: 'r-a1b2' }],
    accounts: [
      { id: HUB, name: 'security', state: 'ACTIVE', parentId: 'r-a1b2' },
      { id: MEMBER, name: 'builds', state: 'ACTIVE', parentId: 'ou-a1b2-11111111' },
      { id: '555566667777', name: 'closing', state: 'PENDING_CLOSURE', parentId: 'r-a1b2' },
    ],
  };
  const snapshot = () => parseSnapshot(JSON.stringify(loadJson('../../demo/account.json')), 'demo');
  const accountAt = (t: Target) => {
    return new SandboxAccount({ ...snapshot(), accountId: t.accountId, region: t.region });
  };

  function fleet(settings: ReturnType<typeof orgSettings>): Placer {
    return {
      targets: new SandboxTargetLister(organization, {
        regions: settings.BUILDWARDEN_REGIONS ?? ['us-east-1'],
        accounts: settings.BUILDWARDEN_ACCOUNTS,
        organizationalUnits: settings.BUILDWARDEN_ORGANIZATIONAL_UNITS,
      }),
      sourceOf: (t) => ({ sandbox: accountAt(t) }),
    };
  }

  async function place(target: Target, env: Record<string, string> = {}) {
    const settings = orgSettings(env);
    const hub = await compose(settings, [ecrRegistry], {
      sandbox: accountAt({ accountId: HUB, region: 'us-east-1' }),
    });
    return depsAt(target, hub, [ecrRegistry], settings, { placer: fleet(settings) });
  }

  test('an event of a guarded member account gets that account’s deps', async () => {
    const placed = await place({ accountId: MEMBER, region: 'us-east-1' });

    expect('deps' in placed && placed.deps.account).toEqual({ accountId: MEMBER, region: 'us-east-1' });
  });

  test('an account outside the organization is foreign, with the reason', async () => {
    await expect(place({ accountId: OUTSIDER, region: 'us-east-1' })).resolves.toEqual({
      foreign: `the event is from account ${OUTSIDER}, which is not an ACTIVE account of the organization`,
    });
  });

  test('an account that is not ACTIVE is foreign', async () => {
    await expect(place({ accountId: '555566667777', region: 'us-east-1' })).resolves.toHaveProperty(
      'foreign',
    );
  });

  test('a Region outside BUILDWARDEN_REGIONS is foreign, naming the Region', async () => {
    await expect(
      place({ accountId: MEMBER, region: 'ap-south-1' }, { BUILDWARDEN_REGIONS: 'us-east-1,eu-west-1' }),
    ).resolves.toEqual({
      foreign:
        'the event is from region ap-south-1, which this deployment does not guard (regions: us-east-1, eu-west-1)',
    });
  });

  test('an organization member outside BUILDWARDEN_ACCOUNTS is foreign, naming the setting', async () => {
    await expect(
      place({ accountId: MEMBER, region: 'us-east-1' }, { BUILDWARDEN_ACCOUNTS: HUB }),
    ).resolves.toEqual({
      foreign: `the event is from account ${MEMBER}, which is not one of the configured accounts (BUILDWARDEN_ACCOUNTS)`,
    });
  });

  test('a member outside the configured organizational units is foreign', async () => {
    const placed = await place(
      { accountId: HUB, region: 'eu-west-1' },
      {
        BUILDWARDEN_REGIONS: 'us-east-1,eu-west-1',
        BUILDWARDEN_ORGANIZATIONAL_UNITS: 'ou-a1b2-11111111',
      },
    );

    expect(placed).toEqual({
      foreign: `the event is from account ${HUB}, which is not an ACTIVE account of the organization under the configured organizational units (ou-a1b2-11111111)`,
    });
  });

  test('the hub’s own account and Region keeps the hub’s deps without listing the organization', async () => {
    const placed = await place({ accountId: HUB, region: 'us-east-1' }, { BUILDWARDEN_ACCOUNTS: MEMBER });

    expect('deps' in placed && placed.deps.account).toEqual({ accountId: HUB, region: 'us-east-1' });
  });

  test('in single-account mode every event keeps the hub’s deps (the use case says why it is foreign)', async () => {
    const settings = parseSettings({}, []);
    const hub = await compose(settings, [ecrRegistry], {
      sandbox: accountAt({ accountId: HUB, region: 'us-east-1' }),
    });

    const placed = await depsAt({ accountId: OUTSIDER, region: 'us-east-1' }, hub, [ecrRegistry], settings);

    expect(placed).toEqual({ deps: hub });
  });
});

describe('changeOptionsOf (the change handler and replay alike)', () => {
  const NOW = new Date('2026-12-07T12:00:00Z');

  it("names the member role as buildwarden's own in organization mode", () => {
    // Prepare
    const settings = parseSettings({
      BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id',
      BUILDWARDEN_MEMBER_ROLE_NAME: 'guard-member',
      BUILDWARDEN_REMEDIATION_ROLE_ARN: 'arn:aws:iam::123456789012:role/bw-on-change',
      BUILDWARDEN_DETACHABLE_POLICY_ARNS: 'arn:aws:iam::123456789012:policy/legacy',
    });

    // Act
    const options = changeOptionsOf(settings, NOW);

    // Assess
    expect(options).toEqual({
      now: NOW,
      ownRoleArns: ['arn:aws:iam::123456789012:role/bw-on-change'],
      memberRoleName: 'guard-member',
      remediableRoles: 'service-role/*',
      detachablePolicyArns: ['arn:aws:iam::123456789012:policy/legacy'],
      retentionDays: 90,
    });
  });

  it('names no member role and no own role in single-account mode without them', () => {
    // Act
    const options = changeOptionsOf(parseSettings({}), NOW);

    // Assess
    expect(options).toMatchObject({ ownRoleArns: [], memberRoleName: undefined, detachablePolicyArns: [] });
  });
});

/**
 * The TargetLister port's contract, run against the sandbox organization (lib/sandbox/targets.ts) and the
 * Organizations adapter (lib/aws/organizations.ts) over a simulated organization answered in small pages
 * (fake-organizations.ts): which accounts × Regions a deployment guards, and what the accounts are called.
 */
import { AwsTargetLister } from '../../lib/aws/organizations';
import { ConfigError } from '../../lib/errors';
import type { TargetLister } from '../../lib/ports';
import type { TargetSelection } from '../../lib/policy/organization-targets';
import { SandboxTargetLister, type SimulatedOrganization } from '../../lib/sandbox/targets';
import { fakeOrganizations } from './fake-organizations';

/** A root with two OUs (one nested), five accounts of which two are not ACTIVE. */
const ORGANIZATION: SimulatedOrganization = {
  rootId: 'r-examplerootid111',
  organizationalUnits: [
    { id: 'ou-examplerootid111-exampleouid111', parentId: 'r-examplerootid111' },
    { id: 'ou-examplerootid111-exampleouid222', parentId: 'ou-examplerootid111-exampleouid111' },
  ],
  accounts: [
    {
      id: '333333333333',
      name: 'Development Account',
      state: 'ACTIVE',
      parentId: 'ou-examplerootid111-exampleouid111',
    },
    { id: '111111111111', name: 'Master Account', state: 'ACTIVE', parentId: 'r-examplerootid111' },
    {
      id: '444444444444',
      name: 'Test Account',
      state: 'ACTIVE',
      parentId: 'ou-examplerootid111-exampleouid222',
    },
    { id: '555555555555', name: 'Suspended Account', state: 'SUSPENDED', parentId: 'r-examplerootid111' },
    {
      id: '666666666666',
      name: 'Closing Account',
      state: 'PENDING_CLOSURE',
      parentId: 'ou-examplerootid111-exampleouid222',
    },
  ],
};

type Open = (organization: SimulatedOrganization, selection: TargetSelection) => TargetLister;

const LISTERS: [string, Open][] = [
  ['sandbox', (organization, selection) => new SandboxTargetLister(organization, selection)],
  [
    'aws',
    (organization, selection) =>
      new AwsTargetLister({
        client: fakeOrganizations(organization).client,
        regions: selection.regions,
        accounts: selection.accounts,
        organizationalUnits: selection.organizationalUnits,
      }),
  ],
];

describe.each(LISTERS)('TargetLister contract: %s', (_name, open) => {
  it('guards every ACTIVE account × the Regions, accounts ascending, Regions as configured', async () => {
    const lister = open(ORGANIZATION, { regions: ['eu-west-1', 'us-east-1'] });

    await expect(lister.targets()).resolves.toEqual([
      { accountId: '111111111111', region: 'eu-west-1' },
      { accountId: '111111111111', region: 'us-east-1' },
      { accountId: '333333333333', region: 'eu-west-1' },
      { accountId: '333333333333', region: 'us-east-1' },
      { accountId: '444444444444', region: 'eu-west-1' },
      { accountId: '444444444444', region: 'us-east-1' },
    ]);
  });

  it('narrowed to an organizational unit, guards the ACTIVE accounts in it and in every OU below it', async () => {
    const lister = open(ORGANIZATION, {
      regions: ['us-east-1'],
      organizationalUnits: ['ou-examplerootid111-exampleouid111'],
    });

    await expect(lister.targets()).resolves.toEqual([
      { accountId: '333333333333', region: 'us-east-1' },
      { accountId: '444444444444', region: 'us-east-1' },
    ]);
  });

  it('narrowed to accounts, guards those that are still ACTIVE members only', async () => {
    const lister = open(ORGANIZATION, {
      regions: ['us-east-1'],
      accounts: ['444444444444', '555555555555', '999999999999'],
    });

    await expect(lister.targets()).resolves.toEqual([{ accountId: '444444444444', region: 'us-east-1' }]);
  });

  it('refuses an organizational unit that does not exist, naming the setting', async () => {
    const lister = open(ORGANIZATION, {
      regions: ['us-east-1'],
      organizationalUnits: ['ou-examplerootid111-missing00'],
    });

    const listing = lister.targets();

    await expect(listing).rejects.toBeInstanceOf(ConfigError);
    await expect(listing).rejects.toThrow('BUILDWARDEN_ORGANIZATIONAL_UNITS');
  });

  it('names an account of the organization, and nothing for another', async () => {
    const lister = open(ORGANIZATION, { regions: ['us-east-1'] });

    await expect(lister.accountName('333333333333')).resolves.toBe('Development Account');
    await expect(lister.accountName('999999999999')).resolves.toBeUndefined();
  });
});

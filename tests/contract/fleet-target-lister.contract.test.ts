/**
 * The TargetLister port's contract (which accounts and regions an organization-wide deployment guards, and
 * what each account is called), run against the sandbox fleet and the AWS Organizations adapter (what
 * `audit --org` lists on a live organization) over a simulated organization answered in small pages
 * (fake-organizations.ts), given the same organization: accounts 111111111111 (named payments-prod) and
 * 222222222222, each in eu-west-1 and us-east-1.
 */
import { AwsTargetLister } from '../../lib/aws/organizations';
import type { TargetLister } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { SandboxFleet } from '../../lib/sandbox/fleet';
import { generateAccount } from '../../lib/sandbox/generate';
import { fakeOrganizations } from './fake-organizations';

const ACCOUNTS = ['222222222222', '111111111111'];
const REGIONS = ['us-east-1', 'eu-west-1'];

const LISTERS: [string, () => TargetLister][] = [
  [
    'the sandbox fleet',
    () =>
      SandboxFleet.ofAccounts(
        ACCOUNTS.flatMap((accountId) =>
          REGIONS.map(
            (region) =>
              new SandboxAccount(
                generateAccount({ accountId, region, repositories: 1, projects: 0, roles: 0 }),
              ),
          ),
        ),
        { '111111111111': 'payments-prod' },
      ),
  ],
  [
    'the AWS Organizations adapter',
    () =>
      new AwsTargetLister({
        client: fakeOrganizations({
          rootId: 'r-examplerootid111',
          organizationalUnits: [],
          accounts: [
            { id: '222222222222', state: 'ACTIVE', parentId: 'r-examplerootid111' },
            { id: '111111111111', name: 'payments-prod', state: 'ACTIVE', parentId: 'r-examplerootid111' },
          ],
        }).client,
        regions: REGIONS,
      }),
  ],
];

describe.each(LISTERS)('TargetLister contract: %s', (_name, open) => {
  test('every account × region, accounts in ascending id order', async () => {
    // Prepare
    const lister = open();

    // Act
    const targets = await lister.targets();

    // Assess
    expect(targets.map((t) => t.accountId)).toEqual([
      '111111111111',
      '111111111111',
      '222222222222',
      '222222222222',
    ]);
    expect(new Set(targets.map((t) => `${t.accountId}/${t.region}`)).size).toBe(4);
    expect(
      targets
        .filter((t) => t.accountId === '111111111111')
        .map((t) => t.region)
        .sort(),
    ).toEqual(['eu-west-1', 'us-east-1']);
  });

  test("an account's name, and undefined for an account without one", async () => {
    // Prepare
    const lister = open();

    // Act
    const names = [await lister.accountName('111111111111'), await lister.accountName('222222222222')];

    // Assess
    expect(names).toEqual(['payments-prod', undefined]);
  });

  test('an account outside the organization has no name', async () => {
    // Prepare
    const lister = open();

    // Act
    const name = await lister.accountName('999999999999');

    // Assess
    expect(name).toBeUndefined();
  });
});

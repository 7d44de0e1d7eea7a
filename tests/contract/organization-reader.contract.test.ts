/**
 * The OrganizationReader port's contract, run against the sandbox account and the Organizations adapter (over
 * the documented DescribeOrganization answer): a member account, an account in no organization, and one whose
 * organization cannot be read.
 */
import { ACCOUNTS, closeAccounts } from './accounts';
import { world } from './world';

afterEach(closeAccounts);

describe.each(ACCOUNTS)('OrganizationReader contract: %s', (_name, open) => {
  it('names the organization of a member account', async () => {
    await expect(
      open(world({ organizationId: 'o-exampleorgid' })).organization.organizationId(),
    ).resolves.toBe('o-exampleorgid');
  });

  it('answers undefined for an account in no organization', async () => {
    await expect(
      open(world({ organizationId: null })).organization.organizationId(),
    ).resolves.toBeUndefined();
  });

  it('throws when the organization cannot be read', async () => {
    await expect(open(world()).organization.organizationId()).rejects.toBeInstanceOf(Error);
  });
});

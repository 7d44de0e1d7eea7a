/**
 * The OrganizationReader adapter over a mocked OrganizationsClient (the official DescribeOrganization example
 * response). The port's contract, which the adapter and the sandbox both pass, is
 * tests/contract/organization-reader.contract.test.ts.
 */
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
  type ListAccountsCommandOutput,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AwsOrganization,
  AwsTargetLister,
  organizationsActions,
  TARGETS_KEPT_MS,
  targetListerActions,
} from '../../../lib/aws/organizations';
import { awsSample } from '../../fixtures/load';

const organizationsMock = mockClient(OrganizationsClient);

/** DescribeOrganization as documented (Organizations API Reference / botocore example). */
const describeOrganizationSample = () =>
  awsSample<{ Organization: { Id: string } }>(
    'api-organizations-describe-organization.botocore-example.json',
  );

const notInUse = () =>
  new AWSOrganizationsNotInUseException({
    message: 'Your account is not a member of an organization.',
    $metadata: { httpStatusCode: 400 },
  });
const accessDenied = () =>
  new AccessDeniedException({
    message: 'You don’t have permissions to access this resource.',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => {
  organizationsMock.reset();
});

describe('AwsOrganization', () => {
  it('declares the one IAM action it calls', () => {
    expect(organizationsActions).toEqual(['organizations:DescribeOrganization']);
  });

  it('returns the organization id DescribeOrganization reports', async () => {
    // Prepare
    organizationsMock.on(DescribeOrganizationCommand).resolves(describeOrganizationSample());

    // Act
    const id = await new AwsOrganization().organizationId();

    // Assess
    expect(id).toBe('o-exampleorgid');
    expect(organizationsMock).toHaveReceivedCommandTimes(DescribeOrganizationCommand, 1);
    expect(organizationsMock).toHaveReceivedCommandWith(DescribeOrganizationCommand, {});
  });

  it('answers undefined when the account is not in an organization', async () => {
    // Prepare
    organizationsMock.on(DescribeOrganizationCommand).rejects(notInUse());

    // Act
    const id = await new AwsOrganization().organizationId();

    // Assess
    expect(id).toBeUndefined();
  });

  it('rethrows AccessDenied: the organization is then unknown, not absent', async () => {
    // Prepare
    organizationsMock.on(DescribeOrganizationCommand).rejects(accessDenied());

    // Act
    const read = new AwsOrganization().organizationId();

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('reads the organization once for every later question', async () => {
    // Prepare
    organizationsMock.on(DescribeOrganizationCommand).resolves(describeOrganizationSample());
    const reader = new AwsOrganization();

    // Act
    const ids = [await reader.organizationId(), await reader.organizationId()];

    // Assess
    expect(ids).toEqual(['o-exampleorgid', 'o-exampleorgid']);
    expect(organizationsMock).toHaveReceivedCommandTimes(DescribeOrganizationCommand, 1);
  });

  it('does not keep a failed read: the next question asks again', async () => {
    // Prepare
    organizationsMock
      .on(DescribeOrganizationCommand)
      .rejectsOnce(accessDenied())
      .resolves(describeOrganizationSample());
    const reader = new AwsOrganization();

    // Act
    await expect(reader.organizationId()).rejects.toThrow();
    const id = await reader.organizationId();

    // Assess
    expect(id).toBe('o-exampleorgid');
    expect(organizationsMock).toHaveReceivedCommandTimes(DescribeOrganizationCommand, 2);
  });

  it('refuses a response without an organization id', async () => {
    // Prepare
    organizationsMock.on(DescribeOrganizationCommand).resolves({});

    // Act
    const read = new AwsOrganization().organizationId();

    // Assess
    await expect(read).rejects.toThrow('DescribeOrganization returned no organization id');
  });
});

/** ListAccounts as documented (AWS CLI example list-accounts: four ACTIVE accounts, `Status` only). */
const listAccountsSample = () =>
  awsSample<ListAccountsCommandOutput>('api-organizations-list-accounts.aws-cli-example.json');

describe('AwsTargetLister', () => {
  it('declares the IAM actions it calls', () => {
    expect(targetListerActions).toEqual([
      'organizations:ListAccounts',
      'organizations:ListAccountsForParent',
      'organizations:ListOrganizationalUnitsForParent',
      'organizations:DescribeAccount',
    ]);
  });

  it('reads the ACTIVE accounts of the documented answer, which has only the retired Status field', async () => {
    // Prepare
    organizationsMock.on(ListAccountsCommand).resolves(listAccountsSample());

    // Act
    const targets = await new AwsTargetLister({ regions: ['us-east-1'] }).targets();

    // Assess
    expect(targets.map((t) => t.accountId)).toEqual([
      '111111111111',
      '222222222222',
      '333333333333',
      '444444444444',
    ]);
  });

  it('follows NextToken through every page, asking for the largest page Organizations allows', async () => {
    // Prepare
    const [first, second, ...rest] = listAccountsSample().Accounts!;
    organizationsMock
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [first!], NextToken: 'page-2' })
      // "might return fewer results than the maximum even when there are more": an empty page is not the end.
      .resolvesOnce({ Accounts: [], NextToken: 'page-3' })
      .resolvesOnce({ Accounts: [second!, ...rest] });

    // Act
    const targets = await new AwsTargetLister({ regions: ['us-east-1'] }).targets();

    // Assess
    expect(targets).toHaveLength(4);
    expect(organizationsMock).toHaveReceivedNthCommandWith(1, ListAccountsCommand, { MaxResults: 20 });
    expect(organizationsMock).toHaveReceivedNthCommandWith(2, ListAccountsCommand, {
      MaxResults: 20,
      NextToken: 'page-2',
    });
    expect(organizationsMock).toHaveReceivedNthCommandWith(3, ListAccountsCommand, {
      MaxResults: 20,
      NextToken: 'page-3',
    });
  });

  it('prefers State to Status: an account whose State is not ACTIVE is not guarded', async () => {
    // Prepare
    const [first] = listAccountsSample().Accounts!;
    organizationsMock.on(ListAccountsCommand).resolves({ Accounts: [{ ...first!, State: 'SUSPENDED' }] });

    // Act
    const targets = await new AwsTargetLister({ regions: ['us-east-1'] }).targets();

    // Assess
    expect(targets).toEqual([]);
  });

  it('defaults the Regions to the deployment’s own', async () => {
    // Prepare
    organizationsMock
      .on(ListAccountsCommand)
      .resolves({ Accounts: listAccountsSample().Accounts!.slice(0, 1) });

    // Act
    const targets = await new AwsTargetLister({ defaultRegion: async () => 'eu-central-1' }).targets();

    // Assess
    expect(targets).toEqual([{ accountId: '111111111111', region: 'eu-central-1' }]);
  });

  it('keeps a listing for a while, then reads the organization again', async () => {
    // Prepare
    organizationsMock.on(ListAccountsCommand).resolves(listAccountsSample());
    let now = 0;
    const lister = new AwsTargetLister({ regions: ['us-east-1'], now: () => now });

    // Act
    await lister.targets();
    now = TARGETS_KEPT_MS - 1;
    await lister.targets();
    const kept = organizationsMock.commandCalls(ListAccountsCommand).length;
    now = TARGETS_KEPT_MS;
    await lister.targets();

    // Assess
    expect(kept).toBe(1);
    expect(organizationsMock).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
  });

  it('does not keep a failed listing', async () => {
    // Prepare
    organizationsMock.on(ListAccountsCommand).rejectsOnce(accessDenied()).resolves(listAccountsSample());
    const lister = new AwsTargetLister({ regions: ['us-east-1'] });

    // Act
    await expect(lister.targets()).rejects.toThrow();
    const targets = await lister.targets();

    // Assess
    expect(targets).toHaveLength(4);
  });

  it('names a listed account from the listing, without DescribeAccount', async () => {
    // Prepare
    organizationsMock.on(ListAccountsCommand).resolves(listAccountsSample());
    const lister = new AwsTargetLister({ regions: ['us-east-1'] });
    await lister.targets();

    // Act
    const name = await lister.accountName('222222222222');

    // Assess
    expect(name).toBe('Production Account');
    expect(organizationsMock).not.toHaveReceivedCommand(DescribeAccountCommand);
  });

  it('names another account with DescribeAccount once, then from what it kept', async () => {
    // Prepare
    organizationsMock
      .on(DescribeAccountCommand)
      .resolves({ Account: { Id: '222222222222', Name: 'Production Account' } });
    const lister = new AwsTargetLister({ regions: ['us-east-1'] });

    // Act
    await lister.accountName('222222222222');
    const name = await lister.accountName('222222222222');

    // Assess
    expect(name).toBe('Production Account');
    expect(organizationsMock).toHaveReceivedCommandTimes(DescribeAccountCommand, 1);
    expect(organizationsMock).toHaveReceivedCommandWith(DescribeAccountCommand, {
      AccountId: '222222222222',
    });
  });

  it('answers no name when the account cannot be described: a name only decorates a notification', async () => {
    // Prepare
    organizationsMock.on(DescribeAccountCommand).rejects(accessDenied());

    // Act
    const name = await new AwsTargetLister({ regions: ['us-east-1'] }).accountName('222222222222');

    // Assess
    expect(name).toBeUndefined();
  });
});

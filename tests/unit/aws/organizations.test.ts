/**
 * The OrganizationReader port: the AWS adapter over a mocked OrganizationsClient (the official DescribeOrganization
 * example response), and one contract suite that the adapter and the sandbox both pass.
 */
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsOrganization, organizationsActions } from '../../../lib/aws/organizations';
import type { OrganizationReader } from '../../../lib/ports';
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { SandboxAccount } from '../../../lib/sandbox/account';
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

/** How each implementation of the port is put into one of the three states the contract covers. */
const implementations: [string, (state: 'member' | 'none' | 'unreadable') => OrganizationReader][] = [
  [
    'AwsOrganization',
    (state) => {
      const command = organizationsMock.on(DescribeOrganizationCommand);
      if (state === 'member') command.resolves(describeOrganizationSample());
      else command.rejects(state === 'none' ? notInUse() : accessDenied());
      return new AwsOrganization();
    },
  ],
  [
    'SandboxAccount',
    (state) =>
      new SandboxAccount(
        parseSnapshot(
          JSON.stringify({
            format: 'buildwarden-snapshot/1',
            accountId: '111111111111',
            region: 'us-east-1',
            ecr: { repositories: [] },
            codebuild: { projects: [] },
            iam: { roles: [], policies: [] },
            ...(state === 'member' ? { organizationId: 'o-exampleorgid' } : {}),
            ...(state === 'none' ? { organizationId: null } : {}),
          }),
        ),
      ).organization,
  ],
];

describe.each(implementations)('OrganizationReader contract: %s', (_name, given) => {
  it('names the organization of a member account', async () => {
    await expect(given('member').organizationId()).resolves.toBe('o-exampleorgid');
  });

  it('answers undefined for an account in no organization', async () => {
    await expect(given('none').organizationId()).resolves.toBeUndefined();
  });

  it('throws when the organization cannot be read', async () => {
    await expect(given('unreadable').organizationId()).rejects.toBeInstanceOf(Error);
  });
});

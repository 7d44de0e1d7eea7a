/**
 * IamIdentity.rolesUsingPolicy: ListEntitiesForPolicy with EntityFilter Role, every page (IAM pages with
 * IsTruncated and Marker), as the change handler reads it for a policy-version event. Response shapes follow
 * the IAM API (ListEntitiesForPolicyResponse: PolicyRoles [{RoleName, RoleId}], IsTruncated, Marker).
 */
import {
  IAMClient,
  ListEntitiesForPolicyCommand,
  NoSuchEntityException,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IamIdentity, iamPolicyUsageActions } from '../../../lib/aws/iam';

const iamMock = mockClient(IAMClient);
const POLICY_ARN = 'arn:aws:iam::123456789012:policy/legacy-ci-access';

beforeEach(() => {
  iamMock.reset();
});

describe('IamIdentity.rolesUsingPolicy', () => {
  it('asks for the roles of the policy only', async () => {
    // Prepare
    iamMock.on(ListEntitiesForPolicyCommand).resolves({ PolicyRoles: [], IsTruncated: false });

    // Act
    await new IamIdentity().rolesUsingPolicy(POLICY_ARN);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(ListEntitiesForPolicyCommand, {
      PolicyArn: POLICY_ARN,
      EntityFilter: 'Role',
    });
  });

  it('follows the Marker through every page and returns each role name once', async () => {
    // Prepare
    iamMock
      .on(ListEntitiesForPolicyCommand)
      .resolvesOnce({
        PolicyRoles: [
          { RoleName: 'legacy-build-role', RoleId: 'AROAEXAMPLEID00000001' },
          { RoleName: 'data-build-role', RoleId: 'AROAEXAMPLEID00000002' },
        ],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .resolvesOnce({
        PolicyRoles: [
          { RoleName: 'docs-build-role', RoleId: 'AROAEXAMPLEID00000003' },
          { RoleName: 'data-build-role', RoleId: 'AROAEXAMPLEID00000002' },
        ],
        IsTruncated: false,
      });

    // Act
    const roles = await new IamIdentity().rolesUsingPolicy(POLICY_ARN);

    // Assess
    expect(roles).toEqual(['legacy-build-role', 'data-build-role', 'docs-build-role']);
    expect(iamMock).toHaveReceivedCommandTimes(ListEntitiesForPolicyCommand, 2);
    expect(iamMock).toHaveReceivedNthCommandWith(2, ListEntitiesForPolicyCommand, {
      PolicyArn: POLICY_ARN,
      EntityFilter: 'Role',
      Marker: 'page-2',
    });
  });

  it('returns no role when the policy does not exist (NoSuchEntity)', async () => {
    // Prepare
    iamMock
      .on(ListEntitiesForPolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'Policy does not exist', $metadata: {} }));

    // Act
    const roles = await new IamIdentity().rolesUsingPolicy(POLICY_ARN);

    // Assess
    expect(roles).toEqual([]);
  });

  it('rethrows any other error, so Lambda retries', async () => {
    // Prepare
    iamMock
      .on(ListEntitiesForPolicyCommand)
      .rejects(new ServiceFailureException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new IamIdentity().rolesUsingPolicy(POLICY_ARN);

    // Assess
    await expect(reading).rejects.toThrow(ServiceFailureException);
  });

  it('declares exactly the action it calls', async () => {
    // Prepare
    iamMock.on(ListEntitiesForPolicyCommand).resolves({ PolicyRoles: [], IsTruncated: false });

    // Act
    await new IamIdentity().rolesUsingPolicy(POLICY_ARN);

    // Assess
    const sent = iamMock.calls().map((c) => `iam:${c.args[0].constructor.name.replace(/Command$/, '')}`);
    expect([...new Set(sent)]).toEqual([...iamPolicyUsageActions]);
  });
});

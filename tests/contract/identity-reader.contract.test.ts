/**
 * The IdentityReader port's contract (IAM's read side), run against the sandbox account and the IAM adapter:
 * the whole account across pages, one role with the managed policies it uses, the roles using a policy, and
 * how reads fail.
 */
import { defaultPolicyDocument } from '../../lib/policy/model';
import { ACCOUNTS, closeAccounts } from './accounts';
import { expectUnreadable } from './errors';
import { managedPolicy, policyArn, role, world } from './world';

afterEach(closeAccounts);

describe.each(ACCOUNTS)('IdentityReader contract: %s', (_name, open) => {
  describe('authorizationDetails', () => {
    test('lists every role and managed policy, across pages (GetAccountAuthorizationDetails MaxItems 1000)', async () => {
      // Prepare
      const roles = Array.from({ length: 1001 }, (_, i) => role(`build-role-${i}`));
      const policies = [managedPolicy('team-boundary'), managedPolicy('team-read')];
      const account = open(world({ roles, policies }));

      // Act
      const read = await account.identity.authorizationDetails();

      // Assess
      expect(read.roles.length).toBe(1001);
      expect(new Set(read.roles.map((r) => r.RoleName))).toEqual(new Set(roles.map((r) => r.RoleName)));
      expect(read.roles.find((r) => r.RoleName === 'build-role-1000')).toEqual(roles[1000]);
      expect(read.policies).toEqual(policies);
    });

    test('an account whose IAM data the caller may not read fails as unreadable, naming the call', async () => {
      // Prepare
      const account = open(
        world({
          iamUnreadable: {
            call: 'iam:GetAccountAuthorizationDetails',
            error: 'AccessDenied: not authorized to perform: iam:GetAccountAuthorizationDetails',
          },
        }),
      );

      // Act
      const read = account.identity.authorizationDetails();

      // Assess
      await expectUnreadable(read, 'iam:GetAccountAuthorizationDetails', {
        kind: 'forbidden',
        aws: 'AccessDenied',
      });
    });
  });

  describe('role', () => {
    test('reads one role with its inline and attached policies, its boundary, and the managed policies they use', async () => {
      // Prepare
      const stored = role('web-build-role', {
        AttachedManagedPolicies: [{ PolicyName: 'team-read', PolicyArn: policyArn('team-read') }],
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: policyArn('team-boundary'),
        },
      });
      const policies = [managedPolicy('team-boundary'), managedPolicy('team-read'), managedPolicy('unused')];
      const account = open(world({ roles: [stored], policies }));

      // Act
      const read = await account.identity.role('web-build-role');

      // Assess
      expect(read?.role).toEqual(stored);
      expect(
        read?.policies
          .map((p) => ({ arn: p.Arn, document: defaultPolicyDocument(p) }))
          .sort((a, b) => a.arn.localeCompare(b.arn)),
      ).toEqual(policies.slice(0, 2).map((p) => ({ arn: p.Arn, document: defaultPolicyDocument(p) })));
    });

    test('a managed policy that no longer exists is left out of the policies the role uses', async () => {
      // Prepare
      const stored = role('web-build-role', {
        AttachedManagedPolicies: [{ PolicyName: 'deleted', PolicyArn: policyArn('deleted') }],
      });

      // Act
      const read = await open(world({ roles: [stored] })).identity.role('web-build-role');

      // Assess
      expect(read?.role.AttachedManagedPolicies).toEqual(stored.AttachedManagedPolicies);
      expect(read?.policies).toEqual([]);
    });

    test('a role that does not exist is undefined', async () => {
      // Act
      const read = await open(world({ roles: [role('web-build-role')] })).identity.role('gone-role');

      // Assess
      expect(read).toBeUndefined();
    });
  });

  describe('rolesUsingPolicy', () => {
    test('names every role using a policy, as a permissions policy or a boundary, across pages (MaxItems 100)', async () => {
      // Prepare
      const arn = policyArn('team-read');
      const attached = Array.from({ length: 150 }, (_, i) =>
        role(`attached-${i}`, { AttachedManagedPolicies: [{ PolicyName: 'team-read', PolicyArn: arn }] }),
      );
      const bounded = role('bounded', {
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: arn,
        },
      });
      const account = open(
        world({ roles: [...attached, bounded, role('unrelated')], policies: [managedPolicy('team-read')] }),
      );

      // Act
      const names = await account.identity.rolesUsingPolicy(arn);

      // Assess
      expect(names.sort()).toEqual([...attached.map((r) => r.RoleName), 'bounded'].sort());
    });

    test('a policy that does not exist is used by no role', async () => {
      // Act
      const names = await open(world({ roles: [role('web-build-role')] })).identity.rolesUsingPolicy(
        policyArn('deleted'),
      );

      // Assess
      expect(names).toEqual([]);
    });
  });
});

/** The sandbox's IdentityReader: IAM's read side, whole account or one role. */
import { UnreadableError, type IdentityReader } from '../ports';
import { defaultPolicyDocument, type ManagedPolicy, type Role } from '../policy/model';
import { IAM_DEFAULT_PAGE } from '../policy/aws-facts';
import { simulatedAwsError, type SandboxState } from './state';

export class SandboxIdentity implements IdentityReader {
  constructor(private readonly state: SandboxState) {}

  async authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }> {
    await this.state.call('iam:GetAccountAuthorizationDetails');
    this.failIfIamUnreadable();
    return structuredClone({
      roles: this.state.snapshot.iam.roles,
      policies: this.state.snapshot.iam.policies,
    });
  }

  /**
   * Per-role reads in the IAM adapter's rounds: GetRole, ListRolePolicies and ListAttachedRolePolicies
   * together; then GetRolePolicy and GetPolicy; then GetPolicyVersion. A role that does not exist is
   * undefined whatever the lists said; otherwise the first failure in call order is raised.
   */
  async role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined> {
    const find = () => this.state.snapshot.iam.roles.find((r) => r.RoleName === name);
    // IAM answers NoSuchEntity to the lists of a role that does not exist.
    const noSuchEntity = () =>
      simulatedAwsError('NoSuchEntityException', `The role with name ${name} cannot be found.`);
    const getRole = (async () => {
      await this.state.call('iam:GetRole');
      this.failIfIamUnreadable();
      return find();
    })();
    const inline = async () => {
      await this.state.call('iam:ListRolePolicies');
      this.failIfIamUnreadable();
      const role = find();
      if (!role) throw noSuchEntity();
      await Promise.all(role.RolePolicyList.map(() => this.state.call('iam:GetRolePolicy')));
    };
    const policy = async (arn: string): Promise<ManagedPolicy | undefined> => {
      await this.state.call('iam:GetPolicy');
      const found = this.state.snapshot.iam.policies.find((p) => p.Arn === arn);
      if (!found || !(defaultPolicyDocument(found) || found.unreadable)) return undefined;
      await this.state.call('iam:GetPolicyVersion');
      return found;
    };
    const managed = async (): Promise<ManagedPolicy[]> => {
      await this.state.call('iam:ListAttachedRolePolicies');
      this.failIfIamUnreadable();
      const role = find();
      if (!role) throw noSuchEntity();
      const attached = [...new Set(role.AttachedManagedPolicies.map((p) => p.PolicyArn))];
      const [read, bound] = await Promise.all([
        Promise.all(attached.map(policy)),
        getRole.then((found) => {
          const arn = found?.PermissionsBoundary?.PermissionsBoundaryArn;
          return arn && !attached.includes(arn) ? policy(arn) : undefined;
        }),
      ]);
      return [...read, bound].filter((p): p is ManagedPolicy => p !== undefined);
    };
    const [role, inlineRead, policies] = await Promise.allSettled([getRole, inline(), managed()]);
    if (role.status === 'rejected') throw role.reason;
    if (!role.value) return undefined;
    if (inlineRead.status === 'rejected') throw inlineRead.reason;
    if (policies.status === 'rejected') throw policies.reason;
    return structuredClone({ role: role.value, policies: policies.value });
  }

  /** ListEntitiesForPolicy with EntityFilter Role: one page of at most 100 roles per call, as IAM's default. */
  async rolesUsingPolicy(policyArn: string): Promise<string[]> {
    const names = this.state.snapshot.iam.roles
      .filter(
        (r) =>
          r.AttachedManagedPolicies.some((p) => p.PolicyArn === policyArn) ||
          r.PermissionsBoundary?.PermissionsBoundaryArn === policyArn,
      )
      .map((r) => r.RoleName);
    for (let page = 0; page === 0 || page * IAM_DEFAULT_PAGE < names.length; page++) {
      await this.state.call('iam:ListEntitiesForPolicy');
    }
    return names;
  }

  /** A snapshot whose IAM data could not be read fails every IAM read the same way. */
  private failIfIamUnreadable(): void {
    const unreadable = this.state.snapshot.iam.unreadable;
    if (unreadable) throw new UnreadableError(unreadable.call, unreadable.error);
  }
}

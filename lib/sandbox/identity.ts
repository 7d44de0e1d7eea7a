/** The sandbox's IdentityReader: IAM's read side, whole account or one role. */
import { UnreadableError, type IdentityReader } from '../ports';
import { defaultPolicyDocument, type ManagedPolicy, type Role } from '../policy/model';
import { IAM_DEFAULT_PAGE } from '../policy/aws-facts';
import type { SandboxState } from './state';

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
   * Per-role reads, as the live adapter makes them for a single role, in its rounds: GetRole; then
   * ListRolePolicies and ListAttachedRolePolicies together; then GetRolePolicy and GetPolicy; then
   * GetPolicyVersion.
   */
  async role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined> {
    await this.state.call('iam:GetRole');
    this.failIfIamUnreadable();
    const role = this.state.snapshot.iam.roles.find((r) => r.RoleName === name);
    if (!role) return undefined;
    const arns = [
      ...role.AttachedManagedPolicies.map((p) => p.PolicyArn),
      ...(role.PermissionsBoundary ? [role.PermissionsBoundary.PermissionsBoundaryArn] : []),
    ];
    const inline = async () => {
      await this.state.call('iam:ListRolePolicies');
      await Promise.all(role.RolePolicyList.map(() => this.state.call('iam:GetRolePolicy')));
    };
    const managed = async (): Promise<ManagedPolicy[]> => {
      await this.state.call('iam:ListAttachedRolePolicies');
      const read = await Promise.all(
        [...new Set(arns)].map(async (arn) => {
          await this.state.call('iam:GetPolicy');
          const policy = this.state.snapshot.iam.policies.find((p) => p.Arn === arn);
          if (!policy || !(defaultPolicyDocument(policy) || policy.unreadable)) return undefined;
          await this.state.call('iam:GetPolicyVersion');
          return policy;
        }),
      );
      return read.filter((p): p is ManagedPolicy => p !== undefined);
    };
    const [, policies] = await Promise.all([inline(), managed()]);
    return structuredClone({ role, policies });
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

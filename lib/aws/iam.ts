/**
 * IAM adapter (read side). Whole-account reads use GetAccountAuthorizationDetails (roles with inline
 * policies, attachments and boundaries, plus the managed policies in use) instead of 3–5 calls per role.
 */
import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListEntitiesForPolicy,
  paginateListRolePolicies,
  type ManagedPolicyDetail,
  type RoleDetail,
} from '@aws-sdk/client-iam';
import { UnreadableError, type IdentityReader } from '../ports';
import { IAM_PAGE_MAX } from '../policy/aws-facts';
import {
  managedPolicySchema,
  roleSchema,
  unreadableManagedPolicy,
  unreadableRole,
  type ManagedPolicy,
  type Role,
} from '../policy/model';
import { iamClient } from './clients';
import { isAwsError } from './common';

export const iamReadActions = ['iam:GetAccountAuthorizationDetails'] as const;

/** Single-role reads (event handling): 3–5 calls per role instead of the whole account. */
export const iamRoleReadActions = [
  'iam:GetRole',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
] as const;

/** Which roles use a managed policy (a policy-version event); only the change handler needs it. */
export const iamPolicyUsageActions = ['iam:ListEntitiesForPolicy'] as const;

/** Dates become ISO strings; URL-encoded policy documents are decoded by the schema. */
function viaJson<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A RoleDetail as a Role. A detail that does not fit (a field buildwarden depends on missing or malformed)
 * becomes an unreadable role naming the field: its rules say not-visible, the rest of the read goes on.
 */
export function toRole(r: RoleDetail, call = 'iam:GetAccountAuthorizationDetails'): Role {
  const raw = viaJson(r);
  const parsed = roleSchema().safeParse(raw);
  return parsed.success ? parsed.data : unreadableRole(raw, call, parsed.error);
}

/** A ManagedPolicyDetail as a ManagedPolicy; one that does not fit makes only the roles using it not-visible. */
export function toManagedPolicy(
  p: ManagedPolicyDetail,
  call = 'iam:GetAccountAuthorizationDetails',
): ManagedPolicy {
  const raw = viaJson(p);
  const parsed = managedPolicySchema().safeParse(raw);
  return parsed.success ? parsed.data : unreadableManagedPolicy(raw, call, parsed.error);
}

export class IamIdentity implements IdentityReader {
  constructor(private readonly client: IAMClient = iamClient()) {}

  async authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }> {
    const roles: Role[] = [];
    const policies: ManagedPolicy[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client
        .send(
          new GetAccountAuthorizationDetailsCommand({
            Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
            MaxItems: IAM_PAGE_MAX,
            ...(marker ? { Marker: marker } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw UnreadableError.from('iam:GetAccountAuthorizationDetails', error);
        });
      roles.push(...(out.RoleDetailList ?? []).map((r) => toRole(r)));
      policies.push(...(out.Policies ?? []).map((p) => toManagedPolicy(p)));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return { roles, policies };
  }

  /**
   * One role and the managed policies it uses, in three rounds: GetRole, ListRolePolicies and
   * ListAttachedRolePolicies together (the lists need only the name); then each inline policy (GetRolePolicy)
   * and each managed policy (GetPolicy); then each managed policy's default version. A role that does not
   * exist is undefined, whatever the lists said; otherwise the first failure in call order is raised.
   */
  async role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined> {
    const getRole = this.client.send(new GetRoleCommand({ RoleName: name })).then(
      (out) => out.Role,
      (error: unknown) => {
        if (isAwsError(error, 'NoSuchEntityException')) return undefined;
        throw error;
      },
    );
    const managed = async () => {
      const attached = await this.attachedPolicies(name);
      const attachedArns = [...new Set(attached.map((p) => p.PolicyArn))];
      const [read, bound] = await Promise.all([
        Promise.all(attachedArns.map((arn) => this.managedPolicy(arn))),
        // The boundary is known from GetRole only: its policy is read as soon as both have answered.
        getRole.then((found) => {
          const arn = found?.PermissionsBoundary?.PermissionsBoundaryArn;
          return arn && !attachedArns.includes(arn) ? this.managedPolicy(arn) : undefined;
        }),
      ]);
      const policies = [...read, bound].filter((p): p is ManagedPolicy => !!p);
      return { attached, policies };
    };
    const [found, inline, used] = await Promise.allSettled([getRole, this.inlinePolicies(name), managed()]);
    if (found.status === 'rejected') throw found.reason;
    if (!found.value) return undefined;
    if (inline.status === 'rejected') throw inline.reason;
    if (used.status === 'rejected') throw used.reason;
    const role = toRole(
      {
        ...found.value,
        RolePolicyList: inline.value,
        AttachedManagedPolicies: used.value.attached,
      } as RoleDetail,
      'iam:GetRole',
    );
    return { role, policies: used.value.policies };
  }

  /** A role's inline policies: their names (ListRolePolicies), then each document (GetRolePolicy), together. */
  private async inlinePolicies(name: string): Promise<{ PolicyName: string; PolicyDocument: string }[]> {
    const inlineNames: string[] = [];
    for await (const page of paginateListRolePolicies({ client: this.client }, { RoleName: name })) {
      inlineNames.push(...(page.PolicyNames ?? []));
    }
    return Promise.all(
      inlineNames.map(async (PolicyName) => {
        const out = await this.client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName }));
        return { PolicyName, PolicyDocument: out.PolicyDocument ?? '{}' };
      }),
    );
  }

  /** The managed policies attached to a role (ListAttachedRolePolicies). */
  private async attachedPolicies(name: string): Promise<{ PolicyName: string; PolicyArn: string }[]> {
    const attached: { PolicyName: string; PolicyArn: string }[] = [];
    for await (const page of paginateListAttachedRolePolicies({ client: this.client }, { RoleName: name })) {
      for (const p of page.AttachedPolicies ?? [])
        attached.push({ PolicyName: p.PolicyName ?? '', PolicyArn: p.PolicyArn ?? '' });
    }
    return attached;
  }

  async rolesUsingPolicy(policyArn: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const page of paginateListEntitiesForPolicy(
        { client: this.client },
        { PolicyArn: policyArn, EntityFilter: 'Role' },
      )) {
        for (const role of page.PolicyRoles ?? []) if (role.RoleName) names.push(role.RoleName);
      }
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException')) return [];
      throw error;
    }
    return [...new Set(names)];
  }

  /** A managed policy with its default version's document; undefined when it is gone. */
  private async managedPolicy(arn: string): Promise<ManagedPolicy | undefined> {
    try {
      const policy = (await this.client.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
      if (!policy?.DefaultVersionId) return undefined;
      const version = (
        await this.client.send(
          new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId }),
        )
      ).PolicyVersion;
      return toManagedPolicy(
        {
          ...policy,
          PolicyVersionList: [
            {
              Document: version?.Document ?? '{}',
              VersionId: policy.DefaultVersionId,
              IsDefaultVersion: true,
            },
          ],
        },
        'iam:GetPolicyVersion',
      );
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntityException')) return undefined;
      throw error;
    }
  }
}

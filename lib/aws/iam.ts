/**
 * IAM adapter (read side). Whole-account reads use GetAccountAuthorizationDetails (roles with inline
 * policies, attachments and boundaries, plus the managed policies in use) instead of 3–5 calls per role.
 */
import {
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  type ManagedPolicyDetail,
  type RoleDetail,
} from '@aws-sdk/client-iam';
import type { IdentityReader } from '../ports';
import { managedPolicySchema, roleSchema, type ManagedPolicy, type Role } from '../policy/model';
import { clientConfig } from './common';

export const iamReadActions = ['iam:GetAccountAuthorizationDetails'] as const;

const iam = new IAMClient(clientConfig);

/** The largest page GetAccountAuthorizationDetails allows. */
export const AUTHORIZATION_DETAILS_PAGE = 1000;

/** Dates become ISO strings; URL-encoded policy documents are decoded by the schema. */
function viaJson<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function toRole(r: RoleDetail): Role {
  return roleSchema.parse(viaJson(r));
}

export function toManagedPolicy(p: ManagedPolicyDetail): ManagedPolicy {
  return managedPolicySchema.parse(viaJson(p));
}

export class IamIdentity implements IdentityReader {
  constructor(private readonly client: IAMClient = iam) {}

  async authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }> {
    const roles: Role[] = [];
    const policies: ManagedPolicy[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
          MaxItems: AUTHORIZATION_DETAILS_PAGE,
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      roles.push(...(out.RoleDetailList ?? []).map(toRole));
      policies.push(...(out.Policies ?? []).map(toManagedPolicy));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return { roles, policies };
  }
}

/**
 * AWS Organizations adapter: the organization of the account, read once. Statements limited to it by
 * aws:PrincipalOrgID / aws:PrincipalOrgPaths are the standard way to share images across an organization.
 */
import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OrganizationReader } from '../ports';
import { organizationsClient } from './clients';
import { isAwsError } from './common';

/** DescribeOrganization supports only the `*` resource. */
export const organizationsActions = ['organizations:DescribeOrganization'] as const;

export class AwsOrganization implements OrganizationReader {
  /** An account's organization does not change under a running function: one successful read is kept. */
  private read: Promise<string | undefined> | undefined;

  constructor(private readonly client: OrganizationsClient = organizationsClient()) {}

  organizationId(): Promise<string | undefined> {
    this.read ??= this.describe().catch((error: unknown) => {
      this.read = undefined; // a failure is not kept: the next invocation asks again
      throw error;
    });
    return this.read;
  }

  private async describe(): Promise<string | undefined> {
    try {
      const { Organization } = await this.client.send(new DescribeOrganizationCommand({}));
      if (!Organization?.Id) throw new Error('DescribeOrganization returned no organization id');
      return Organization.Id;
    } catch (error) {
      // "Your account is not a member of an organization."
      if (isAwsError(error, 'AWSOrganizationsNotInUseException')) return undefined;
      throw error;
    }
  }
}

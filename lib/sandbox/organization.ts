/** The sandbox's OrganizationReader: the snapshot's `organizationId`. */
import type { OrganizationReader } from '../ports';
import { ORGANIZATION_NOT_CAPTURED } from '../policy/snapshot';
import { simulatedAwsError, type SandboxState } from './state';

export class SandboxOrganization implements OrganizationReader {
  constructor(private readonly state: SandboxState) {}

  /**
   * The snapshot's `organizationId`: an id, null (in no organization, as AWSOrganizationsNotInUseException says)
   * or absent (not captured, which reads like a call that was refused).
   */
  async organizationId(): Promise<string | undefined> {
    await this.state.call('organizations:DescribeOrganization');
    const id = this.state.snapshot.organizationId;
    if (id === undefined) throw simulatedAwsError('OrganizationNotCapturedError', ORGANIZATION_NOT_CAPTURED);
    return id ?? undefined;
  }
}

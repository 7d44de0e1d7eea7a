/** The account's own organization as the account view records it: read once, never guessed. */
import type { OrganizationReader } from '../ports';
import type { AccountView } from '../policy/rules/types';
import { describeError } from './errors';

export type OrganizationFacts = Pick<AccountView, 'organizationId' | 'organizationUnreadable'>;

/**
 * The organization id (null: the account is in none), or why it could not be read. A failed read is not an
 * error of the use case: the repository-policy rule then reports organization-limited statements and leaves
 * them in place.
 */
export async function readOrganization(reader: OrganizationReader | undefined): Promise<OrganizationFacts> {
  if (!reader) return { organizationUnreadable: 'it was not read' };
  try {
    return { organizationId: (await reader.organizationId()) ?? null };
  } catch (error) {
    return { organizationUnreadable: describeError(error) };
  }
}

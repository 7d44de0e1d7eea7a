/**
 * The roles the change handler may write to (`remediableRoles`): a `service-role/*` style pattern over the path
 * and name of a role, the same pattern the template's IAM grant uses as resource. Kept apart from the
 * remediation planner so the runtime configuration can name the default without loading the planner.
 */
import { matchesWildcard } from './wildcard';

/** The template's default `remediableRoles`: the path CodeBuild's console creates service roles under. */
export const DEFAULT_REMEDIABLE_ROLES = 'service-role/*';

/**
 * Whether a role is inside the pattern (path and name after `role/` of the role ARN, `*` any run of
 * characters, case-sensitive as IAM ARN matching is). A role ARN that cannot be read is outside.
 */
export function isRemediableRole(roleArn: string, pattern: string): boolean {
  const at = roleArn.indexOf(':role/');
  if (!roleArn.startsWith('arn:') || at < 0) return false;
  return matchesWildcard(roleArn.slice(at + ':role/'.length), pattern);
}

/**
 * How buildwarden names and tags the resources of a managed build project: derived from the repository name,
 * so that the repository, its CodeBuild project and its service role find one another. Pure.
 */
import { DOCKER_BUILD_TAG } from '../rules/codebuild/privileged-mode';
import { REPOSITORY_TAG } from '../target-repository';

/** Set by the project itself: the default buildspec and target-repository resolution read them. */
export const PROJECT_VARIABLES = ['AWS_ACCOUNT_ID', 'IMAGE_REPO_NAME', 'REPOSITORY_URI'] as const;

/** The tag on every resource buildwarden creates. */
export const MANAGED_TAG = { key: 'managed-by', value: 'buildwarden' } as const;
/**
 * The token of the request that created a resource: a rollback deletes only what carries its own request's
 * token, so a request that loses a race never removes what a concurrent one created.
 */
export const REQUEST_TOKEN_TAG = 'buildwarden:request';

export const ROLE_NAME_PREFIX = 'buildwarden-';
export const ROLE_PATH = '/service-role/';
/**
 * The build role's one inline policy. Deliberately not remediation's PUSH_POLICY_NAME, so a later
 * role-can-push fix adds its own policy beside this one instead of rewriting it.
 */
export const BUILD_POLICY_NAME = 'buildwarden-build';

/** `team/app` → `team-app`: a CodeBuild project name has no `/`. */
export function projectNameOf(repositoryName: string): string {
  return repositoryName.replaceAll('/', '-');
}

export function roleNameOf(repositoryName: string): string {
  return `${ROLE_NAME_PREFIX}${projectNameOf(repositoryName)}`;
}

/** Tags buildwarden sets on every managed project itself: not part of the spec a team asked for. */
export const MANAGED_TAG_KEYS = new Set<string>([
  MANAGED_TAG.key,
  DOCKER_BUILD_TAG,
  REPOSITORY_TAG,
  REQUEST_TOKEN_TAG,
]);

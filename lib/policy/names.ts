/** AWS name patterns shared by the event parsers and the gate API (kept apart: importing them costs nothing). */

/** ECR's repository-name pattern (botocore RepositoryName), 2–256 characters. */
export const REPOSITORY_NAME =
  /^(?=.{2,256}$)[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/**
 * The AWS exceptions buildwarden gives a meaning to, translated into domain errors (lib/errors.ts) here and
 * only here: use cases branch on the domain classes, never on AWS exception names or message text. The
 * translated error keeps the AWS error as its `cause`, so a reason built from it reads as before
 * (`describeFailure`). An error not listed is returned as it is: nobody expects it, and it propagates.
 *
 * The sandbox (lib/sandbox) raises its simulated AWS errors through the same translation at the same calls, so
 * the use cases meet the same domain errors on both. No SDK import: names are compared as the SDK sets them.
 */
import { AlreadyExistsError, NotFoundError, RoleNotAssumableYetError } from '../errors';

/** What each "does not exist" exception is about (`NotFoundError.resource`). */
const NOT_FOUND: Readonly<Record<string, string>> = {
  RepositoryNotFoundException: 'repository',
  ImageNotFoundException: 'image',
  ScanNotFoundException: 'scan',
  // IAM: a role, a policy, an attachment.
  NoSuchEntityException: 'entity',
  // CodeBuild (a project), DynamoDB (a table).
  ResourceNotFoundException: 'resource',
  // S3: the reports bucket.
  NoSuchBucket: 'bucket',
  // S3 GetObject: no object under that key.
  NoSuchKey: 'object',
};

/** A create call that met a resource of that name. */
const ALREADY_EXISTS: ReadonlySet<string> = new Set([
  'RepositoryAlreadyExistsException',
  'EntityAlreadyExistsException',
  'ResourceAlreadyExistsException',
]);

/**
 * CodeBuild's answer while IAM has not yet propagated a just-created service role: InvalidInputException
 * "CodeBuild is not authorized to perform: sts:AssumeRole on service role".
 */
function isRolePropagation(error: Error): boolean {
  return error.name === 'InvalidInputException' && /sts:AssumeRole|not authorized/i.test(error.message);
}

/** The domain error an AWS error stands for, or the error itself when it has no meaning here. */
export function translateAwsError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const resource = NOT_FOUND[error.name];
  if (resource) return new NotFoundError(error.message, { resource, cause: error });
  if (ALREADY_EXISTS.has(error.name)) return new AlreadyExistsError(error.message, { cause: error });
  if (isRolePropagation(error)) return new RoleNotAssumableYetError(error.message, { cause: error });
  return error;
}

/** Runs an AWS call, translating what it throws. */
export async function translated<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(error);
  }
}

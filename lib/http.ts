/**
 * The HTTP API's one error mapping: client mistakes become 4xx with a clear message; anything else is a
 * generic 500 carrying the request id, never internals.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from './logger';
import { InvalidInputError } from './policy/validation';
import {
  ConcurrentProvisioningError,
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RegistryCoverageError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from './usecases/provisioning-errors';

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export interface HttpResult {
  status: number;
  body: unknown;
}

function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function httpHandler(route: (event: APIGatewayProxyEventV2) => Promise<HttpResult>) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Pick<Context, 'awsRequestId'>,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
    try {
      const result = await route(event);
      return json(result.status, result.body);
    } catch (error) {
      if (error instanceof InvalidInputError) {
        return json(400, { message: 'invalid request', problems: error.problems, requestId });
      }
      if (error instanceof NotFoundError || error instanceof ProjectNotFoundError) {
        return json(404, { message: error.message, requestId });
      }
      if (error instanceof ProjectConflictError) {
        return json(409, { message: error.message, differences: error.differences, requestId });
      }
      if (error instanceof RepositoryNotEmptyError) {
        return json(409, {
          message: `${error.message}: repeat with ?force=true to delete them too`,
          requestId,
        });
      }
      if (
        error instanceof NotManagedError ||
        error instanceof ConcurrentProvisioningError ||
        error instanceof RegistryCoverageError
      ) {
        return json(409, { message: error.message, requestId });
      }
      if (error instanceof ProvisioningFailedError) {
        // Which step failed and what is left is the caller's business; the AWS error text is not.
        logger.error('provisioning failed', {
          requestId,
          step: error.step,
          reason: error.reason,
          leftovers: error.leftovers,
        });
        return json(500, {
          message: error.message,
          step: error.step,
          leftovers: error.leftovers,
          ...(error instanceof RepairFailedError ? { repaired: error.repaired } : {}),
          requestId,
        });
      }
      logger.error('request failed', { requestId, error: error as Error });
      return json(500, { message: 'internal error', requestId });
    }
  };
}

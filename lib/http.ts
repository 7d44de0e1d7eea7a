/**
 * The HTTP API's one error mapping, by error kind (lib/errors.ts): client mistakes and refusals become 4xx
 * with a clear message and their public details; an upstream failure a 500 with what the caller can do (the
 * service's error text is logged, not returned); anything else a generic 500 carrying the request id, never
 * internals.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError, InvalidInputError, describeFailure, kindOf, type ErrorKind } from './errors';
import { logger } from './logger';

export { NotFoundError } from './errors';

export interface HttpResult {
  status: number;
  body: unknown;
}

/** The status of each kind; `internal` never shows its message. */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  'invalid-input': 400,
  'not-found': 404,
  conflict: 409,
  forbidden: 403,
  upstream: 500,
  internal: 500,
};

function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The response to a failed request. */
export function errorResponse(error: unknown, requestId: string): APIGatewayProxyStructuredResultV2 {
  const kind = kindOf(error);
  if (!(error instanceof DomainError) || kind === 'internal') {
    logger.error('request failed', { requestId, error: error as Error });
    return json(HTTP_STATUS.internal, { message: 'internal error', requestId });
  }
  if (error instanceof InvalidInputError || kind === 'invalid-input') {
    const problems = error instanceof InvalidInputError ? error.problems : [error.message];
    return json(HTTP_STATUS['invalid-input'], { message: 'invalid request', problems, requestId });
  }
  if (kind === 'upstream') {
    // What failed and what is left is the caller's business; the service's error text is not.
    const reason =
      'reason' in error && typeof error.reason === 'string' ? error.reason : describeFailure(error);
    logger.error('request failed upstream', { requestId, error: error.name, reason, ...error.details });
  }
  const message = error.override
    ? `${error.message}: repeat with ?${error.override.option}=true to ${error.override.effect}`
    : error.message;
  return json(HTTP_STATUS[kind], { message, ...error.details, requestId });
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
      return errorResponse(error, requestId);
    }
  };
}

/**
 * The HTTP API's one error mapping: client mistakes become 4xx with a clear message; anything else is a
 * generic 500 carrying the request id, never internals.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from './logger';
import { InvalidInputError } from './policy/validation';

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(
    message: string,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'ConflictError';
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
      if (error instanceof InvalidInputError)
        return json(400, { message: 'invalid request', problems: error.problems, requestId });
      if (error instanceof NotFoundError) return json(404, { message: error.message, requestId });
      if (error instanceof ConflictError)
        return json(409, { message: error.message, details: error.details, requestId });
      logger.error('request failed', { requestId, error: error as Error });
      return json(500, { message: 'internal error', requestId });
    }
  };
}

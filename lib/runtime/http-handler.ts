/**
 * The skeleton of every HTTP API function, written once: route by the API's route key (http-router), parse
 * the request (json-body-parser and path decoding, with the nesting bound), run the use case with the
 * function's deps (lib/runtime/lambda.ts), and map errors by kind in one place (error-handler): client
 * mistakes and refusals become 4xx with a clear message and their public details; an upstream failure a 500
 * with what the caller can do (the service's error text is logged, not returned); anything else a generic
 * 500 carrying the request id, never internals.
 *
 * Those three are middy's; middy is not a dependency here, and the skeleton is the few lines of theirs this
 * code uses — see ARCHITECTURE.md for why.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  DomainError,
  InvalidInputError,
  NotFoundError,
  describeFailure,
  kindOf,
  type ErrorKind,
} from '../errors';
import { logger } from '../logger';
import { jsonNestingProblem } from '../policy/nesting';
import type { Deps, Need } from './compose';
import { beginInvocation, functionConfig, invoke, type FunctionShape, type Invocation } from './lambda';

export interface HttpResult {
  status: number;
  body: unknown;
}

/** The request as a route parses it. */
export interface HttpRequest {
  event: APIGatewayProxyEventV2;
  /** The JSON body; a missing, malformed or too deeply nested one is InvalidInputError naming `body`. */
  json(): unknown;
  /** A path parameter as sent (`''` when absent). */
  rawPath(name: string): string;
  /** A path parameter, each `/`-separated segment percent-decoded; bad encoding is InvalidInputError. */
  decodedPath(name: string, field: string): string;
  /** A query string parameter as sent. */
  query(name: string): string | undefined;
}

/** One route: parse the request (before any AWS call), then run the use case. */
export interface Route<N extends readonly Need[], I> {
  parse: (request: HttpRequest) => I;
  run: (input: I, deps: Deps<N>, invocation: Invocation) => Promise<HttpResult>;
}

export interface HttpFunction<N extends readonly Need[]> extends FunctionShape<N> {
  /** By route key, as the HTTP API names them (`POST /projects`, `GET /projects/{proxy+}`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each route has its own input type
  routes: Record<string, Route<N, any>>;
}

/** A route, its input type inferred from `parse`. */
export function route<const N extends readonly Need[], I>(_needs: N, definition: Route<N, I>): Route<N, I> {
  return definition;
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

/** The response to a failed request: the HTTP API's one error mapping. */
export function errorResponse(error: unknown, requestId: string): APIGatewayProxyStructuredResultV2 {
  const kind = kindOf(error);
  if (!(error instanceof DomainError) || kind === 'internal') {
    logger.error('request failed', { requestId, error: error as Error });
    return json(HTTP_STATUS.internal, { message: 'internal error', requestId });
  }
  if (kind === 'invalid-input') {
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

function requestOf(event: APIGatewayProxyEventV2): HttpRequest {
  return {
    event,
    json() {
      if (!event.body) throw new InvalidInputError('request', ['body: expected a JSON object']);
      const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const tooDeep = jsonNestingProblem(text);
      if (tooDeep) throw new InvalidInputError('request', [`body: ${tooDeep}`]);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new InvalidInputError('request', ['body: not valid JSON']);
      }
    },
    rawPath: (name) => event.pathParameters?.[name] ?? '',
    decodedPath(name, field) {
      try {
        return (event.pathParameters?.[name] ?? '').split('/').map(decodeURIComponent).join('/');
      } catch {
        throw new InvalidInputError('request', [`${field}: not valid percent-encoding`]);
      }
    },
    query: (name) => event.queryStringParameters?.[name],
  };
}

export function httpHandler<const N extends readonly Need[]>(fn: HttpFunction<N>) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    beginInvocation(context);
    const requestId = event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
    try {
      await functionConfig(fn);
      const found = Object.hasOwn(fn.routes, event.routeKey) ? fn.routes[event.routeKey] : undefined;
      if (!found) throw new NotFoundError(`no route ${event.routeKey}`);
      const input: unknown = found.parse(requestOf(event));
      const result = await invoke(fn, context, (deps, invocation) => found.run(input, deps, invocation));
      return json(result.status, result.body);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
}

/**
 * The HTTP skeleton: route by route key, parse the request before any AWS call, run the use case, and map
 * errors by kind in one place — how each kind of error reads to an HTTP caller.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UpstreamError,
} from '../../../lib/errors';
import { logger } from '../../../lib/logger';
import { errorResponse, HTTP_STATUS, type HttpFunction } from '../../../lib/runtime/http-handler';
import type { Need } from '../../../lib/runtime/compose';
import {
  ProjectConflictError,
  ProvisioningFailedError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from '../../../lib/usecases/provisioning-errors';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';

/** The official HTTP API IAM-auth sample: route key `POST /iam`. */
const event = () => awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');
const REQUEST_ID = event().requestContext.requestId;

/** The status and parsed body of the response to `error`. */
function responseTo(error: unknown) {
  const response = errorResponse(error, REQUEST_ID);
  return { status: response.statusCode, body: JSON.parse(response.body!) as Record<string, unknown> };
}

describe('errorResponse', () => {
  beforeEach(() => {
    jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers 409 for a repository that still holds images, naming the query parameter that forces it', () => {
    // Act
    const response = responseTo(new RepositoryNotEmptyError('team/app', 3));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      message: 'repository team/app holds 3 image(s): repeat with ?force=true to delete them too',
    });
  });

  it('answers 400 with every problem for invalid input', () => {
    // Act
    const response = responseTo(new InvalidInputError('request', ['name: required', 'source: required']));

    // Assess
    expect(response).toEqual({
      status: 400,
      body: {
        message: 'invalid request',
        problems: ['name: required', 'source: required'],
        requestId: REQUEST_ID,
      },
    });
  });

  it('answers 404 with the message for something that does not exist', () => {
    // Act
    const response = responseTo(new NotFoundError('no verdict for a@b'));

    // Assess
    expect(response).toEqual({ status: 404, body: { message: 'no verdict for a@b', requestId: REQUEST_ID } });
  });

  it('answers 409 with the differing fields of a conflicting spec', () => {
    // Act
    const response = responseTo(
      new ProjectConflictError('project a exists with a different spec', ['image']),
    );

    // Assess
    expect(response).toEqual({
      status: 409,
      body: {
        message: 'project a exists with a different spec',
        differences: ['image'],
        requestId: REQUEST_ID,
      },
    });
  });

  it('answers 409 for any other conflict', () => {
    // Act
    const response = responseTo(new ConflictError('taken'));

    // Assess
    expect(response).toEqual({ status: 409, body: { message: 'taken', requestId: REQUEST_ID } });
  });

  it('answers 403 for a forbidden request', () => {
    // Act
    const response = responseTo(new ForbiddenError('not yours'));

    // Assess
    expect(response).toEqual({ status: 403, body: { message: 'not yours', requestId: REQUEST_ID } });
  });

  it('answers 500 naming the failed step and the leftovers, never the AWS error text', () => {
    // Act
    const response = responseTo(
      new ProvisioningFailedError('createProject', 'AccessDeniedException: secret detail', ['role r']),
    );

    // Assess
    expect(response).toEqual({
      status: 500,
      body: {
        message: 'provisioning failed at step createProject; could not remove: role r',
        step: 'createProject',
        leftovers: ['role r'],
        requestId: REQUEST_ID,
      },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/secret detail/);
  });

  it('logs the reason of an upstream failure', () => {
    // Act
    responseTo(new ProvisioningFailedError('createRole', 'ServiceFailureException: down', []));

    // Assess
    expect(logger.error).toHaveBeenCalledWith(
      'request failed upstream',
      expect.objectContaining({ reason: 'ServiceFailureException: down', step: 'createRole' }),
    );
  });

  it('answers 500 listing what a failed repair restored before it failed', () => {
    // Act
    const response = responseTo(new RepairFailedError('role: recreateRole', 'X: y', ['repository']));

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({
      step: 'role: recreateRole',
      leftovers: [],
      repaired: ['repository'],
    });
  });

  it('shows an upstream error without a reason by its own message only', () => {
    // Act
    const response = responseTo(new UpstreamError('the registry did not answer; try again'));

    // Assess
    expect(response).toEqual({
      status: 500,
      body: { message: 'the registry did not answer; try again', requestId: REQUEST_ID },
    });
  });

  it('answers a generic 500 with the request id for an unexpected error, keeping its text out', () => {
    // Act
    const response = responseTo(new Error('arn:aws:iam::123456789012:role/internal went wrong'));

    // Assess
    expect(response).toEqual({ status: 500, body: { message: 'internal error', requestId: REQUEST_ID } });
  });

  it('maps each kind to its status once', () => {
    // Assess
    expect(HTTP_STATUS).toEqual({
      'invalid-input': 400,
      'not-found': 404,
      conflict: 409,
      forbidden: 403,
      upstream: 500,
      internal: 500,
    });
  });
});

/** A handler of `definition` cold started in a fresh registry (with its own errors module). */
async function coldStart(
  definition: (errors: typeof import('../../../lib/errors')) => HttpFunction<readonly Need[]>,
  env: lambda.LambdaEnv = { BUILDWARDEN_STAGE: 'test' },
) {
  return lambda.coldStart(
    async () => {
      const { httpHandler } = await import('../../../lib/runtime/http-handler');
      const errors = await import('../../../lib/errors');
      return { handler: httpHandler(definition(errors)) };
    },
    { AWS_REGION: 'us-east-1', ...env },
  );
}

/** The sample as a request to `routeKey`, with `body`. */
function request(routeKey: string, body?: string, proxy?: string): APIGatewayProxyEventV2 {
  const e = event();
  e.routeKey = routeKey;
  e.requestContext.routeKey = routeKey;
  if (body === undefined) delete e.body;
  else e.body = body;
  e.isBase64Encoded = false;
  e.pathParameters = proxy === undefined ? {} : { proxy };
  return e;
}

const parsed = (response: { statusCode?: number; body?: string }) => ({
  status: response.statusCode,
  body: JSON.parse(response.body ?? 'null') as Record<string, unknown>,
});

/** Echoes the JSON body (POST /echo) and the decoded proxy path (GET /echo/{proxy+}). */
const echoApi = (): HttpFunction<readonly Need[]> => ({
  needs: [],
  routes: {
    'POST /echo': {
      parse: (r) => r.json(),
      run: async (body) => ({ status: 201, body: { body } }),
    },
    'GET /echo/{proxy+}': {
      parse: (r) => r.decodedPath('proxy', 'name'),
      run: async (name, deps) => ({ status: 200, body: { name, account: deps.account.accountId } }),
    },
  },
});

describe('httpHandler', () => {
  beforeEach(() => {
    lambda.sdk.resetAll();
    lambda.sdk.sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('runs the route of the route key with the parsed JSON body', async () => {
    // Prepare
    const { handler } = await coldStart(echoApi);

    // Act
    const response = await handler(request('POST /echo', '{"a":[1,2]}'));

    // Assess
    expect(parsed(response)).toEqual({ status: 201, body: { body: { a: [1, 2] } } });
  });

  it('gives the route its deps, the account of the deployment', async () => {
    // Prepare
    const { handler } = await coldStart(echoApi);

    // Act
    const response = await handler(request('GET /echo/{proxy+}', undefined, 'team%2Fa/b%20c'));

    // Assess
    expect(parsed(response)).toEqual({ status: 200, body: { name: 'team/a/b c', account: '123456789012' } });
  });

  it.each([
    ['no body', undefined, 'body: expected a JSON object'],
    ['a body that is not JSON', '{"a":', 'body: not valid JSON'],
    ['a body nested too deeply', `${'['.repeat(600)}${']'.repeat(600)}`, 'body: '],
  ])('answers 400 for %s, before any AWS call', async (_case, body, problem) => {
    // Prepare
    const { handler } = await coldStart(echoApi);

    // Act
    const response = parsed(await handler(request('POST /echo', body)));

    // Assess
    expect(response.status).toBe(400);
    expect((response.body.problems as string[])[0]).toContain(problem);
    expect(lambda.sdk.all.flatMap((m) => m.calls())).toEqual([]);
  });

  it('answers 400 naming the field for a path that is not valid percent-encoding', async () => {
    // Prepare
    const { handler } = await coldStart(echoApi);

    // Act
    const response = parsed(await handler(request('GET /echo/{proxy+}', undefined, 'bad%E0%A4%A')));

    // Assess
    expect(response).toMatchObject({ status: 400, body: { problems: ['name: not valid percent-encoding'] } });
  });

  it.each(['DELETE /echo', 'toString', '__proto__'])(
    'answers 404 for the route key %s it has no route for',
    async (routeKey) => {
      // Prepare
      const { handler } = await coldStart(echoApi);

      // Act
      const response = parsed(await handler(request(routeKey)));

      // Assess
      expect(response).toMatchObject({ status: 404, body: { message: `no route ${routeKey}` } });
    },
  );

  it('maps what a route throws by its kind', async () => {
    // Prepare
    const { handler } = await coldStart((errors) => ({
      needs: [],
      routes: {
        'POST /echo': {
          parse: () => undefined,
          run: async () => {
            throw new errors.ConflictError('taken');
          },
        },
      },
    }));

    // Act
    const response = parsed(await handler(request('POST /echo', '{}')));

    // Assess
    expect(response).toEqual({ status: 409, body: { message: 'taken', requestId: REQUEST_ID } });
  });

  it('answers a generic 500 when the function is misconfigured', async () => {
    // Prepare
    const { handler } = await coldStart(echoApi, {});

    // Act
    const response = parsed(await handler(request('POST /echo', '{}')));

    // Assess
    expect(response).toEqual({ status: 500, body: { message: 'internal error', requestId: REQUEST_ID } });
  });

  it('logs the failure of a request with the request id of the invocation', async () => {
    // Prepare
    const { handler } = await coldStart(echoApi, {
      BUILDWARDEN_STAGE: 'test',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    let out = '';
    const capture = (chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    lambda.sdk.sts.on(GetCallerIdentityCommand).rejects(new Error('no credentials'));

    // Act
    await handler(request('POST /echo', '{}'), { awsRequestId: 'lambda-req-1' } as Context);

    // Assess
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'request failed',
        requestId: REQUEST_ID,
        function_request_id: 'lambda-req-1',
        cold_start: expect.any(Boolean),
      }),
    ]);
  });
});

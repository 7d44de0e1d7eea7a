/** The HTTP API's error mapping: how each kind of error reads to an HTTP caller. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UpstreamError,
} from '../../lib/errors';
import { HTTP_STATUS, httpHandler } from '../../lib/http';
import { logger } from '../../lib/logger';
import {
  ProjectConflictError,
  ProvisioningFailedError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from '../../lib/usecases/provisioning-errors';
import { awsSample } from '../fixtures/load';

const event = () => awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');
const requestId = () => event().requestContext.requestId;

/** The response of a handler whose route throws `error`. */
async function responseTo(error: unknown) {
  const handler = httpHandler(async () => {
    throw error;
  });
  const response = await handler(event());
  return { status: response.statusCode, body: JSON.parse(response.body!) as Record<string, unknown> };
}

beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('httpHandler', () => {
  it('answers 409 for a repository that still holds images, naming the query parameter that forces it', async () => {
    // Act
    const response = await responseTo(new RepositoryNotEmptyError('team/app', 3));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      message: 'repository team/app holds 3 image(s): repeat with ?force=true to delete them too',
    });
  });

  it('answers 400 with every problem for invalid input', async () => {
    // Act
    const response = await responseTo(
      new InvalidInputError('request', ['name: required', 'source: required']),
    );

    // Assess
    expect(response).toEqual({
      status: 400,
      body: {
        message: 'invalid request',
        problems: ['name: required', 'source: required'],
        requestId: requestId(),
      },
    });
  });

  it('answers 404 with the message for something that does not exist', async () => {
    // Act
    const response = await responseTo(new NotFoundError('no route GET /nothing'));

    // Assess
    expect(response).toEqual({
      status: 404,
      body: { message: 'no route GET /nothing', requestId: requestId() },
    });
  });

  it('answers 409 with the differing fields of a conflicting spec', async () => {
    // Act
    const response = await responseTo(
      new ProjectConflictError('project a exists with a different spec', ['image']),
    );

    // Assess
    expect(response).toEqual({
      status: 409,
      body: {
        message: 'project a exists with a different spec',
        differences: ['image'],
        requestId: requestId(),
      },
    });
  });

  it('answers 409 for any other conflict', async () => {
    // Act
    const response = await responseTo(new ConflictError('taken'));

    // Assess
    expect(response).toEqual({ status: 409, body: { message: 'taken', requestId: requestId() } });
  });

  it('answers 403 for a forbidden request', async () => {
    // Act
    const response = await responseTo(new ForbiddenError('not yours'));

    // Assess
    expect(response).toEqual({ status: 403, body: { message: 'not yours', requestId: requestId() } });
  });

  it('answers 500 naming the failed step and the leftovers, never the AWS error text', async () => {
    // Act
    const response = await responseTo(
      new ProvisioningFailedError('createProject', 'AccessDeniedException: secret detail', ['role r']),
    );

    // Assess
    expect(response).toEqual({
      status: 500,
      body: {
        message: 'provisioning failed at step createProject; could not remove: role r',
        step: 'createProject',
        leftovers: ['role r'],
        requestId: requestId(),
      },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/secret detail/);
  });

  it('logs the reason of an upstream failure', async () => {
    // Act
    await responseTo(new ProvisioningFailedError('createRole', 'ServiceFailureException: down', []));

    // Assess
    expect(logger.error).toHaveBeenCalledWith(
      'request failed upstream',
      expect.objectContaining({ reason: 'ServiceFailureException: down', step: 'createRole' }),
    );
  });

  it('answers 500 listing what a failed repair restored before it failed', async () => {
    // Act
    const response = await responseTo(new RepairFailedError('role: recreateRole', 'X: y', ['repository']));

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({
      step: 'role: recreateRole',
      leftovers: [],
      repaired: ['repository'],
    });
  });

  it('answers a generic 500 with the request id for an unexpected error, keeping its text out', async () => {
    // Act
    const response = await responseTo(new Error('arn:aws:iam::123456789012:role/internal went wrong'));

    // Assess
    expect(response).toEqual({ status: 500, body: { message: 'internal error', requestId: requestId() } });
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

  it('shows an upstream error without a reason field by its own message only', async () => {
    // Act
    const response = await responseTo(new UpstreamError('the registry did not answer; try again'));

    // Assess
    expect(response).toEqual({
      status: 500,
      body: { message: 'the registry did not answer; try again', requestId: requestId() },
    });
  });
});

/** The HTTP API's error mapping: how a refusal reads to an HTTP caller. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpHandler } from '../../lib/http';
import { RepositoryNotEmptyError } from '../../lib/usecases/provisioning-errors';
import { awsSample } from '../fixtures/load';

describe('httpHandler', () => {
  it('answers 409 for a repository that still holds images, naming the query parameter that forces it', async () => {
    // Prepare
    const handler = httpHandler(async () => {
      throw new RepositoryNotEmptyError('team/app', 3);
    });
    const event = awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body!)).toMatchObject({
      message: 'repository team/app holds 3 image(s): repeat with ?force=true to delete them too',
    });
  });
});

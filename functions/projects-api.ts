/**
 * The provisioning API. Trigger: HTTP API routes `POST /projects`, `GET /projects`, `GET /projects/{proxy+}`,
 * `DELETE /projects/{proxy+}` (AWS_IAM authorization). Creates compliant-by-construction build projects
 * (repository + least-privilege role + CodeBuild project), shows them with live compliance, deletes them.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpHandler, NotFoundError } from '../lib/http';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { projectsWiring } from '../lib/runtime/projects';
import { jsonNestingProblem } from '../lib/policy/nesting';
import { InvalidInputError } from '../lib/policy/validation';
import {
  createManagedProject,
  deleteManagedProject,
  listManagedProjects,
  showManagedProject,
} from '../lib/usecases/provisioning';

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (!event.body) throw new InvalidInputError('request', ['body: expected a JSON object']);
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const tooDeep = jsonNestingProblem(text);
  if (tooDeep) throw new InvalidInputError('request', [`body: ${tooDeep}`]);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidInputError('request', ['body: not valid JSON']);
  }
}

function projectName(event: APIGatewayProxyEventV2): string {
  const raw = event.pathParameters?.proxy ?? '';
  try {
    return raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new InvalidInputError('request', ['name: not valid percent-encoding']);
  }
}

export const handler = httpHandler(async (event) => {
  const config = runtimeConfig();
  const options = {
    guardrails: config.guardrails,
    ...(config.BUILDWARDEN_PROVISIONING_KMS_KEY_ARN
      ? { kmsKeyArn: config.BUILDWARDEN_PROVISIONING_KMS_KEY_ARN }
      : {}),
    ...(config.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN
      ? { permissionsBoundaryArn: config.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN }
      : {}),
  };
  const route = event.routeKey;
  return withAccount(projectsWiring, async (provisioning) => {
    if (route === 'POST /projects') {
      const created = await createManagedProject(jsonBody(event), provisioning, options);
      return { status: created.created ? 201 : 200, body: created.body };
    }
    if (route === 'GET /projects')
      return { status: 200, body: { projects: await listManagedProjects(provisioning, options) } };
    if (route === 'GET /projects/{proxy+}')
      return {
        status: 200,
        body: await showManagedProject(projectName(event), provisioning, options),
      };
    if (route === 'DELETE /projects/{proxy+}') {
      const force = event.queryStringParameters?.force;
      if (force !== undefined && force !== 'true' && force !== 'false') {
        throw new InvalidInputError('request', ['force: expected true or false']);
      }
      return {
        status: 200,
        body: await deleteManagedProject(projectName(event), provisioning, { force: force === 'true' }),
      };
    }
    throw new NotFoundError(`no route ${route}`);
  });
});

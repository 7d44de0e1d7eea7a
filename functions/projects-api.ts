/**
 * The provisioning API. Trigger: HTTP API routes `POST /projects`, `GET /projects`, `GET /projects/{proxy+}`,
 * `DELETE /projects/{proxy+}` (AWS_IAM authorization). Creates compliant-by-construction build projects
 * (repository + least-privilege role + CodeBuild project), shows them with live compliance, deletes them.
 */
import { InvalidInputError } from '../lib/errors';
import {
  awsOrganization,
  awsProvisioner,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
} from '../lib/runtime/adapters';
import { dynamoClaims } from '../lib/runtime/tables';
import { httpHandler, route } from '../lib/runtime/http-handler';
import type { Invocation } from '../lib/runtime/lambda';
import {
  createManagedProject,
  deleteManagedProject,
  listManagedProjects,
  showManagedProject,
  type ProvisioningOptions,
} from '../lib/usecases/provisioning';

const needs = [
  ecrRegistry,
  codebuildProjects,
  iamIdentity,
  awsOrganization,
  awsProvisioner,
  dynamoClaims,
] as const;

function optionsOf({ settings, guardrails }: Invocation): ProvisioningOptions {
  return {
    guardrails,
    ...(settings.BUILDWARDEN_PROVISIONING_KMS_KEY_ARN
      ? { kmsKeyArn: settings.BUILDWARDEN_PROVISIONING_KMS_KEY_ARN }
      : {}),
    ...(settings.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN
      ? { permissionsBoundaryArn: settings.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN }
      : {}),
  };
}

export const projectsApi = {
  needs,
  metrics: { function: 'projectsApi' },
  routes: {
    'POST /projects': route(needs, {
      parse: (request) => request.json(),
      async run(body, deps, invocation) {
        const created = await createManagedProject(body, deps, optionsOf(invocation));
        return { status: created.created ? 201 : 200, body: created.body };
      },
    }),
    'GET /projects': route(needs, {
      parse: () => undefined,
      run: async (_none, deps, invocation) => ({
        status: 200,
        body: { projects: await listManagedProjects(deps, optionsOf(invocation)) },
      }),
    }),
    'GET /projects/{proxy+}': route(needs, {
      parse: (request) => request.decodedPath('proxy', 'name'),
      run: async (name, deps, invocation) => ({
        status: 200,
        body: await showManagedProject(name, deps, optionsOf(invocation)),
      }),
    }),
    'DELETE /projects/{proxy+}': route(needs, {
      parse(request) {
        const force = request.query('force');
        if (force !== undefined && force !== 'true' && force !== 'false') {
          throw new InvalidInputError('request', ['force: expected true or false']);
        }
        return { name: request.decodedPath('proxy', 'name'), force: force === 'true' };
      },
      run: async ({ name, force }, deps) => ({
        status: 200,
        body: await deleteManagedProject(name, deps, { force }),
      }),
    }),
  },
};

export const handler = httpHandler(projectsApi);

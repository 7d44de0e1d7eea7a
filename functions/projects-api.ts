/**
 * The provisioning API. Trigger: HTTP API routes `POST /projects`, `GET /projects`, `GET /projects/{proxy+}`,
 * `DELETE /projects/{proxy+}` (AWS_IAM authorization). Creates compliant-by-construction build projects
 * (repository + least-privilege role + CodeBuild project), shows them with live compliance, deletes them.
 * In organization mode `POST /projects` takes `account` and `region` and provisions through the member role.
 */
import { InvalidInputError } from '../lib/errors';
import { memberBoundaryPolicyArn, parseRequestPlace } from '../lib/policy/organization-targets';
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
import { depsAt, organizationMode } from '../lib/runtime/members';
import type { Target } from '../lib/ports';
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

function optionsOf({ settings, guardrails }: Invocation, member?: Target): ProvisioningOptions {
  // In a member account: the AWS managed key, and the boundary its member stack keeps (provisioning enabled).
  if (member) return { guardrails, permissionsBoundaryArn: memberBoundaryPolicyArn(member) };
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

/**
 * The request body without `account` and `region` (the project's own fields are checked by the use case), and
 * those two: where to provision, checked by name. Absent: the deployment's own account and Region.
 */
function placedRequest(json: unknown): { body: unknown; place: Partial<Target> } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { body: json, place: {} };
  const { account, region, ...body } = json as Record<string, unknown>;
  const { problems, place } = parseRequestPlace(account, region);
  if (problems.length > 0) throw new InvalidInputError('request', problems);
  return { body, place };
}

export const projectsApi = {
  needs,
  metrics: { function: 'projectsApi' },
  routes: {
    'POST /projects': route(needs, {
      parse: (request) => placedRequest(request.json()),
      async run({ body, place }, hub, invocation) {
        const target = {
          accountId: place.accountId ?? hub.account.accountId,
          region: place.region ?? hub.account.region,
        };
        const own = target.accountId === hub.account.accountId && target.region === hub.account.region;
        // The local stage's sandbox is one account; single-account mode acts in its own account only.
        if (!own && (invocation.sandbox || !organizationMode(invocation.settings))) {
          throw new InvalidInputError('request', [
            `${place.accountId ? 'account' : 'region'}: provisioning outside the deployment's own account and Region needs organization mode (the memberExternalId parameter)`,
          ]);
        }
        const placed = await depsAt(target, hub, needs, invocation.settings, {
          sandbox: invocation.sandbox,
          lead: 'the request names',
        });
        if ('foreign' in placed) {
          throw new InvalidInputError('request', [
            `${place.accountId ? 'account' : 'region'}: ${placed.foreign}`,
          ]);
        }
        const member = placed.deps === hub ? undefined : target;
        const created = await createManagedProject(body, placed.deps, optionsOf(invocation, member));
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

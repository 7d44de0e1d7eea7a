// Resolves the policy document of serverless.yml's ProvisionedRoleBoundary at package time
// (`${file(./scripts/provisioned-role-boundary.js)}`): the provisioning namespaces come from the same
// guardrails file the functions ship with (param guardrailsFile, '' = built-in defaults), through the same
// schema, so the boundary and the API's checks have one source of truth. The TypeScript core runs via tsx.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const tsx = require('tsx/cjs/api');

/** CloudFormation pseudo parameters in place of the account the template is deployed to. */
const SCOPE = {
  partition: '${AWS::Partition}',
  region: '${AWS::Region}',
  accountId: '${AWS::AccountId}',
  urlSuffix: '${AWS::URLSuffix}',
};

/** Every string holding a pseudo parameter becomes an Fn::Sub. */
function withSub(value) {
  if (typeof value === 'string') return value.includes('${AWS::') ? { 'Fn::Sub': value } : value;
  if (Array.isArray(value)) return value.map(withSub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withSub(item)]));
  }
  return value;
}

module.exports = async ({ resolveVariable }) => {
  const file = await resolveVariable('param:guardrailsFile');
  const { defaultGuardrails, parseGuardrails } = tsx.require('../lib/policy/guardrails.ts', __filename);
  const { provisionedRoleBoundary } = tsx.require('../lib/policy/boundary.ts', __filename);
  const guardrails = file
    ? parseGuardrails(readFileSync(path.resolve(__dirname, '..', file), 'utf8'), `guardrailsFile (${file})`)
    : defaultGuardrails();
  return withSub(provisionedRoleBoundary(guardrails.provisioning, SCOPE));
};

// Resolves serverless.yml's state machine definition at package time
// (`${file(./scripts/organization-audit-definition.js)}`): deploy/organization-audit.asl.json as a string, the
// DefinitionString of AWS::StepFunctions::StateMachine, its `${…}` placeholders filled by DefinitionSubstitutions.
// A string rather than the parsed object (`Definition`): the framework drops null values from the template, and
// the definition's `"ResultPath": null` (discard the Map's results) must reach Step Functions as written.
const { readFileSync } = require('node:fs');
const path = require('node:path');

module.exports = () =>
  JSON.stringify(
    JSON.parse(readFileSync(path.join(__dirname, '..', 'deploy', 'organization-audit.asl.json'), 'utf8')),
  );

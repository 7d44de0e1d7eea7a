// Resolves the guardrails the functions run with at package time
// (`${file(./scripts/compiled-guardrails.js)}`, serverless.yml custom.esbuild.define.__BUILDWARDEN_GUARDRAILS__):
// the guardrails file (param guardrailsFile, '' = built-in defaults) parsed and validated with the same schema
// as the CLI's, then written into each bundle as JSON text, which the functions only JSON.parse
// (lib/runtime/lambda.ts). A bad file fails the packaging with the schema's message, naming the field; no
// function bundle carries the YAML parser or the guardrails schema for it. The TypeScript core runs via tsx.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const tsx = require('tsx/cjs/api');

/** The compiled guardrails of `file` (relative to the service directory; empty = defaults), as JSON text. */
function compileGuardrails(file, serviceDir = path.resolve(__dirname, '..')) {
  const { defaultGuardrails, parseGuardrails } = tsx.require('../lib/policy/guardrails.ts', __filename);
  const guardrails = file
    ? parseGuardrails(readFileSync(path.resolve(serviceDir, file), 'utf8'), `guardrailsFile (${file})`)
    : defaultGuardrails();
  return JSON.stringify(guardrails);
}

// esbuild's define takes a JavaScript expression: the JSON text as a string literal.
module.exports = async ({ resolveVariable }) =>
  JSON.stringify(compileGuardrails(await resolveVariable('param:guardrailsFile')));
module.exports.compileGuardrails = compileGuardrails;

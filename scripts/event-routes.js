// Resolves the event patterns of serverless.yml's rules on the hub event bus at package time
// (`${file(./scripts/event-routes.js):onScan.0}`): the functions' routes as lib/events/routes.ts lists them, so
// the bus that receives the member accounts' events matches exactly what the default bus's rules match.
// The TypeScript core runs via tsx.
const tsx = require('tsx/cjs/api');

module.exports = () => tsx.require('../lib/events/routes.ts', __filename).EVENT_ROUTES;

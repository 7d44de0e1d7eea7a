// esbuild plugins of serverless.yml's custom.esbuild (serverless-esbuild loads this file and calls it with the
// serverless instance).
//
// Source maps out of the function packages: with `sourcemap: external` (the sourceMaps param off, the default)
// esbuild writes each bundle's map beside it in the build directory and the bundle names no map. This plugin
// moves every such map out of the build directory before the packages are zipped, into
// `<package directory>/sourcemaps/<function>.js.map` (`.serverless/sourcemaps/` by default): a build artifact
// to keep with the package the code was deployed from, read by `npm run symbolicate` (scripts/symbolicate.ts).
// With the param on (`sourcemap: linked`) the map stays in the package, where Node loads it.
const { copyFileSync, existsSync, mkdirSync, rmSync } = require('node:fs');
const path = require('node:path');

/** The functions whose handler lives in `entry` (`functions/on-change.ts` → ['onChange']). */
function functionsOf(serverless, entry) {
  const file = entry.replace(/\.[cm]?[jt]s$/, '');
  return Object.entries(serverless.service.functions ?? {})
    .filter(
      ([, fn]) => typeof fn.handler === 'string' && fn.handler.slice(0, fn.handler.lastIndexOf('.')) === file,
    )
    .map(([name]) => name);
}

/** Where the packages are made: `.serverless` in the service directory (moved to `--package <dir>` at the end). */
function packageDirectory(serverless) {
  return path.join(serverless.serviceDir ?? process.cwd(), '.serverless');
}

const externalSourceMaps = (serverless) => ({
  name: 'buildwarden-external-source-maps',
  setup(build) {
    if (build.initialOptions.sourcemap !== 'external') return;
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const { outdir, entryPoints } = build.initialOptions;
      const entries = Array.isArray(entryPoints) ? entryPoints : Object.values(entryPoints ?? {});
      for (const entry of entries) {
        const map = path.join(outdir, `${path.basename(entry).replace(/\.[cm]?[jt]s$/, '')}.js.map`);
        if (!existsSync(map)) continue;
        const dir = path.join(packageDirectory(serverless), 'sourcemaps');
        mkdirSync(dir, { recursive: true });
        for (const name of functionsOf(serverless, entry))
          copyFileSync(map, path.join(dir, `${name}.js.map`));
        rmSync(map);
      }
    });
  },
});

module.exports = (serverless) => [externalSourceMaps(serverless)];

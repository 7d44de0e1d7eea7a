/**
 * The YAML parser for inline buildspecs, loaded when a buildspec is first read rather than when a function
 * loads: most events (an ECR change, a scan, a role change) never read one, and the parser's module is about a
 * tenth of a function's bundle. `require` is synchronous, as its callers are; the bundler keeps the package in
 * the bundle behind a function it only pre-parses until then. (The guardrails file and the CLI's config
 * command import it statically: they always parse YAML.)
 */
type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

export function yaml(): Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return (loaded ??= require('yaml') as Yaml);
}

/**
 * `npm run symbolicate -- <function> [--maps <dir>] < trace.txt`: maps the positions of a stack trace logged by
 * a deployed function back to the TypeScript sources, with the source map kept when the function was packaged
 * (`<package directory>/sourcemaps/<function>.js.map`, `.serverless/sourcemaps` by default; README "Stack
 * traces"). Use the maps of the package the failing code was deployed from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readSourceMap, symbolicate } from './source-map';

const USAGE = 'usage: npm run symbolicate -- <function> [--maps <dir>] < trace.txt';

function main(args: string[]): void {
  const mapsAt = args.indexOf('--maps');
  const maps = mapsAt >= 0 ? args[mapsAt + 1] : path.join('.serverless', 'sourcemaps');
  const positional = args.filter((_, i) => mapsAt < 0 || (i !== mapsAt && i !== mapsAt + 1));
  const fn = positional[0];
  if (!fn || !maps || positional.length !== 1 || !/^[A-Za-z0-9_-]+$/.test(fn)) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const file = path.join(maps, `${fn}.js.map`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`symbolicate: cannot read ${file}: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(symbolicate(readFileSync(0, 'utf8'), readSourceMap(text)));
}

main(process.argv.slice(2));

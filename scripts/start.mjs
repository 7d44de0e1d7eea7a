// `npm start`: the local stack. serverless-offline serves the HTTP API and fires the schedule, every function
// running on the SIMULATED sandbox account in .bw-local/account.json (a copy of the demo account on first
// start; state persists across requests and restarts — delete the file to start over). Local only: IAM
// signatures are not checked (--noAuth); the deployed API requires them.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const file = process.env.BUILDWARDEN_SANDBOX_FILE ?? '.bw-local/account.json';
if (!existsSync(file)) {
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync('demo/account.json', file);
  process.stdout.write(`created ${file} from demo/account.json\n`);
}
process.stdout.write(
  `sandbox account: ${file}  (inspect it with: npx buildwarden audit --snapshot ${file})\n`,
);
const child = spawn(
  process.execPath,
  [
    'node_modules/osls/bin/serverless.js',
    'offline',
    'start',
    '--stage',
    'local',
    '--noAuth',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      BUILDWARDEN_SANDBOX_FILE: path.resolve(file),
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      SLS_TELEMETRY_DISABLED: '1',
    },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));

// `npm run demo`: audits the bundled demo account (a SIMULATED account in demo/account.json) with the
// demo guardrails and prints the findings table. The demo account is never modified.
import { spawnSync } from 'node:child_process';

const steps = [
  {
    title: 'Audit of the demo account (simulated, from demo/account.json)',
    args: ['audit', '--snapshot', 'demo/account.json', '--config', 'demo/guardrails.yml'],
    okCodes: [0, 1],
  },
];

for (const step of steps) {
  process.stdout.write(`\n=== ${step.title}\n$ buildwarden ${step.args.join(' ')}\n\n`);
  const result = spawnSync(process.execPath, ['bin/buildwarden.js', ...step.args], { stdio: 'inherit' });
  if (!step.okCodes.includes(result.status ?? -1)) {
    process.stderr.write(`demo step failed with exit code ${result.status}\n`);
    process.exit(1);
  }
}

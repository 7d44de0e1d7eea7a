// `npm run demo`: the main job on the bundled demo account — a SIMULATED account in demo/account.json.
// 1. audit it and print the findings; 2. replay a change event against a scratch copy and show the fixes
// (before → after); 3. audit the fixed copy. demo/account.json itself is never modified.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const scratch = path.join(mkdtempSync(path.join(tmpdir(), 'buildwarden-demo-')), 'account.json');
copyFileSync('demo/account.json', scratch);

const steps = [
  {
    title: '1. Audit of the demo account (simulated, from demo/account.json)',
    args: ['audit', '--snapshot', 'demo/account.json', '--config', 'demo/guardrails.yml'],
  },
  {
    title:
      '2. Fix: someone makes web/frontend tags mutable (events/ecr-PutImageTagMutability.json); buildwarden re-reads the repository and remediates',
    args: [
      'replay',
      '--snapshot',
      scratch,
      '--event',
      'events/ecr-PutImageTagMutability.json',
      '--config',
      'demo/guardrails.yml',
      '--save',
      '--format',
      'table',
    ],
    showChanges: true,
  },
  {
    title: '3. Audit of web/frontend after the fix (scratch copy)',
    args: [
      'audit',
      '--snapshot',
      scratch,
      '--config',
      'demo/guardrails.yml',
      '--rules',
      'ecr.lifecycle-policy,ecr.scan-on-push,ecr.tag-immutability,ecr.encryption',
      '--show-compliant',
    ],
    filter: (line) => !line.includes('/') || line.includes('web/frontend') || line.startsWith('Account'),
  },
];

for (const step of steps) {
  process.stdout.write(`\n=== ${step.title}\n$ buildwarden ${step.args.join(' ')}\n\n`);
  const args = step.showChanges ? step.args.map((a) => (a === 'table' ? 'json' : a)) : step.args;
  const result = spawnSync(process.execPath, ['bin/buildwarden.js', ...args], { encoding: 'utf8' });
  process.stderr.write(result.stderr);
  if (![0, 1].includes(result.status ?? -1)) {
    process.stderr.write(`demo step failed with exit code ${result.status}\n`);
    process.exit(1);
  }
  if (step.showChanges) {
    const { actions, notifications } = JSON.parse(result.stdout);
    for (const a of actions) {
      const show = (v) => (v === null ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
      process.stdout.write(
        `${a.applied ? 'applied' : 'planned'}  ${a.ruleId}  ${a.action}${a.reason ? `  (${a.reason})` : ''}\n`,
      );
      process.stdout.write(`    before: ${show(a.before)}\n    after:  ${show(a.after)}\n`);
    }
    process.stdout.write(
      `\n${notifications.length} notifications published, e.g.\n  ${notifications[0]?.subject ?? ''}\n`,
    );
  } else {
    const lines = result.stdout.split('\n');
    process.stdout.write(`${(step.filter ? lines.filter(step.filter) : lines).join('\n')}\n`);
  }
}

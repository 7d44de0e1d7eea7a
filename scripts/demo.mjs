// `npm run demo`: the main jobs on the bundled demo account — a SIMULATED account in demo/account.json.
// demo/account.json itself is never modified: every step that changes state works on a scratch copy.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const demoDir = mkdtempSync(path.join(tmpdir(), 'buildwarden-demo-'));
const scratch = path.join(demoDir, 'account.json');
copyFileSync('demo/account.json', scratch);
const digest = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const show = (v) =>
  v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);

function buildwarden(args) {
  const result = spawnSync(process.execPath, ['bin/buildwarden.js', ...args], { encoding: 'utf8' });
  process.stderr.write(result.stderr);
  if (![0, 1, 3].includes(result.status ?? -1)) {
    process.stderr.write(`demo step failed: buildwarden ${args.join(' ')} exited ${result.status}\n`);
    process.exit(1);
  }
  return result.stdout;
}

function title(text, args) {
  process.stdout.write(`\n=== ${text}\n${args ? `$ buildwarden ${args.join(' ')}\n` : ''}\n`);
}

// 1. Audit.
const audit = ['audit', '--snapshot', 'demo/account.json', '--config', 'demo/guardrails.yml'];
title('1. Audit of the demo account (simulated, from demo/account.json)', audit);
process.stdout.write(buildwarden(audit));

// The same audit as a report people open in a browser, and as JSON: the baseline of a later audit.
const firstAudit = path.join(demoDir, 'audit-1.json');
const htmlReport = path.join(demoDir, 'report.html');
const asHtml = [...audit, '--format', 'html', '--out', htmlReport];
title('   The same audit as an HTML report, and as JSON for the next audit to compare with', asHtml);
buildwarden(asHtml);
buildwarden([...audit, '--format', 'json', '--out', firstAudit]);
process.stdout.write(`HTML report: ${htmlReport}\n`);

// 2. A change event is remediated.
const fix = [
  'replay',
  '--snapshot',
  scratch,
  '--event',
  'events/ecr-PutImageTagMutability.json',
  '--config',
  'demo/guardrails.yml',
  '--save',
  '--format',
  'json',
];
title(
  '2. Fix: someone makes web/frontend tags mutable; buildwarden re-reads the repository and remediates',
  fix,
);
const fixed = JSON.parse(buildwarden(fix));
for (const a of fixed.actions) {
  process.stdout.write(
    `${a.applied ? 'applied' : 'planned'}  ${a.ruleId}  ${a.action}${a.reason ? `  (${a.reason})` : ''}\n`,
  );
  process.stdout.write(`    before: ${show(a.before)}\n    after:  ${show(a.after)}\n`);
}
process.stdout.write(
  `${fixed.notifications.length} notifications published, e.g. "${fixed.notifications[0]?.subject ?? ''}"\n`,
);
const reaudit = [
  'audit',
  '--snapshot',
  scratch,
  '--config',
  'demo/guardrails.yml',
  '--rules',
  'ecr.lifecycle-policy,ecr.scan-on-push,ecr.tag-immutability',
  '--show-compliant',
];
title('   web/frontend after the fix', reaudit);
process.stdout.write(
  `${buildwarden(reaudit)
    .split('\n')
    .filter((l) => l.includes('web/frontend'))
    .join('\n')}\n`,
);

const delta = [
  'audit',
  '--snapshot',
  scratch,
  '--config',
  'demo/guardrails.yml',
  '--baseline',
  firstAudit,
  '--format',
  'html',
  '--out',
  path.join(demoDir, 'report-2.html'),
];
title('   The second audit against the first: what the fix resolved', delta.slice(0, 7));
// The delta leads the table output; its still-open list is long, so the demo shows its count only.
let stillOpen = false;
for (const line of buildwarden(delta.slice(0, 7)).split('\n')) {
  if (line.startsWith('Account ')) break;
  if (/^Still open \(\d+\):$/.test(line)) stillOpen = true;
  else if (stillOpen && line.startsWith('  ')) continue;
  else stillOpen = false;
  process.stdout.write(
    `${stillOpen ? `${line.slice(0, -1)}, each with its age in the HTML report` : line}\n`,
  );
}
buildwarden(delta);
process.stdout.write(`HTML report with this delta: ${path.join(demoDir, 'report-2.html')}\n`);

// 3. Scan gate: a build pushes an image, the scan fails the gate, another build fails.
title('3. Scan gate: build #42 pushes web/frontend:1.4.2, the scan completes, build #43 fails');
for (const event of [
  'codebuild-build-succeeded',
  'ecr-image-action-push',
  'ecr-image-scan-complete',
  'codebuild-build-failed',
]) {
  const out = JSON.parse(
    buildwarden([
      'replay',
      '--snapshot',
      scratch,
      '--event',
      `events/${event}.json`,
      '--save',
      '--format',
      'json',
    ]),
  );
  process.stdout.write(
    `replayed events/${event}.json${out.notifications[0] ? `  → notified: ${out.notifications[0].subject}` : ''}\n`,
  );
}
const verdict = ['verdict', 'web/frontend', digest, '--snapshot', scratch];
title('   May this image ship? (exit 0 pass, 1 fail, 3 unknown)', verdict);
process.stdout.write(buildwarden(verdict));
const failedBuild = JSON.parse(
  buildwarden([
    'replay',
    '--snapshot',
    scratch,
    '--event',
    'events/codebuild-build-failed.json',
    '--format',
    'json',
  ]),
);
title('   The failed-build notification (as an email subscriber reads it)');
process.stdout.write(
  `Subject: ${failedBuild.notifications[0].subject}\n\n${failedBuild.notifications[0].message}\n`,
);

// 4. Provisioning: a compliant project on day one.
const create = [
  'projects',
  'create',
  '--file',
  'demo/new-project.json',
  '--snapshot',
  scratch,
  '--save',
  '--config',
  'demo/guardrails.yml',
];
title('4. Provision payments/ledger (repository + least-privilege role + CodeBuild project)', create);
process.stdout.write(buildwarden(create));
const check = [
  'projects',
  'show',
  'payments/ledger',
  '--snapshot',
  scratch,
  '--config',
  'demo/guardrails.yml',
];
title('   Its live compliance under every rule', check);
const status = JSON.parse(buildwarden(check));
process.stdout.write(
  `compliant: ${status.compliant} (${status.findings.length} findings that are not compliant)\n`,
);

// 5. A small organization: three accounts in two regions, as a fleet of snapshots (demo/organization).
const org = ['audit', '--org', '--snapshot', 'demo/organization', '--config', 'demo/guardrails.yml'];
title('5. Organization-wide audit of a fleet (three simulated accounts, two regions)', [
  ...org,
  '--format',
  'json',
]);
const orgReport = JSON.parse(buildwarden([...org, '--format', 'json']));
const orgStatus = orgReport.summary.byStatus;
process.stdout.write(
  `Organization: ${Object.keys(orgReport.summary.byAccount).length} accounts, ${orgReport.targets.length} account-regions — ${orgStatus.violation} violations, ${orgStatus['not-visible']} not visible, ${orgStatus.compliant} compliant\n`,
);
for (const account of Object.values(orgReport.summary.byAccount)) {
  process.stdout.write(
    `  ${account.accountId} (${account.name ?? 'unnamed'}) ${account.regions.join(', ')}: ${account.byStatus.violation} violations, ${account.byStatus['not-visible']} not visible\n`,
  );
}

/**
 * `npm run demo` (scripts/demo.mjs over the built binary, as `npm test` builds it before jest): it writes an
 * HTML report whose path it prints, shows a second audit's delta after the fix, and ends with the
 * organization-wide summary of the demo fleet (demo/organization).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../fixtures/load';

describe('the demo', () => {
  const run = () => spawnSync(process.execPath, ['scripts/demo.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
  let result: ReturnType<typeof run>;

  beforeAll(() => {
    result = run();
  }, 180_000);

  test('runs to the end', () => {
    expect(result.stderr).not.toMatch(/demo step failed/);
    expect(result.status).toBe(0);
  });

  test('shows the registry settings of the demo account: a disallowed replication destination, a cache rule without a template, a weak template', () => {
    expect(result.stdout).toContain('999988887777 in eu-west-1');
    expect(result.stdout).toMatch(/ecr\.pull-through-cache\s+ecr-public/);
    expect(result.stdout).toContain('template docker-hub is weak');
  });

  test('prints the path of the HTML report it wrote', () => {
    const file = /^HTML report: (.+\.html)$/m.exec(result.stdout)?.[1];

    expect(file).toBeDefined();
    expect(readFileSync(file!, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  test('shows what the fix resolved since the first audit, and writes that delta as HTML too', () => {
    expect(result.stdout).toMatch(
      /Since the last audit \([^)]+\): nothing new, \d+ resolved;[^\n]*\n\nResolved \(\d+\):\n(?: {2}.*\n)*? {2}medium {3}ecr\.tag-immutability on web\/frontend — fixed \(now compliant\)\n/,
    );
    const file = /^HTML report with this delta: (.+\.html)$/m.exec(result.stdout)?.[1];
    expect(readFileSync(file!, 'utf8')).toContain('id="delta-resolved"');
  });

  test('ends with the organization-wide summary: three named accounts in two regions', () => {
    expect(result.stdout).toMatch(/^Organization: 3 accounts, 6 account-regions — \d+ violations/m);
    expect(result.stdout).toMatch(
      /^ {2}111111111111 \(payments-prod\) eu-west-1, us-east-1: \d+ violations/m,
    );
    expect(result.stderr).toMatch(/\[6\/6\] account \d{12} /);
  });
});

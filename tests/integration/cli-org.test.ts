/**
 * The CLI on a sandbox fleet (a directory of snapshots, one per account and region): `audit --org` over the demo
 * organization (progress per account, the table grouped by account, `byAccount` in JSON, the flags narrowing
 * it), `--snapshot DIR` for single-account commands (a fleet of one is its file), and `replay` routing an event
 * to the account and region it names.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fleetFileName } from '../../lib/sandbox/fleet';
import { generateAccount } from '../../lib/sandbox/generate';
import { cli } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const DEMO_FLEET = 'demo/organization';
const DEMO_SNAPSHOT = path.join(REPO_ROOT, 'demo/account.json');
const DEMO_CONFIG = 'demo/guardrails.yml';
const EVENT = 'events/ecr-PutImageTagMutability.json';

interface OrgJson {
  targets: { accountId: string; region: string }[];
  findings: { accountId: string; region: string; status: string }[];
  summary: {
    byStatus: Record<string, number>;
    byAccount: Record<string, { name?: string; regions: string[]; byStatus: Record<string, number> }>;
  };
}

/** A fleet directory with the demo account (123456789012, us-east-1) and a generated second account. */
function fleetWithDemoAccount(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-fleet-'));
  copyFileSync(DEMO_SNAPSHOT, path.join(dir, 'demo.json'));
  const other = { accountId: '444455556666', region: 'us-east-1' };
  writeFileSync(
    path.join(dir, fleetFileName(other)),
    JSON.stringify(generateAccount({ ...other, repositories: 2, projects: 1, roles: 1 })),
  );
  return dir;
}

describe('buildwarden audit --org on a fleet', () => {
  test('audits every account and region of the demo organization, with progress per account on stderr', async () => {
    // Act
    const result = await cli(['audit', '--org', '--snapshot', DEMO_FLEET, '--format', 'json']);

    // Assess
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as OrgJson;
    expect(report.targets).toHaveLength(6);
    expect(Object.keys(report.summary.byAccount)).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(report.summary.byAccount['111111111111']).toMatchObject({
      name: 'payments-prod',
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(report.findings.every((f) => /^\d{12}$/.test(f.accountId) && f.region !== undefined)).toBe(true);
    expect(result.stderr).toContain('auditing 6 account-regions');
    expect(result.stderr).toMatch(/\[6\/6\] account \d{12} [a-z0-9-]+: \d+ violations/);
  });

  test('the table has one section per account, named, then the organization totals', async () => {
    // Act
    const result = await cli(['audit', '--org', '--snapshot', DEMO_FLEET]);

    // Assess
    const headers = result.stdout.split('\n').filter((line) => line.startsWith('Account '));
    expect(headers.map((h) => h.slice(0, 38))).toEqual([
      'Account 111111111111 (payments-prod) —',
      'Account 222222222222 (platform-tools) ',
      'Account 333333333333 (sandbox-dev) — e',
    ]);
    expect(result.stdout).toMatch(/^Organization: 3 accounts, 6 account-regions, /m);
  });

  test('--accounts and --regions narrow the targets', async () => {
    // Act
    const result = await cli([
      'audit',
      '--org',
      '--snapshot',
      DEMO_FLEET,
      '--format',
      'json',
      '--accounts',
      '222222222222,333333333333',
      '--regions',
      'eu-west-1',
    ]);

    // Assess
    const report = JSON.parse(result.stdout) as OrgJson;
    expect(report.targets).toEqual([
      { accountId: '222222222222', region: 'eu-west-1' },
      { accountId: '333333333333', region: 'eu-west-1' },
    ]);
  });

  test.each([
    [['--accounts', '12'], /--accounts: expected 12-digit account ids/],
    [['--regions', 'mars'], /--regions: expected AWS regions/],
    [['--format', 'html'], /--org: --format table or json/],
  ])('bad usage %j exits 2 naming the flag', async (extra, message) => {
    // Act
    const result = await cli(['audit', '--org', '--snapshot', DEMO_FLEET, ...extra]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('--accounts without --org exits 2', async () => {
    // Act
    const result = await cli(['audit', '--snapshot', DEMO_SNAPSHOT, '--accounts', '111111111111']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--accounts goes with --org/);
  });
});

describe('--snapshot DIR for a single-account command', () => {
  test('a fleet of one audits exactly as its file does', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'bw-fleet-'));
    copyFileSync(DEMO_SNAPSHOT, path.join(dir, '123456789012.us-east-1.json'));

    // Act
    const fromDir = await cli(['audit', '--snapshot', dir, '--format', 'json', '--config', DEMO_CONFIG]);
    const fromFile = await cli([
      'audit',
      '--snapshot',
      DEMO_SNAPSHOT,
      '--format',
      'json',
      '--config',
      DEMO_CONFIG,
    ]);

    // Assess
    // Timestamps aside (each run stamps its own).
    const strip = (text: string) => text.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"(time)"');
    expect(fromDir.code).toBe(fromFile.code);
    expect(strip(fromDir.stdout)).toEqual(strip(fromFile.stdout));
  });

  test('a fleet of several accounts exits 2 and points to --org', async () => {
    // Act
    const result = await cli(['audit', '--snapshot', DEMO_FLEET]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the fleet holds 6 account-regions; this command acts on one .*--org/);
  });
});

describe('buildwarden replay on a fleet', () => {
  test('routes the event to the account and region it names, and --save writes that file only', async () => {
    // Prepare
    const dir = fleetWithDemoAccount();
    const otherBefore = readFileSync(path.join(dir, '444455556666.us-east-1.json'), 'utf8');

    // Act
    const inFleet = await cli([
      'replay',
      '--snapshot',
      dir,
      '--event',
      EVENT,
      '--config',
      DEMO_CONFIG,
      '--save',
    ]);
    const alone = await cli([
      'replay',
      '--snapshot',
      DEMO_SNAPSHOT,
      '--event',
      EVENT,
      '--config',
      DEMO_CONFIG,
      '--dry-run',
    ]);

    // Assess
    expect(inFleet.code).toBe(0);
    const routed = JSON.parse(inFleet.stdout) as { skipped: string | null; actions: unknown[] };
    expect(routed.skipped).toBeNull();
    expect(routed.actions.length).toBe((JSON.parse(alone.stdout) as { actions: unknown[] }).actions.length);
    expect(readFileSync(path.join(dir, 'demo.json'), 'utf8')).not.toBe(readFileSync(DEMO_SNAPSHOT, 'utf8'));
    expect(readFileSync(path.join(dir, '444455556666.us-east-1.json'), 'utf8')).toBe(otherBefore);
  });

  test('an event for an account and region the fleet does not hold is skipped with the reason', async () => {
    // Prepare
    const dir = fleetWithDemoAccount();
    const event = JSON.parse(readFileSync(path.join(REPO_ROOT, EVENT), 'utf8')) as Record<string, unknown>;
    event.region = 'eu-west-1';
    const eventFile = path.join(dir, '..', `event-${path.basename(dir)}.json`);
    writeFileSync(eventFile, JSON.stringify(event));

    // Act
    const result = await cli(['replay', '--snapshot', dir, '--event', eventFile, '--config', DEMO_CONFIG]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      skipped: 'account 123456789012 in eu-west-1 is not in the fleet',
      actions: [],
      notifications: [],
    });
  });
});

describe('buildwarden snapshot --org', () => {
  test('writes one snapshot per account-region and the names, a fleet the audit reads as the source', async () => {
    // Prepare
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'bw-org-')), 'fleet');

    // Act
    const result = await cli([
      'snapshot',
      '--org',
      '--snapshot',
      DEMO_FLEET,
      '--out',
      out,
      '--accounts',
      '111111111111',
    ]);
    const fromCopy = await cli(['audit', '--org', '--snapshot', out, '--format', 'json']);
    const fromSource = await cli([
      'audit',
      '--org',
      '--snapshot',
      DEMO_FLEET,
      '--format',
      'json',
      '--accounts',
      '111111111111',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      '111111111111.eu-west-1.json',
      '111111111111.us-east-1.json',
      'fleet.json',
    ]);
    expect(JSON.parse(readFileSync(path.join(out, 'fleet.json'), 'utf8'))).toEqual({
      format: 'buildwarden-fleet/1',
      accounts: { '111111111111': { name: 'payments-prod' } },
    });
    expect((JSON.parse(fromCopy.stdout) as OrgJson).summary.byAccount).toEqual(
      (JSON.parse(fromSource.stdout) as OrgJson).summary.byAccount,
    );
  });

  test.each([
    [['snapshot', '--org'], /--org: --out DIR is required/],
    [['snapshot', '--org', '--out', 'x'], /--org: the member role's external id is required/],
    [['snapshot', '--regions', 'us-east-1'], /--regions goes with --org/],
  ])('%j exits 2 naming what is missing', async (argv, message) => {
    // Act
    const result = await cli(argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

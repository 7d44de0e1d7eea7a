/**
 * `buildwarden audit` reports on the demo account: --format html|csv, --out, and --baseline with an earlier
 * --format json report (the delta: new, resolved, still open with age).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { cli, tempFile } from '../fixtures/cli';

const DEMO = ['--snapshot', 'demo/account.json', '--config', 'demo/guardrails.yml'];

interface JsonReport {
  accountId: string;
  region: string;
  generatedAt: string;
  findings: { ruleId: string; resourceArn: string; status: string; firstSeen?: string }[];
  delta?: { newFindings: unknown[]; resolved: { resolution: string }[]; stillOpen: unknown[] };
}

async function baselineFile(edit: (report: JsonReport) => unknown = (r) => r): Promise<string> {
  const result = await cli(['audit', ...DEMO, '--format', 'json']);
  const report = JSON.parse(result.stdout) as JsonReport;
  return tempFile('previous.json', JSON.stringify(edit(report)));
}

const isOpen = (f: { status: string }) => f.status === 'violation' || f.status === 'not-visible';

describe('buildwarden audit --baseline', () => {
  test('against its own earlier report, the table leads with "nothing new"', async () => {
    const previous = await baselineFile();

    const result = await cli(['audit', ...DEMO, '--baseline', previous]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Since the last audit \([^)]+\): nothing new; \d+ still open\.\n/);
    expect(result.stdout).toMatch(/^STATUS\s+SEVERITY\s+RULE/m);
  });

  test('a violation missing from the baseline is new, named by rule and resource', async () => {
    const previous = await baselineFile((r) => ({
      ...r,
      findings: r.findings.filter(
        (f) => !(f.ruleId === 'ecr.tag-immutability' && f.resourceArn.endsWith('/web/frontend')),
      ),
    }));

    const result = await cli(['audit', ...DEMO, '--baseline', previous]);

    expect(result.stdout).toMatch(/: 1 new; /);
    expect(result.stdout).toMatch(/New \(1\):\n {2}medium {3}ecr\.tag-immutability on web\/frontend\n/);
  });

  test('a violation of the baseline that is now compliant is resolved as fixed', async () => {
    const extra = {
      ruleId: 'ecr.encryption',
      resourceType: 'AWS::ECR::Repository',
      resourceArn: 'arn:aws:ecr:us-east-1:123456789012:repository/shared/base-images',
      status: 'violation',
      severity: 'medium',
      message: 'was AES256',
      remediable: false,
    };
    const previous = await baselineFile((r) => ({
      ...r,
      findings: [
        ...r.findings.filter((f) => !(f.ruleId === extra.ruleId && f.resourceArn === extra.resourceArn)),
        extra,
      ],
    }));

    const result = await cli(['audit', ...DEMO, '--baseline', previous, '--format', 'json']);

    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.delta!.resolved).toEqual([
      expect.objectContaining({ resourceArn: extra.resourceArn, resolution: 'fixed', status: 'compliant' }),
    ]);
  });

  test('open findings keep the first-seen time of the baseline, and the JSON says so for the next run', async () => {
    const previous = await baselineFile((r) => ({
      ...r,
      findings: r.findings.map((f) => (isOpen(f) ? { ...f, firstSeen: '2026-01-01T00:00:00.000Z' } : f)),
    }));

    const result = await cli(['audit', ...DEMO, '--baseline', previous, '--format', 'json']);

    const report = JSON.parse(result.stdout) as JsonReport;
    const open = report.findings.filter(isOpen);
    expect(open.length).toBeGreaterThan(0);
    expect(new Set(open.map((f) => f.firstSeen))).toEqual(new Set(['2026-01-01T00:00:00.000Z']));
    expect(report.delta!.newFindings).toEqual([]);
  });

  test('an older report with only findings and summary still works: ages are unknown', async () => {
    const previous = await baselineFile((r) => ({
      findings: r.findings.map(({ firstSeen: _, ...f }) => f),
      summary: {},
    }));

    const result = await cli(['audit', ...DEMO, '--baseline', previous]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Since the last audit: nothing new;/);
    expect(result.stdout).toMatch(/— open since before the baseline\n/);
  });

  test('--rules: open findings of rules not run are not called resolved', async () => {
    const previous = await baselineFile();

    const result = await cli(['audit', ...DEMO, '--rules', 'ecr.encryption', '--baseline', previous]);

    expect(result.stdout).not.toMatch(/Resolved/);
    expect(result.stdout).toMatch(/\d+ open before, of rules this audit did not run: not checked\./);
  });

  test('a file that is not an earlier JSON report exits 2 naming the path', async () => {
    const result = await cli(['audit', ...DEMO, '--baseline', 'demo/account.json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--baseline demo\/account\.json is not an earlier `buildwarden audit --format json` report:\n {2}findings: /,
    );
    expect(result.stdout).toBe('');
  });

  test('a baseline that is not JSON exits 2 naming the file', async () => {
    const result = await cli(['audit', ...DEMO, '--baseline', tempFile('previous.json', 'STATUS  SEVERITY')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/previous\.json/);
  });

  test('a baseline that does not exist exits 2 naming it', async () => {
    const result = await cli(['audit', ...DEMO, '--baseline', 'no/such/previous.json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read no\/such\/previous\.json: no such file/);
  });

  test('a baseline of another account exits 2 saying which', async () => {
    const previous = await baselineFile((r) => ({ ...r, accountId: '999999999999' }));

    const result = await cli(['audit', ...DEMO, '--baseline', previous]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--baseline .*previous\.json: it is a report of account 999999999999 in us-east-1/,
    );
  });
});

describe('buildwarden audit --format html|csv --out', () => {
  test('--format html --out writes one self-contained page and says so on stderr', async () => {
    const out = path.join(path.dirname(tempFile('x', '')), 'report.html');

    const result = await cli(['audit', ...DEMO, '--format', 'html', '--out', out]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^wrote .*report\.html \(\d+ findings\)\n$/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('id="chart-rule"');
    expect(html).not.toMatch(/\s(src|href)=/);
  });

  test('the report file is readable by its owner only', async () => {
    const out = path.join(path.dirname(tempFile('x', '')), 'report.csv');

    await cli(['audit', ...DEMO, '--format', 'csv', '--out', out]);

    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  test('--format html with --baseline holds the delta section', async () => {
    const previous = await baselineFile();

    const result = await cli(['audit', ...DEMO, '--format', 'html', '--baseline', previous]);

    expect(result.stdout).toMatch(/<p class="headline" id="delta-headline">Since the baseline/);
  });

  test('--format csv prints a header and a record per finding', async () => {
    const json = JSON.parse((await cli(['audit', ...DEMO, '--format', 'json'])).stdout) as JsonReport;

    const result = await cli(['audit', ...DEMO, '--format', 'csv']);

    const lines = result.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^"accountId","region","status","severity","ruleId",/);
    expect(lines).toHaveLength(json.findings.length + 1);
  });

  test('--format json --out writes the report that a later --baseline reads', async () => {
    const out = path.join(path.dirname(tempFile('x', '')), 'previous.json');
    await cli(['audit', ...DEMO, '--format', 'json', '--out', out]);

    const result = await cli(['audit', ...DEMO, '--baseline', out]);

    expect(result.stdout).toMatch(/nothing new/);
  });

  test('--out into a directory that does not exist exits 2 naming the path', async () => {
    const result = await cli(['audit', ...DEMO, '--format', 'html', '--out', 'no/such/dir/report.html']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write --out no\/such\/dir\/report\.html: no such directory/);
    expect(existsSync('no/such/dir')).toBe(false);
  });

  test('an unknown format exits 2 listing the formats', async () => {
    const result = await cli(['audit', ...DEMO, '--format', 'xml']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--format must be one of table, json, html, csv, asff \(got "xml"\)/);
  });
});

/**
 * The CLI end to end on snapshot files: the same `run(argv, io)` the `buildwarden` binary calls, in process,
 * plus one spawn of the built binary to prove the packaging.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RULE_IDS } from '../../lib/policy/guardrails';
import { REPO_ROOT } from '../fixtures/load';
import { cli, tempFile } from '../fixtures/cli';

const DEMO = 'demo/account.json';
const DEMO_CONFIG = 'demo/guardrails.yml';

describe('buildwarden audit --snapshot', () => {
  test('the demo account has violations: exit 1 and a findings table', async () => {
    const result = await cli(['audit', '--snapshot', DEMO, '--config', DEMO_CONFIG]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^STATUS\s+SEVERITY\s+RULE\s+RESOURCE/m);
    expect(result.stdout).toMatch(/violation\s+critical\s+ecr\.repository-policy\s+web\/legacy-cache/);
  });

  test('JSON output has the documented finding fields and a summary', async () => {
    const result = await cli(['audit', '--snapshot', DEMO, '--config', DEMO_CONFIG, '--format', 'json']);

    const report = JSON.parse(result.stdout) as {
      findings: Record<string, unknown>[];
      summary: { byStatus: Record<string, number> };
    };
    expect(Object.keys(report.findings[0]!).sort()).toEqual(
      expect.arrayContaining([
        'message',
        'remediable',
        'resourceArn',
        'resourceType',
        'ruleId',
        'severity',
        'status',
      ]),
    );
    const statuses = new Set(report.findings.map((f) => f.status));
    expect(statuses).toEqual(
      new Set(['violation', 'compliant', 'exempt', ...(statuses.has('not-visible') ? ['not-visible'] : [])]),
    );
    expect(report.summary.byStatus.violation).toBe(
      report.findings.filter((f) => f.status === 'violation').length,
    );
  });

  test('the demo account has both compliant and non-compliant repositories', async () => {
    const result = await cli([
      'audit',
      '--snapshot',
      DEMO,
      '--format',
      'json',
      '--rules',
      'ecr.lifecycle-policy,ecr.scan-on-push,ecr.tag-immutability,ecr.encryption,ecr.repository-policy',
    ]);

    const { findings } = JSON.parse(result.stdout) as { findings: { resourceArn: string; status: string }[] };
    const failing = new Set(findings.filter((f) => f.status === 'violation').map((f) => f.resourceArn));
    const all = new Set(findings.map((f) => f.resourceArn));
    expect(failing.size).toBeGreaterThan(0);
    expect([...all].filter((arn) => !failing.has(arn)).length).toBeGreaterThan(0);
  });

  test('--rules restricts the audit to the named rules', async () => {
    const result = await cli(['audit', '--snapshot', DEMO, '--format', 'json', '--rules', 'ecr.encryption']);

    const { findings } = JSON.parse(result.stdout) as { findings: { ruleId: string }[] };
    expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set(['ecr.encryption']));
  });

  test('an unknown rule id exits 2 listing the valid ids', async () => {
    const result = await cli(['audit', '--snapshot', DEMO, '--rules', 'ecr.encryption,ecr.nope']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown rule id\(s\): ecr\.nope/);
    for (const id of RULE_IDS) expect(result.stderr).toContain(id);
  });

  test('a compliant account exits 0', async () => {
    const snapshot = JSON.parse(readFileSync(path.join(REPO_ROOT, DEMO), 'utf8')) as {
      ecr: { repositories: { repositoryName: string }[] };
    };
    snapshot.ecr.repositories = snapshot.ecr.repositories.filter((r) => r.repositoryName === 'payments/api');
    const file = tempFile('ok.json', JSON.stringify(snapshot));

    const result = await cli([
      'audit',
      '--snapshot',
      file,
      '--rules',
      'ecr.lifecycle-policy,ecr.scan-on-push,ecr.tag-immutability,ecr.encryption,ecr.repository-policy',
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test('a snapshot that breaks the schema exits 2 naming the JSON path', async () => {
    const file = tempFile(
      'bad.json',
      JSON.stringify({
        format: 'buildwarden-snapshot/1',
        accountId: '123456789012',
        region: 'us-east-1',
        ecr: { repositories: [{ repositoryName: 'x' }] },
      }),
    );

    const result = await cli(['audit', '--snapshot', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ecr\.repositories\[0\]\.repositoryArn/);
    expect(result.stdout).toBe('');
  });

  test('a snapshot that is not JSON exits 2', async () => {
    const result = await cli(['audit', '--snapshot', tempFile('x.json', 'not json')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON/);
  });

  test('a missing snapshot file exits 2 naming it', async () => {
    const result = await cli(['audit', '--snapshot', 'no/such/file.json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read no\/such\/file\.json: no such file/);
  });

  test('a bad guardrails file exits 2 naming the key path', async () => {
    const config = tempFile('g.yml', 'rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: 0\n');

    const result = await cli(['audit', '--snapshot', DEMO, '--config', config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /rules\.ecr\.lifecycle-policy\.maxUntaggedAgeDays: expected positive integer/,
    );
  });

  test('an unknown option exits 2 with the usage', async () => {
    const result = await cli(['audit', '--snapshott', DEMO]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: buildwarden audit/);
  });

  test('a bad --format exits 2', async () => {
    const result = await cli(['audit', '--snapshot', DEMO, '--format', 'xml']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--format must be one of table, json/);
  });

  test('the guardrails come from $BUILDWARDEN_CONFIG when --config is absent', async () => {
    const config = tempFile('g.yml', 'rules:\n  ecr.encryption:\n    mode: "off"\n');

    const result = await cli(['audit', '--snapshot', DEMO, '--format', 'json'], {
      BUILDWARDEN_CONFIG: config,
    });

    const { findings } = JSON.parse(result.stdout) as { findings: { ruleId: string }[] };
    expect(findings.some((f) => f.ruleId === 'ecr.encryption')).toBe(false);
  });

  test('a malformed setting in the environment exits 2 naming the variable', async () => {
    const result = await cli(['audit', '--snapshot', DEMO], { BUILDWARDEN_AUDIT_CONCURRENCY: 'many' });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/BUILDWARDEN_AUDIT_CONCURRENCY/);
  });
});

describe('buildwarden config validate', () => {
  test('prints the effective config with defaults filled in', async () => {
    const result = await cli(['config', 'validate', DEMO_CONFIG]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/allowedOrganizations:\n\s+- o-a1b2c3d4e5/);
    expect(result.stdout).toMatch(/maxUntaggedAgeDays: 14/);
  });

  test('without a file prints the built-in defaults', async () => {
    const result = await cli(['config', 'validate'], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/effective guardrails from/);
  });

  test('shows the provisioning namespaces with their defaults', async () => {
    const result = await cli(['config', 'validate'], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /provisioning:\n\s+parameterPrefixes:\n\s+- \/ci\/\{name\}\/\n\s+secretPrefixes:\n\s+- ci\/\{name\}\/\n\s+sourceBuckets: \[\]/,
    );
  });

  test('a wildcard namespace exits 2 naming its path', async () => {
    const config = tempFile('g.yml', "provisioning:\n  secretPrefixes: ['ci/*']\n");

    const result = await cli(['config', 'validate', config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/provisioning\.secretPrefixes\[0\]: must not contain a wildcard/);
  });

  test('an invalid file exits 2 with the path of every problem', async () => {
    const config = tempFile(
      'g.yml',
      'rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: -1\n  ecr.tag-immutability:\n    mode: sometimes\n',
    );

    const result = await cli(['config', 'validate', config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /rules\.ecr\.lifecycle-policy\.maxUntaggedAgeDays: expected positive integer/,
    );
    expect(result.stderr).toMatch(/rules\.ecr\.tag-immutability\.mode:/);
  });
});

describe('help and usage', () => {
  test('--help of a command lists every option it accepts', async () => {
    const result = await cli(['audit', '--help']);

    expect(result.code).toBe(0);
    for (const flag of ['--snapshot', '--config', '--format', '--rules'])
      expect(result.stdout).toContain(flag);
  });

  test('an unknown command exits 2', async () => {
    const result = await cli(['frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe('the built binary', () => {
  test('bin/buildwarden.js runs the audit on the demo snapshot', () => {
    const result = spawnSync(
      process.execPath,
      ['bin/buildwarden.js', 'audit', '--snapshot', DEMO, '--format', 'json'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );

    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).summary.byStatus.violation).toBeGreaterThan(0);
  });
});

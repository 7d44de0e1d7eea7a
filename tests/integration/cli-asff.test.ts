/**
 * `buildwarden audit --format asff`: the AWS Security Finding Format documents an audit sends Security Hub,
 * printed as one JSON array — from the snapshot's findings history when it has one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import type { AsffFinding } from '../../lib/policy/asff';
import { activeRules } from '../../lib/policy/evaluate';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { runAudit } from '../../lib/usecases/audit';
import { recordAuditFindings } from '../../lib/usecases/findings-state';
import { asffProblems } from '../fixtures/asff-schema';
import { cli, tempFile } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const DEMO = 'demo/account.json';
const DEMO_CONFIG = 'demo/guardrails.yml';
const demoText = readFileSync(path.join(REPO_ROOT, DEMO), 'utf8');
const demoGuardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, DEMO_CONFIG), 'utf8'));

const asff = (snapshot: string, ...more: string[]) =>
  cli(['audit', '--snapshot', snapshot, '--config', DEMO_CONFIG, '--format', 'asff', ...more]);

/** The demo account with a findings history: audited yesterday, then scan on push enabled on web/frontend. */
async function demoWithHistory(): Promise<string> {
  const sandbox = new SandboxAccount(parseSnapshot(demoText));
  const report = await runAudit(sandboxDeps(sandbox), demoGuardrails, {
    now: new Date('2026-11-24T12:00:00.000Z'),
  });
  await recordAuditFindings({ findingsStore: sandbox.findingsStore }, report, {
    evaluatedRules: activeRules(demoGuardrails),
    retentionDays: 90,
  });
  await sandbox.remediator.apply({
    type: 'PutImageScanningConfiguration',
    repositoryName: 'web/frontend',
    scanOnPush: true,
  });
  return tempFile('account.json', `${JSON.stringify(sandbox.snapshot, null, 2)}\n`);
}

describe('buildwarden audit --format asff', () => {
  test('prints one valid ASFF document per open finding, as one JSON array, and exits 1', async () => {
    // Prepare
    const json = await cli(['audit', '--snapshot', DEMO, '--config', DEMO_CONFIG, '--format', 'json']);
    const open = (
      JSON.parse(json.stdout) as { findings: { status: string; resourceArn: string; ruleId: string }[] }
    ).findings
      .filter((f) => f.status === 'violation' || f.status === 'not-visible')
      .map((f) => `${f.resourceArn} ${f.ruleId}`);

    // Act
    const result = await asff(DEMO);

    // Assess
    expect(result.code).toBe(1);
    const documents = JSON.parse(result.stdout) as AsffFinding[];
    expect(Array.isArray(documents)).toBe(true);
    expect(documents.flatMap(asffProblems)).toEqual([]);
    expect(documents.map((d) => `${d.Resources[0]!.Id} ${d.GeneratorId}`).sort()).toEqual(
      [...new Set(open)].sort(),
    );
    expect(documents.every((d) => d.RecordState === 'ACTIVE' && d.Workflow?.Status === 'NEW')).toBe(true);
  });

  test('with the findings history in the snapshot, archives what was fixed and sends the rest as updates', async () => {
    // Prepare
    const snapshot = await demoWithHistory();

    // Act
    const result = await asff(snapshot);

    // Assess
    const documents = JSON.parse(result.stdout) as AsffFinding[];
    expect(documents.flatMap(asffProblems)).toEqual([]);
    const fixed = documents.find(
      (d) => d.GeneratorId === 'ecr.scan-on-push' && d.Resources[0]!.Id.endsWith(':repository/web/frontend'),
    );
    expect(fixed).toMatchObject({
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
      FirstObservedAt: '2026-11-24T12:00:00.000Z',
    });
    expect(documents.filter((d) => d.Workflow !== undefined)).toEqual([]);
  });

  test('writes nothing back to the snapshot', async () => {
    // Prepare
    const snapshot = await demoWithHistory();
    const before = readFileSync(snapshot, 'utf8');

    // Act
    await asff(snapshot);

    // Assess
    expect(readFileSync(snapshot, 'utf8')).toBe(before);
  });

  test('an unknown format is bad usage: exit 2, naming the flag and the formats', async () => {
    // Act
    const result = await cli(['audit', '--snapshot', DEMO, '--format', 'sarif']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--format must be one of table, json, html, csv, asff \(got "sarif"\)/);
  });

  test('is listed in the audit help', async () => {
    // Act
    const result = await cli(['audit', '--help']);

    // Assess
    expect(result.stdout).toMatch(/--format table\|json\|html\|csv\|asff/);
    expect(result.stdout).toMatch(/asff \(the AWS Security Finding Format documents sent to Security Hub\)/);
  });
});

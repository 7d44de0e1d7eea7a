/**
 * The sandbox's findings state (kept in the snapshot, `buildwarden.findings`) and its simulated Security Hub.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toAsff } from '../../../lib/policy/asff';
import type { FindingRecord } from '../../../lib/policy/finding-state';
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { InvalidInputError } from '../../../lib/policy/validation';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { SandboxSecurityHub } from '../../../lib/sandbox/securityhub';
import { ACCOUNT, REGION } from '../../fixtures/builders';

const SCOPE = { accountId: ACCOUNT, region: REGION };
const NOW = new Date('2026-11-25T12:00:00.000Z');

const snapshotText = (buildwarden?: unknown) =>
  JSON.stringify({
    format: 'buildwarden-snapshot/1',
    accountId: ACCOUNT,
    region: REGION,
    ecr: { repositories: [] },
    codebuild: { projects: [] },
    iam: { roles: [], policies: [] },
    ...(buildwarden ? { buildwarden } : {}),
  });

function record(i = 0, overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    ...SCOPE,
    resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-${i}`,
    resourceType: 'AWS::ECR::Repository',
    ruleId: 'ecr.scan-on-push',
    state: 'open',
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled',
    firstSeen: '2026-11-20T06:00:00.000Z',
    lastSeen: '2026-11-20T12:00:00.000Z',
    ...overrides,
  };
}

describe('the sandbox findings state', () => {
  it('lives in the snapshot file: records written are there after save and load', async () => {
    // Prepare
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-findings-')), 'account.json');
    const account = new SandboxAccount(parseSnapshot(snapshotText()));
    await account.findingsStore.writeRecords([record(1), record(2)]);

    // Act
    account.saveTo(file);
    const reloaded = SandboxAccount.fromFile(file);

    // Assess
    expect(await reloaded.findingsStore.records(SCOPE)).toEqual([record(1), record(2)]);
    expect(JSON.parse(readFileSync(file, 'utf8')).buildwarden.findings).toHaveLength(2);
  });

  it('adds nothing to a snapshot whose findings were never written', () => {
    // Prepare
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-findings-')), 'account.json');
    const account = new SandboxAccount(parseSnapshot(snapshotText({ verdicts: [], builds: [] })));

    // Act
    account.saveTo(file);

    // Assess
    expect(JSON.parse(readFileSync(file, 'utf8')).buildwarden).toEqual({ verdicts: [], builds: [] });
  });

  it('rejects a snapshot holding a malformed findings record, naming the JSON path', () => {
    // Act
    const parsing = () =>
      parseSnapshot(snapshotText({ findings: [{ ...record(), state: 'maybe' }] }), 'account.json');

    // Assess
    expect(parsing).toThrow(InvalidInputError);
    expect(parsing).toThrow(/buildwarden\.findings\[0\]\.state/);
  });

  it('counts a BatchWriteItem call per 25 records and a Query per read, as the adapter makes them', async () => {
    // Prepare
    const account = new SandboxAccount(parseSnapshot(snapshotText()));

    // Act
    await account.findingsStore.writeRecords(Array.from({ length: 60 }, (_, i) => record(i)));
    await account.findingsStore.records(SCOPE);

    // Assess
    expect(account.calls.get('dynamodb:BatchWriteItem')).toBe(3);
    expect(account.calls.get('dynamodb:Query')).toBe(1);
  });
});

describe('the simulated Security Hub', () => {
  const document = (overrides: Partial<FindingRecord> = {}, firstSight = false, now = NOW) =>
    toAsff(record(1, overrides), { now, firstSight });

  it('creates a finding NEW when it is first imported, whether or not the document says so', async () => {
    // Prepare
    const hub = new SandboxSecurityHub();

    // Act
    await hub.importFindings([document({}, false)]);

    // Assess
    expect(hub.findings.get(document().Id)?.Workflow).toEqual({ Status: 'NEW' });
  });

  it('keeps the workflow status a person set when the finding is imported again', async () => {
    // Prepare
    const hub = new SandboxSecurityHub();
    await hub.importFindings([document({}, true)]);
    hub.updateWorkflow(document().Id, 'SUPPRESSED');

    // Act
    await hub.importFindings([document({ severity: 'high' }, true, new Date('2026-11-26T00:00:00Z'))]);

    // Assess
    expect(hub.findings.get(document().Id)).toMatchObject({
      Workflow: { Status: 'SUPPRESSED' },
      Severity: { Label: 'HIGH' },
    });
  });

  it('sets a RESOLVED finding back to NEW when it becomes active again after it was archived', async () => {
    // Prepare
    const hub = new SandboxSecurityHub();
    const archived = toAsff(
      record(1, {
        state: 'resolved',
        status: 'compliant',
        resolvedAt: NOW.toISOString(),
        resolution: 'fixed',
        expiresAt: 1_803_384_000,
      }),
      { now: NOW, firstSight: false },
    );
    await hub.importFindings([document({}, true, new Date('2026-11-24T00:00:00Z'))]);
    hub.updateWorkflow(archived.Id, 'RESOLVED');
    await hub.importFindings([archived]);

    // Act
    await hub.importFindings([document({}, false, new Date('2026-11-26T00:00:00Z'))]);

    // Assess
    expect(hub.findings.get(archived.Id)).toMatchObject({
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
  });

  it('ignores an update older than the stored finding', async () => {
    // Prepare
    const hub = new SandboxSecurityHub();
    await hub.importFindings([document({ severity: 'high' }, true, new Date('2026-11-26T00:00:00Z'))]);

    // Act
    await hub.importFindings([document({ severity: 'low' }, false, NOW)]);

    // Assess
    expect(hub.findings.get(document().Id)?.Severity.Label).toBe('HIGH');
  });

  it('counts a BatchImportFindings call per 100 findings', async () => {
    // Prepare
    const account = new SandboxAccount(parseSnapshot(snapshotText()));
    const documents = Array.from({ length: 250 }, (_, i) =>
      toAsff(record(i), { now: NOW, firstSight: true }),
    );

    // Act
    const result = await account.securityHub.importFindings(documents);

    // Assess
    expect(result).toEqual({ imported: 250, failed: [] });
    expect(account.calls.get('securityhub:BatchImportFindings')).toBe(3);
  });
});

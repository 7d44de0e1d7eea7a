/**
 * The findings-state use cases on the sandbox: audits of the demo account, one after another, keep the
 * findings history in the snapshot and Security Hub (simulated) in step; the change handler's records of one
 * resource; what happens when Security Hub does not take a document.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import { asffId } from '../../lib/policy/asff';
import { activeRules } from '../../lib/policy/evaluate';
import type { FindingRecord } from '../../lib/policy/finding-state';
import { parseGuardrails, type Guardrails, type RuleId } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { FindingsStore, ImportFailure, SecurityHubPublisher } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { runAudit, type AuditReport } from '../../lib/usecases/audit';
import {
  recordAuditFindings,
  recordResourceFindings,
  type FindingsStateDeps,
} from '../../lib/usecases/findings-state';
import { asffProblems } from '../fixtures/asff-schema';
import { REPO_ROOT } from '../fixtures/load';

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const demoGuardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const SCOPE = { accountId: ACCOUNT, region: REGION };
const SETTINGS = { retentionDays: 90 };
const repo = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const DAY1 = new Date('2026-11-24T12:00:00.000Z');
const DAY2 = new Date('2026-11-25T12:00:00.000Z');
const DAY3 = new Date('2026-11-26T12:00:00.000Z');

const demoSandbox = () => new SandboxAccount(parseSnapshot(demoText));

async function audit(
  sandbox: SandboxAccount,
  now: Date,
  options: { guardrails?: Guardrails; ruleIds?: RuleId[] } = {},
): Promise<{ report: AuditReport; evaluatedRules: ReadonlySet<string> }> {
  const guardrails = options.guardrails ?? demoGuardrails;
  const report = await runAudit(sandboxDeps(sandbox), guardrails, {
    now,
    ...(options.ruleIds ? { ruleIds: options.ruleIds } : {}),
  });
  return { report, evaluatedRules: activeRules(guardrails, options.ruleIds) };
}

/** Audit, then record the findings, with the sandbox's store and (by default) its simulated Security Hub. */
async function auditAndRecord(
  sandbox: SandboxAccount,
  now: Date,
  options: { guardrails?: Guardrails; ruleIds?: RuleId[]; securityHub?: SecurityHubPublisher | null } = {},
) {
  const { report, evaluatedRules } = await audit(sandbox, now, options);
  const deps: FindingsStateDeps = {
    findingsStore: sandbox.findingsStore,
    ...(options.securityHub === null ? {} : { securityHub: options.securityHub ?? sandbox.securityHub }),
  };
  return recordAuditFindings(deps, report, { evaluatedRules, ...SETTINGS });
}

const stored = async (sandbox: SandboxAccount) => sandbox.findingsStore.records(SCOPE);
const recordOf = (records: FindingRecord[], ruleId: string, resourceArn: string) =>
  records.find((r) => r.ruleId === ruleId && r.resourceArn === resourceArn);

describe('the first audit', () => {
  it('opens one record per open finding (violations and not-visible) and none for the rest', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const { report } = await audit(demoSandbox(), DAY1);
    const open = new Set(
      report.findings
        .filter((f) => f.status === 'violation' || f.status === 'not-visible')
        .map((f) => `${f.resourceArn} ${f.ruleId}`),
    );

    // Act
    const result = await auditAndRecord(sandbox, DAY1);

    // Assess
    const records = await stored(sandbox);
    expect(new Set(records.map((r) => `${r.resourceArn} ${r.ruleId}`))).toEqual(open);
    expect(records.every((r) => r.state === 'open' && r.firstSeen === DAY1.toISOString())).toBe(true);
    expect(result.changes.every((c) => c.change === 'opened')).toBe(true);
    expect(result.written).toBe(open.size);
    expect(recordOf(records, 'ecr.scan-on-push', repo('sandbox/experiments'))).toBeUndefined();
  });

  it('sends Security Hub one valid ASFF document per record, each NEW and ACTIVE', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const result = await auditAndRecord(sandbox, DAY1);

    // Assess
    const records = await stored(sandbox);
    const imported = [...sandbox.securityHub.findings.values()];
    expect(result.securityHub).toEqual({ documents: records.length, imported: records.length, failed: [] });
    expect(imported.map((f) => f.Id).sort()).toEqual(records.map(asffId).sort());
    expect(imported.flatMap(asffProblems)).toEqual([]);
    expect(imported.every((f) => f.RecordState === 'ACTIVE' && f.Workflow.Status === 'NEW')).toBe(true);
    expect(sandbox.calls.get('securityhub:BatchImportFindings')).toBe(1);
  });
});

describe('the next audits', () => {
  it('resolve what was fixed, deleted or exempted, and keep firstSeen of what is still open', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });
    await sandbox.provisioner.deleteRepository('data/etl', true);
    const guardrails = structuredClone(demoGuardrails);
    guardrails.exemptions.push({
      repositories: ['web/legacy-cache'],
      projects: [],
      rules: ['ecr.tag-immutability'],
      reason: 'read-only cache, retired in Q1',
    });

    // Act
    const result = await auditAndRecord(sandbox, DAY2, { guardrails });

    // Assess
    const records = await stored(sandbox);
    expect(recordOf(records, 'ecr.scan-on-push', repo('web/frontend'))).toMatchObject({
      state: 'resolved',
      resolution: 'fixed',
      resolvedAt: DAY2.toISOString(),
    });
    expect(recordOf(records, 'ecr.lifecycle-policy', repo('data/etl'))).toMatchObject({
      state: 'resolved',
      resolution: 'deleted',
    });
    expect(recordOf(records, 'ecr.tag-immutability', repo('web/legacy-cache'))).toMatchObject({
      state: 'resolved',
      status: 'exempt',
      resolution: 'exempted',
    });
    expect(recordOf(records, 'ecr.tag-immutability', repo('web/frontend'))).toMatchObject({
      state: 'open',
      firstSeen: DAY1.toISOString(),
      lastSeen: DAY2.toISOString(),
    });
    expect(result.changes.filter((c) => c.change === 'opened')).toEqual([]);
  });

  it('archive the resolved findings in Security Hub and keep a workflow status a person set', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    const stillOpen = (await stored(sandbox)).find(
      (r) => r.ruleId === 'ecr.tag-immutability' && r.resourceArn === repo('web/frontend'),
    )!;
    sandbox.securityHub.updateWorkflow(asffId(stillOpen), 'NOTIFIED');
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });

    // Act
    await auditAndRecord(sandbox, DAY2);

    // Assess
    const fixedId = asffId({ ...SCOPE, ruleId: 'ecr.scan-on-push', resourceArn: repo('web/frontend') });
    expect(sandbox.securityHub.findings.get(fixedId)).toMatchObject({
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
      UpdatedAt: DAY2.toISOString(),
    });
    expect(sandbox.securityHub.findings.get(asffId(stillOpen))).toMatchObject({
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NOTIFIED' },
      UpdatedAt: DAY2.toISOString(),
    });
  });

  it('with nothing changed, only move lastSeen of open records and leave resolved ones alone', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });
    await auditAndRecord(sandbox, DAY2);
    const before = await stored(sandbox);

    // Act
    const result = await auditAndRecord(sandbox, DAY3);

    // Assess
    expect(new Set(result.changes.map((c) => c.change))).toEqual(new Set(['updated']));
    expect(result.written).toBe(before.filter((r) => r.state === 'open').length);
    expect(recordOf(await stored(sandbox), 'ecr.scan-on-push', repo('web/frontend'))).toEqual(
      recordOf(before, 'ecr.scan-on-push', repo('web/frontend')),
    );
  });

  it('open the finding again when it comes back, as a new occurrence', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });
    await auditAndRecord(sandbox, DAY2);
    // Someone turns scan on push off again (buildwarden never writes false).
    sandbox.snapshot.ecr.repositories.find(
      (r) => r.repositoryName === 'web/frontend',
    )!.imageScanningConfiguration = { scanOnPush: false };

    // Act
    const result = await auditAndRecord(sandbox, DAY3);

    // Assess
    expect(
      result.changes.find(
        (c) => c.record.resourceArn === repo('web/frontend') && c.record.ruleId === 'ecr.scan-on-push',
      ),
    ).toMatchObject({ change: 'reopened', record: { state: 'open', firstSeen: DAY3.toISOString() } });
    const id = asffId({ ...SCOPE, ruleId: 'ecr.scan-on-push', resourceArn: repo('web/frontend') });
    expect(sandbox.securityHub.findings.get(id)).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
    });
  });

  it('leave open records of rules that did not run as they are', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    const before = await stored(sandbox);

    // Act: only the repository policy rule runs
    const result = await auditAndRecord(sandbox, DAY2, { ruleIds: ['ecr.repository-policy'] });

    // Assess
    const others = before.filter((r) => r.ruleId !== 'ecr.repository-policy');
    expect(result.unchecked).toBe(others.length);
    const after = await stored(sandbox);
    for (const r of others) expect(recordOf(after, r.ruleId, r.resourceArn)).toEqual(r);
  });
});

describe('when Security Hub does not take a document', () => {
  /** The simulated Security Hub, refusing the findings whose ids are given. */
  function refusing(sandbox: SandboxAccount, ids: Set<string>): SecurityHubPublisher {
    return {
      async importFindings(findings) {
        const failed: ImportFailure[] = findings
          .filter((f) => ids.has(f.Id))
          .map((f) => ({ id: f.Id, errorCode: 'InternalError', errorMessage: 'try again later' }));
        const result = await sandbox.securityHub.importFindings(findings.filter((f) => !ids.has(f.Id)));
        return { imported: result.imported, failed };
      },
    };
  }
  const fixedId = asffId({ ...SCOPE, ruleId: 'ecr.scan-on-push', resourceArn: repo('web/frontend') });

  it('does not record a resolution whose archive failed, so the next audit resolves and sends it again', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });

    // Act
    const failing = await auditAndRecord(sandbox, DAY2, {
      securityHub: refusing(sandbox, new Set([fixedId])),
    });
    const recovering = await auditAndRecord(sandbox, DAY3);

    // Assess
    expect(failing.securityHub?.failed).toEqual([
      { id: fixedId, errorCode: 'InternalError', errorMessage: 'try again later' },
    ]);
    expect(failing.notWritten).toEqual([
      {
        record: expect.objectContaining({ resourceArn: repo('web/frontend') }),
        reason: expect.stringMatching(/did not archive/),
      },
    ]);
    expect(
      recovering.changes.filter((c) => c.change === 'resolved').map((c) => c.record.resourceArn),
    ).toEqual([repo('web/frontend')]);
    expect(sandbox.securityHub.findings.get(fixedId)?.RecordState).toBe('ARCHIVED');
  });

  it('still keeps the state when the import fails as a whole, and says why', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const denied: SecurityHubPublisher = {
      async importFindings() {
        const error = new Error('Account 123456789012 is not subscribed to AWS Security Hub');
        error.name = 'InvalidAccessException';
        throw error;
      },
    };

    // Act
    const result = await auditAndRecord(sandbox, DAY1, { securityHub: denied });

    // Assess
    expect(result.securityHub).toMatchObject({
      imported: 0,
      error: 'InvalidAccessException: Account 123456789012 is not subscribed to AWS Security Hub',
    });
    expect(result.written).toBe((await stored(sandbox)).length);
    expect(result.written).toBeGreaterThan(0);
  });

  it('sends nothing to Security Hub when it is not enabled', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const result = await auditAndRecord(sandbox, DAY1, { securityHub: null });

    // Assess
    expect(result).not.toHaveProperty('securityHub');
    expect(sandbox.calls.get('securityhub:BatchImportFindings')).toBeUndefined();
    expect(result.written).toBeGreaterThan(0);
  });
});

describe('the change handler: the records of the resources it evaluated', () => {
  const frontend = repo('web/frontend');
  const scanOnPush = (status: 'violation' | 'compliant') => ({
    ruleId: 'ecr.scan-on-push' as const,
    resourceType: 'AWS::ECR::Repository' as const,
    resourceArn: frontend,
    status,
    severity: 'medium' as const,
    message: status === 'violation' ? 'scan on push is disabled' : 'scan on push is enabled',
    remediable: status === 'violation',
  });
  const deps = (sandbox: SandboxAccount): FindingsStateDeps => ({
    findingsStore: sandbox.findingsStore,
    securityHub: sandbox.securityHub,
  });

  it('marks a finding it fixed, and the next audit resolves it as remediated', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    const at = new Date('2026-11-24T13:00:00.000Z');

    // Act: the handler judged the repository (violation), then enabled scan on push
    const handled = await recordResourceFindings(
      deps(sandbox),
      {
        scope: SCOPE,
        now: at,
        resources: [{ resourceArn: frontend, exists: true }],
        findings: [scanOnPush('violation')],
        evaluatedRules: new Set(['ecr.scan-on-push']),
        remediated: [{ resourceArn: frontend, ruleId: 'ecr.scan-on-push' }],
      },
      SETTINGS,
    );
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });
    await auditAndRecord(sandbox, DAY2);

    // Assess
    expect(handled).toMatchObject({ written: 1, notWritten: [] });
    expect(handled.changes[0]?.record).toMatchObject({ state: 'open', remediatedAt: at.toISOString() });
    expect(recordOf(await stored(sandbox), 'ecr.scan-on-push', frontend)).toMatchObject({
      state: 'resolved',
      resolution: 'remediated',
    });
  });

  it('touches only the records of the resources it evaluated', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    const before = await stored(sandbox);

    // Act
    await recordResourceFindings(
      deps(sandbox),
      {
        scope: SCOPE,
        now: DAY2,
        resources: [{ resourceArn: frontend, exists: true }],
        findings: [scanOnPush('compliant')],
        evaluatedRules: new Set(['ecr.scan-on-push']),
      },
      SETTINGS,
    );

    // Assess
    const after = await stored(sandbox);
    expect(after.filter((r) => r.resourceArn !== frontend || r.ruleId !== 'ecr.scan-on-push')).toEqual(
      before.filter((r) => r.resourceArn !== frontend || r.ruleId !== 'ecr.scan-on-push'),
    );
    expect(recordOf(after, 'ecr.scan-on-push', frontend)).toMatchObject({ resolution: 'fixed' });
  });

  it('resolves every record of a deleted resource as deleted', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY1);
    const open = (await stored(sandbox)).filter((r) => r.resourceArn === frontend);

    // Act
    const result = await recordResourceFindings(
      deps(sandbox),
      {
        scope: SCOPE,
        now: DAY2,
        resources: [{ resourceArn: frontend, exists: false }],
        findings: [],
        evaluatedRules: activeRules(demoGuardrails),
      },
      SETTINGS,
    );

    // Assess
    expect(open.length).toBeGreaterThan(1);
    expect(result.changes.map((c) => c.record.resolution)).toEqual(open.map(() => 'deleted'));
    expect((await stored(sandbox)).filter((r) => r.resourceArn === frontend && r.state === 'open')).toEqual(
      [],
    );
  });

  it('does not write over a record observed later, and reports it', async () => {
    // Prepare: the store already holds an observation of DAY2; a stale evaluation of DAY1 (read late) arrives
    const sandbox = demoSandbox();
    await auditAndRecord(sandbox, DAY2);
    const store = sandbox.findingsStore;
    const racing: FindingsStore = {
      records: (scope) => store.records(scope),
      writeRecords: (records) => store.writeRecords(records),
      putRecord: (record) => store.putRecord(record),
      // The records as they were read before the newer observation was written.
      recordsOf: async () => [],
    };

    // Act
    const result = await recordResourceFindings(
      { findingsStore: racing },
      {
        scope: SCOPE,
        now: DAY1,
        resources: [{ resourceArn: frontend, exists: true }],
        findings: [scanOnPush('violation')],
        evaluatedRules: new Set(['ecr.scan-on-push']),
      },
      SETTINGS,
    );

    // Assess
    expect(result.written).toBe(0);
    expect(result.notWritten).toEqual([
      { record: expect.objectContaining({ resourceArn: frontend }), reason: expect.stringMatching(/newer/) },
    ]);
    expect(recordOf(await stored(sandbox), 'ecr.scan-on-push', frontend)).toMatchObject({
      lastSeen: DAY2.toISOString(),
    });
  });
});

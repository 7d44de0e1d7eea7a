/**
 * The findings state wired into its callers, on the sandbox (demo/account.json): the scheduled audit takes its
 * delta from the state and brings it up to date, the change handler records the resource it evaluated (and
 * what it fixed), and `buildwarden audit --snapshot FILE --save` keeps the history in the snapshot file.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import { parseChangeEvent } from '../../lib/policy/change-events';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { SandboxAccount } from '../../lib/sandbox/account';
import { auditAndNotify } from '../../lib/usecases/audit';
import { onChangeEvent } from '../../lib/usecases/on-change';
import { cli } from '../fixtures/cli';
import { loadJson, REPO_ROOT } from '../fixtures/load';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const SCOPE = { accountId: ACCOUNT, region: REGION };
const FRONTEND = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/web/frontend`;
const DAY1 = new Date('2026-11-24T12:00:00.000Z');
const DAY2 = new Date('2026-11-25T12:00:00.000Z');
const guardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));

const demoSandbox = () => SandboxAccount.fromFile(path.join(REPO_ROOT, 'demo/account.json'));

/** The scheduled audit on the sandbox, with its findings store and reports bucket; its summary. */
async function scheduledAudit(sandbox: SandboxAccount, now: Date) {
  const audit = await auditAndNotify(
    {
      ...sandboxDeps(sandbox),
      notifier: sandbox.notifier,
      findingsStore: sandbox.findingsStore,
      reports: sandbox.reports,
    },
    guardrails,
    { now, topOffenders: 10 },
  );
  const messages = sandbox.snapshot.sns!.topics[0]!.messages as { subject: string; message: string }[];
  return { audit, summary: messages[messages.length - 1]! };
}

const changeEvent = () =>
  parseChangeEvent(loadJson(path.join('..', '..', 'events', 'ecr-PutImageTagMutability.json')));

describe('the scheduled audit and the findings state', () => {
  it('a second audit with nothing changed says "nothing new" and keeps firstSeen of what is open', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await scheduledAudit(sandbox, DAY1);

    // Act
    const { audit, summary } = await scheduledAudit(sandbox, DAY2);

    // Assess
    expect(summary.subject).toMatch(/: nothing new; /);
    expect(audit.delta?.newFindings).toEqual([]);
    expect(audit.delta?.stillOpen.length).toBeGreaterThan(0);
    expect(audit.delta?.stillOpen.every((e) => e.firstSeen === DAY1.toISOString())).toBe(true);
  });

  it('a second audit after a fix names it as resolved, in the summary and in the state', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await scheduledAudit(sandbox, DAY1);
    await sandbox.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });

    // Act
    const { summary } = await scheduledAudit(sandbox, DAY2);

    // Assess
    expect(summary.subject).toMatch(/1 resolved/);
    expect(summary.message).toMatch(/^Resolved \(1\):\n\s+\S+\s+ecr\.scan-on-push on web\/frontend — fixed/m);
    const records = await sandbox.findingsStore.records(SCOPE);
    expect(records.find((r) => r.ruleId === 'ecr.scan-on-push' && r.resourceArn === FRONTEND)).toMatchObject({
      state: 'resolved',
      resolution: 'fixed',
    });
  });

  it('resolves the findings of a repository that is gone as deleted', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await scheduledAudit(sandbox, DAY1);
    sandbox.snapshot.ecr.repositories = sandbox.snapshot.ecr.repositories.filter(
      (r) => r.repositoryArn !== FRONTEND,
    );

    // Act
    await scheduledAudit(sandbox, DAY2);

    // Assess
    const ofFrontend = (await sandbox.findingsStore.records(SCOPE)).filter((r) => r.resourceArn === FRONTEND);
    expect(ofFrontend.length).toBeGreaterThan(0);
    expect(ofFrontend.every((r) => r.state === 'resolved' && r.resolution === 'deleted')).toBe(true);
  });

  it('keeps the HTML report and the JSON findings in the (simulated) reports bucket', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const { audit } = await scheduledAudit(sandbox, DAY1);

    // Assess
    expect(audit.reports.map((r) => r.key)).toEqual([
      `audits/${ACCOUNT}/${REGION}/20261124T120000Z/report.html`,
      `audits/${ACCOUNT}/${REGION}/20261124T120000Z/findings.json`,
    ]);
    expect(sandbox.reports.objects.get(audit.reports[0]!.key)![0]!.body).toMatch(/^<!doctype html>/i);
  });
});

describe('the change handler and the findings state', () => {
  it('records the findings of the repository it evaluated, marking those it fixed', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    await onChangeEvent(changeEvent(), sandbox.ports(), guardrails, { now: DAY1, ownRoleArns: [] });

    // Assess
    const records = await sandbox.findingsStore.records(SCOPE);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.resourceArn === FRONTEND)).toBe(true);
    expect(records.find((r) => r.ruleId === 'ecr.tag-immutability')).toMatchObject({
      state: 'open',
      remediatedAt: DAY1.toISOString(),
    });
  });

  it('the next audit resolves what it fixed as remediated', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await onChangeEvent(changeEvent(), sandbox.ports(), guardrails, { now: DAY1, ownRoleArns: [] });

    // Act
    await scheduledAudit(sandbox, DAY2);

    // Assess
    const records = await sandbox.findingsStore.records(SCOPE);
    expect(
      records.find((r) => r.ruleId === 'ecr.tag-immutability' && r.resourceArn === FRONTEND),
    ).toMatchObject({ state: 'resolved', resolution: 'remediated' });
  });

  it('records nothing on a dry run', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    await onChangeEvent(changeEvent(), sandbox.ports(), guardrails, {
      now: DAY1,
      ownRoleArns: [],
      dryRun: true,
    });

    // Assess
    expect(await sandbox.findingsStore.records(SCOPE)).toEqual([]);
  });
});

describe('buildwarden audit --snapshot FILE --save', () => {
  const copyOfDemo = () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-save-')), 'account.json');
    copyFileSync(path.join(REPO_ROOT, 'demo/account.json'), file);
    return file;
  };
  const audit = (file: string, ...more: string[]) =>
    cli(['audit', '--snapshot', file, '--config', 'demo/guardrails.yml', '--save', ...more]);

  it('keeps the findings history in the snapshot file', async () => {
    // Prepare
    const file = copyOfDemo();

    // Act
    await audit(file);

    // Assess
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { buildwarden?: { findings?: unknown[] } };
    expect(saved.buildwarden?.findings?.length).toBeGreaterThan(0);
  });

  it('takes the delta of the next audit from that history', async () => {
    // Prepare
    const file = copyOfDemo();
    await audit(file);

    // Act
    const second = await audit(file, '--format', 'json');

    // Assess
    const report = JSON.parse(second.stdout) as { delta: { newFindings: unknown[]; stillOpen: unknown[] } };
    expect(report.delta.newFindings).toEqual([]);
    expect(report.delta.stillOpen.length).toBeGreaterThan(0);
  });

  it('refuses --save without --snapshot (exit 2)', async () => {
    // Act
    const result = await cli(['audit', '--save']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--save goes with --snapshot/);
  });
});

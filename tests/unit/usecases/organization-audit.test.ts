/**
 * The organization-wide audit over a sandbox fleet: each account-region audited with the single-account audit,
 * findings carrying their account and region, counts per account with the accounts' names, and an account that
 * cannot be audited reported as one not-visible finding without failing the run.
 */
import { catalogFor } from '../../../lib/action-catalog';
import { ForbiddenError } from '../../../lib/errors';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import type { Target } from '../../../lib/ports';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { SandboxFleet } from '../../../lib/sandbox/fleet';
import { generateAccount } from '../../../lib/sandbox/generate';
import type { AuditDeps } from '../../../lib/usecases/audit';
import { ACCOUNT_NOT_AUDITED, auditOrganization } from '../../../lib/usecases/organization-audit';
import { NOW } from '../../fixtures/builders';

const TARGETS: Target[] = [
  { accountId: '111111111111', region: 'eu-west-1' },
  { accountId: '111111111111', region: 'us-east-1' },
  { accountId: '222222222222', region: 'us-east-1' },
];

function fleet(): SandboxFleet {
  return SandboxFleet.ofAccounts(
    TARGETS.map(
      (t, i) =>
        new SandboxAccount(generateAccount({ ...t, repositories: 3, projects: 1, roles: 1, seed: i + 1 })),
    ),
    { '111111111111': 'payments-prod' },
  );
}

const depsOf =
  (f: SandboxFleet) =>
  async (target: Target): Promise<AuditDeps> => {
    const ports = f.account(target).ports();
    return { ...ports, actionCatalog: catalogFor };
  };

describe('auditOrganization', () => {
  test('every finding carries the account and region it was found in', async () => {
    // Prepare
    const f = fleet();

    // Act
    const report = await auditOrganization(f, depsOf(f), defaultGuardrails(), { now: NOW });

    // Assess
    const seen = new Set(report.findings.map((x) => `${x.accountId}/${x.region}`));
    expect([...seen].sort()).toEqual(TARGETS.map((t) => `${t.accountId}/${t.region}`));
    for (const finding of report.findings) expect(finding.resourceArn).toContain(finding.accountId);
  });

  test('counts per account add up to the totals and carry the names and regions', async () => {
    // Prepare
    const f = fleet();

    // Act
    const report = await auditOrganization(f, depsOf(f), defaultGuardrails(), { now: NOW, concurrency: 2 });

    // Assess
    const byAccount = report.summary.byAccount;
    expect(Object.keys(byAccount)).toEqual(['111111111111', '222222222222']);
    expect(byAccount['111111111111']).toMatchObject({
      name: 'payments-prod',
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(byAccount['222222222222']!.name).toBeUndefined();
    const violations = Object.values(byAccount).reduce((n, a) => n + a.byStatus.violation, 0);
    expect(violations).toBe(report.summary.byStatus.violation);
    expect(report.summary.resources.repositories).toBe(9);
  });

  test('an account-region that cannot be audited is one not-visible finding naming why, and the others are audited', async () => {
    // Prepare
    const f = fleet();
    const denied = TARGETS[2]!;
    const depsFor = async (target: Target) => {
      if (target.accountId === denied.accountId) {
        throw new ForbiddenError('not authorized to perform sts:AssumeRole on buildwarden-member');
      }
      return depsOf(f)(target);
    };

    // Act
    const report = await auditOrganization(f, depsFor, defaultGuardrails(), { now: NOW });

    // Assess
    const ofDenied = report.findings.filter((x) => x.accountId === denied.accountId);
    expect(ofDenied).toHaveLength(1);
    expect(ofDenied[0]).toMatchObject({
      ruleId: ACCOUNT_NOT_AUDITED,
      status: 'not-visible',
      resourceType: 'AWS::Organizations::Account',
      resourceArn: 'arn:aws:iam::222222222222:root',
      region: 'us-east-1',
    });
    expect(ofDenied[0]!.message).toMatch(/could not be audited: .*sts:AssumeRole/);
    expect(report.summary.byAccount['222222222222']!.notAudited).toEqual({
      'us-east-1': expect.stringMatching(/sts:AssumeRole/),
    });
    expect(report.findings.some((x) => x.accountId === '111111111111')).toBe(true);
  });

  test('progress is reported per account-region', async () => {
    // Prepare
    const f = fleet();
    const progress: string[] = [];

    // Act
    await auditOrganization(f, depsOf(f), defaultGuardrails(), {
      now: NOW,
      concurrency: 1,
      onProgress: (p) =>
        progress.push(
          p.phase === 'targets-listed'
            ? `listed ${p.count}`
            : `${p.phase} ${p.target.accountId} ${p.target.region}`,
        ),
    });

    // Assess
    expect(progress).toEqual([
      'listed 3',
      'target-audited 111111111111 eu-west-1',
      'target-audited 111111111111 us-east-1',
      'target-audited 222222222222 us-east-1',
    ]);
  });
});

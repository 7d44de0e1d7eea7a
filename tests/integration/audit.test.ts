/** The audit use case on the simulated sandbox account. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import type { Repository } from '../../lib/policy/model';
import type { ImagesOption, RepositoryDetails } from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { runAudit, auditAndNotify, type AuditProgress } from '../../lib/usecases/audit';
import { sandboxDeps } from '../../lib/cli/deps';
import { REPO_ROOT } from '../fixtures/load';
import { NOW, repository } from '../fixtures/builders';

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const demoGuardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));
const ecrRules = [
  'ecr.lifecycle-policy',
  'ecr.scan-on-push',
  'ecr.tag-immutability',
  'ecr.encryption',
  'ecr.repository-policy',
] as const;

function demoSandbox(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(demoText));
}

function sandboxOf(repositories: Repository[]): SandboxAccount {
  return new SandboxAccount(
    parseSnapshot(
      JSON.stringify({
        format: 'buildwarden-snapshot/1',
        accountId: '123456789012',
        region: 'us-east-1',
        ecr: { repositories },
        codebuild: { projects: [] },
        iam: { roles: [], policies: [] },
      }),
    ),
  );
}

/** The sandbox with the details of repository `failing` refused (AccessDeniedException). */
function withRefusedDetails(sandbox: SandboxAccount, failing: string): SandboxAccount {
  const { registry } = sandbox;
  const read = registry.repositoryDetails.bind(registry);
  registry.repositoryDetails = async (
    repository: Repository,
    options: { images: ImagesOption },
  ): Promise<RepositoryDetails> => {
    if (repository.repositoryName === failing) {
      const error = new Error('User is not authorized to perform: ecr:GetLifecyclePolicy');
      error.name = 'AccessDeniedException';
      throw error;
    }
    return read(repository, options);
  };
  return sandbox;
}

describe('audit use case on the sandbox', () => {
  test('every repository gets one finding per active ECR rule', async () => {
    const sandbox = demoSandbox();

    const report = await runAudit(sandboxDeps(sandbox), demoGuardrails, { now: NOW, ruleIds: [...ecrRules] });

    expect(report.findings).toHaveLength(sandbox.snapshot.ecr.repositories.length * ecrRules.length);
  });

  test('a rule in mode off produces no findings', async () => {
    const guardrails = parseGuardrails('rules:\n  ecr.encryption:\n    mode: "off"\n');

    const report = await runAudit(sandboxDeps(demoSandbox()), guardrails, { now: NOW });

    expect(report.findings.some((f) => f.ruleId === 'ecr.encryption')).toBe(false);
  });

  test('a repository whose details cannot be read yields not-visible findings, not a crashed audit', async () => {
    const sandbox = withRefusedDetails(sandboxOf([repository('a'), repository('b')]), 'b');

    const report = await runAudit(sandboxDeps(sandbox), parseGuardrails(''), {
      now: NOW,
      ruleIds: [...ecrRules],
    });

    const ofB = report.findings.filter((f) => f.resourceArn.endsWith('/b'));
    expect(
      ofB
        .filter((f) => f.status === 'not-visible')
        .map((f) => f.ruleId)
        .sort(),
    ).toEqual(['ecr.lifecycle-policy', 'ecr.repository-policy']);
    expect(ofB.find((f) => f.ruleId === 'ecr.lifecycle-policy')!.message).toMatch(/AccessDeniedException/);
    expect(
      report.findings.filter((f) => f.resourceArn.endsWith('/a')).every((f) => f.status === 'compliant'),
    ).toBe(true);
  });

  test('reads use the fewest calls: one listing page per 1000 repositories and one registry read', async () => {
    const repositories = Array.from({ length: 2500 }, (_, i) =>
      repository(`r${i}`, { lifecyclePolicyText: undefined }),
    );
    const sandbox = sandboxOf(repositories);

    await runAudit(sandboxDeps(sandbox), parseGuardrails(''), { now: NOW, ruleIds: [...ecrRules] });

    expect(sandbox.calls.get('ecr:DescribeRepositories')).toBe(3);
    expect(sandbox.calls.get('ecr:GetRegistryScanningConfiguration')).toBe(1);
    expect(sandbox.calls.get('ecr:GetLifecyclePolicy')).toBe(2500);
    // No lifecycle policy anywhere → nothing to preview → no DescribeImages.
    expect(sandbox.calls.get('ecr:DescribeImages')).toBeUndefined();
  });

  test('images are read only for repositories with a lifecycle policy', async () => {
    const sandbox = sandboxOf([
      repository('with'),
      repository('without', { lifecyclePolicyText: undefined }),
    ]);

    await runAudit(sandboxDeps(sandbox), parseGuardrails(''), { now: NOW });

    expect(sandbox.calls.get('ecr:DescribeImages')).toBe(1);
  });

  test('progress is reported for every repository read', async () => {
    const events: AuditProgress[] = [];

    await runAudit(sandboxDeps(demoSandbox()), demoGuardrails, {
      now: NOW,
      onProgress: (p) => events.push(p),
    });

    const reads = events.filter((e) => e.phase === 'repository-read');
    expect(reads).toHaveLength(8);
    expect(reads[reads.length - 1]).toEqual({ phase: 'repository-read', done: 8, total: 8 });
  });

  test('the audit is read-only: the account is unchanged afterwards', async () => {
    const sandbox = demoSandbox();
    const before = JSON.stringify(sandbox.snapshot);

    await runAudit(sandboxDeps(sandbox), demoGuardrails, { now: NOW });

    expect(JSON.stringify(sandbox.snapshot)).toBe(before);
  });

  test('the scheduled audit publishes exactly one summary notification', async () => {
    const sandbox = demoSandbox();

    const report = await auditAndNotify(
      { ...sandboxDeps(sandbox), notifier: sandbox.notifier },
      demoGuardrails,
      {
        now: NOW,
        topOffenders: 3,
      },
    );

    const messages = sandbox.snapshot.sns!.topics[0]!.messages as {
      subject: string;
      message: string;
      attributes: Record<string, string>;
    }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toBe(
      `buildwarden audit 123456789012/us-east-1: ${report.summary.byStatus.violation} violations, ${report.summary.byStatus['not-visible']} not visible`,
    );
    expect(messages[0]!.attributes).toMatchObject({ kind: 'audit-summary', severity: 'critical' });
    expect(messages[0]!.message).toMatch(/Worst offenders \(top 3 of \d+\):/);
  });
});

describe("the audit reads what the active rules need (their definitions' reads)", () => {
  const OPTIONAL_READS = [
    'ecr:GetRegistryScanningConfiguration',
    'organizations:DescribeOrganization',
    'ecr:DescribeImages',
    'codebuild:ListProjects',
    'iam:GetAccountAuthorizationDetails',
  ];

  test.each([
    [['ecr.tag-immutability'], []],
    [['ecr.scan-on-push'], ['ecr:GetRegistryScanningConfiguration']],
    [['ecr.repository-policy'], ['organizations:DescribeOrganization']],
    [['ecr.lifecycle-policy'], ['ecr:DescribeImages']],
    [['codebuild.logging'], ['codebuild:ListProjects']],
    [['codebuild.role-trust-policy'], ['codebuild:ListProjects', 'iam:GetAccountAuthorizationDetails']],
  ] as const)('%j reads %j beyond the repositories', async (ruleIds, expected) => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    await runAudit(sandboxDeps(sandbox), parseGuardrails(''), { now: NOW, ruleIds: [...ruleIds] });

    // Assess
    expect(OPTIONAL_READS.filter((call) => sandbox.calls.has(call))).toEqual(expected);
    expect(sandbox.calls.get('ecr:DescribeRepositories')).toBeGreaterThan(0);
  });
});

describe('audit when IAM cannot be read', () => {
  test('every service role is not-visible with the reason, and the other rules still run', async () => {
    const sandbox = demoSandbox();
    sandbox.identity.authorizationDetails = async () => {
      throw Object.assign(new Error('not authorized to perform iam:GetAccountAuthorizationDetails'), {
        name: 'AccessDenied',
      });
    };

    const report = await runAudit(sandboxDeps(sandbox), demoGuardrails, { now: NOW });

    const roleFindings = report.findings.filter((f) => f.resourceType === 'AWS::IAM::Role');
    expect(roleFindings.length).toBeGreaterThan(0);
    expect(
      roleFindings.every(
        (f) => f.status === 'not-visible' && /could not be read: AccessDenied/.test(f.message),
      ),
    ).toBe(true);
    expect(report.findings.some((f) => f.ruleId === 'ecr.encryption' && f.status === 'violation')).toBe(true);
  });
});

describe('audit of repositories shared with an organization', () => {
  const OWN_ORG = 'o-a1b2c3d4e5';
  const orgShared = (org: string) =>
    repository('shared/base', {
      repositoryPolicyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrgPull',
            Effect: 'Allow',
            Principal: '*',
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Condition: { StringEquals: { 'aws:PrincipalOrgID': org } },
          },
        ],
      }),
    });
  const withOrganization = (organizationId: string | null | undefined, repositories: Repository[]) => {
    const sandbox = sandboxOf(repositories);
    if (organizationId !== undefined) sandbox.snapshot.organizationId = organizationId;
    return sandbox;
  };
  const policyFinding = async (sandbox: SandboxAccount) => {
    const report = await runAudit(sandboxDeps(sandbox), parseGuardrails(''), {
      now: NOW,
      ruleIds: ['ecr.repository-policy'],
    });
    return report.findings.find((f) => f.ruleId === 'ecr.repository-policy')!;
  };

  test('a statement limited to the account’s own organization is compliant with the defaults', async () => {
    // Prepare
    const sandbox = withOrganization(OWN_ORG, [orgShared(OWN_ORG)]);

    // Act
    const finding = await policyFinding(sandbox);

    // Assess
    expect(finding.status).toBe('compliant');
  });

  test('the organization is read once per audit, whatever the number of repositories', async () => {
    // Prepare
    const sandbox = withOrganization(OWN_ORG, [orgShared(OWN_ORG), repository('a'), repository('b')]);

    // Act
    await policyFinding(sandbox);

    // Assess
    expect(sandbox.calls.get('organizations:DescribeOrganization')).toBe(1);
  });

  test('when the organization is not known, the finding says so and the statement is not remediable', async () => {
    // Prepare
    const sandbox = withOrganization(undefined, [orgShared(OWN_ORG)]);

    // Act
    const finding = await policyFinding(sandbox);

    // Assess
    expect(finding).toMatchObject({ status: 'violation', remediable: false });
    expect(finding.message).toContain(
      "the account's own organization could not be determined: OrganizationNotCapturedError: the snapshot does not record it (organizationId)",
    );
  });

  test('the organization is not read when the repository-policy rule is off', async () => {
    // Prepare
    const sandbox = withOrganization(OWN_ORG, [orgShared(OWN_ORG)]);

    // Act
    await runAudit(sandboxDeps(sandbox), parseGuardrails(''), { now: NOW, ruleIds: ['ecr.encryption'] });

    // Assess
    expect(sandbox.calls.get('organizations:DescribeOrganization')).toBeUndefined();
  });
});

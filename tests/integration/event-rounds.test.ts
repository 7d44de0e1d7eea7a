/**
 * The concurrency structure of every event's handling, on the SIMULATED demo account: every call is held at a
 * gate (tests/fixtures/call-gate.ts) and released with the calls in flight with it, so a round is the calls
 * that went out together. No timing is measured: the rounds are counted, and what each holds is asserted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { parseSnapshot, type Snapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { replayEvent } from '../../lib/usecases/replay';
import { onChangeEvent } from '../../lib/usecases/on-change';
import { parseChangeEvent } from '../../lib/policy/change-events';
import type { Notification } from '../../lib/ports';
import { CallGate, roundsOf } from '../fixtures/call-gate';
import { NOW } from '../fixtures/builders';
import { REPO_ROOT } from '../fixtures/load';

const demo: Snapshot = parseSnapshot(readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8'));
const guardrails: Guardrails = parseGuardrails(
  readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'),
  'demo/guardrails.yml',
);

function eventOf(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', file), 'utf8')) as Record<string, unknown>;
}

/** The rounds of one event's handling on a fresh copy of the demo account, as `buildwarden replay` runs it. */
async function roundsOfEvent(
  file: string,
  snapshot: Snapshot = demo,
  rules: Guardrails = guardrails,
): Promise<string[][]> {
  const gate = new CallGate();
  const sandbox = new SandboxAccount(structuredClone(snapshot), { faults: gate });
  return roundsOf(gate, () =>
    replayEvent(eventOf(file), sandbox.ports(), rules, { now: NOW, dryRun: false, ownRoleArns: [] }),
  );
}

/**
 * Rounds per event file: the longest chain of calls that depend on each other (bench/events.ts floorRounds).
 * A repository event: its reads (and its findings state), its writes, then records, Security Hub and the
 * notification. A project event: BatchGetProjects, its role's lists (with its repositories), GetPolicy,
 * GetPolicyVersion, then the last round. A role event: its lists with ListProjects, then BatchGetProjects
 * with GetPolicy, then the repositories with GetPolicyVersion. A policy event: ListEntitiesForPolicy first.
 * A scan: the findings with the stored verdict, the notification, then the verdict's write.
 */
const EXPECTED_ROUNDS: [file: string, rounds: number][] = [
  ['codebuild-CreateProject.json', 5],
  ['codebuild-UpdateProject.json', 5],
  ['codebuild-UpdateProjectVisibility.json', 4],
  ['codebuild-build-failed.json', 3],
  ['codebuild-build-succeeded.json', 2],
  ['ecr-CreatePullThroughCacheRule.json', 3],
  ['ecr-CreateRepository-service-event.json', 1],
  ['ecr-CreateRepository.json', 3],
  ['ecr-CreateRepositoryCreationTemplate.json', 3],
  ['ecr-DeleteLifecyclePolicy.json', 1],
  ['ecr-DeleteRegistryPolicy.json', 3],
  ['ecr-DeleteRepositoryCreationTemplate.json', 3],
  ['ecr-DeleteRepositoryPolicy.json', 3],
  ['ecr-PutImageScanningConfiguration.json', 3],
  ['ecr-PutImageTagMutability-failed.json', 0],
  ['ecr-PutImageTagMutability.json', 3],
  ['ecr-PutLifecyclePolicy.json', 3],
  ['ecr-PutRegistryPolicy.json', 3],
  ['ecr-PutRegistryScanningConfiguration.json', 4],
  ['ecr-PutReplicationConfiguration.json', 3],
  ['ecr-SetRepositoryPolicy.json', 3],
  ['ecr-TagResource.json', 3],
  ['ecr-UntagResource.json', 3],
  ['ecr-UpdatePullThroughCacheRule.json', 3],
  ['ecr-UpdateRepositoryCreationTemplate.json', 3],
  ['ecr-image-action-delete.json', 1],
  ['ecr-image-action-push.json', 1],
  ['ecr-image-scan-complete.json', 3],
  ['ecr-image-scan-failed.json', 3],
  ['iam-AttachRolePolicy.json', 4],
  ['iam-CreatePolicyVersion.json', 5],
  ['iam-DeletePolicyVersion.json', 5],
  ['iam-DeleteRolePermissionsBoundary-denied.json', 0],
  ['iam-DeleteRolePermissionsBoundary.json', 3],
  ['iam-DeleteRolePolicy.json', 3],
  ['iam-DetachRolePolicy.json', 4],
  ['iam-PutRolePermissionsBoundary.json', 3],
  ['iam-PutRolePolicy.json', 5],
  ['iam-SetDefaultPolicyVersion.json', 5],
  ['iam-TagRole.json', 4],
  ['iam-UntagRole.json', 4],
  ['iam-UpdateAssumeRolePolicy.json', 4],
  ['inspector2-finding.json', 3],
  ['inspector2-scan-complete.json', 3],
];

describe('rounds of calls per event file', () => {
  test('the table names every event file', () => {
    // Act
    const files = readdirSync(path.join(REPO_ROOT, 'events')).filter((f) => f.endsWith('.json'));

    // Assess
    expect(EXPECTED_ROUNDS.map(([file]) => file).sort()).toEqual(files.sort());
  });

  it.each(EXPECTED_ROUNDS)('%s is handled in %i rounds', async (file, expected) => {
    // Act
    const rounds = await roundsOfEvent(file);

    // Assess
    expect(rounds).toHaveLength(expected);
  });
});

describe('what goes out together', () => {
  test('a repository event reads the repository, its details and images, the registry scanning configuration, the organization and its findings state in one round', async () => {
    // Act
    const [reads] = await roundsOfEvent('ecr-PutImageTagMutability.json');

    // Assess
    expect(reads).toEqual([
      'dynamodb:Query',
      'ecr:DescribeImages',
      'ecr:DescribeRepositories',
      'ecr:GetLifecyclePolicy',
      'ecr:GetRegistryScanningConfiguration',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
      'organizations:DescribeOrganization',
    ]);
  });

  test('a repository event reads no images when the lifecycle rule is off', async () => {
    // Prepare
    const lifecycleOff = parseGuardrails(
      'rules:\n  ecr.lifecycle-policy:\n    mode: off\n',
      'guardrails.yml',
    );

    // Act
    const rounds = await roundsOfEvent('ecr-PutImageTagMutability.json', demo, lifecycleOff);

    // Assess
    expect(rounds.flat()).not.toContain('ecr:DescribeImages');
    expect(rounds[0]).toContain('ecr:GetLifecyclePolicy');
  });

  test("a repository event's fixes go out together, then the records, Security Hub and the notification together", async () => {
    // Act
    const [, writes, last] = await roundsOfEvent('ecr-PutImageTagMutability.json');

    // Assess
    expect(writes).toEqual([
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
      'ecr:PutLifecyclePolicy',
    ]);
    expect(new Set(last)).toEqual(
      new Set(['dynamodb:PutItem', 'securityhub:BatchImportFindings', 'sns:Publish']),
    );
    expect(last!.filter((a) => a === 'dynamodb:PutItem').length).toBeGreaterThan(1);
  });

  test("a project event reads the project's service role together with its target repositories", async () => {
    // Act
    const [first, second] = await roundsOfEvent('codebuild-CreateProject.json');

    // Assess
    expect(first).toEqual(['codebuild:BatchGetProjects']);
    expect(second).toEqual(
      expect.arrayContaining([
        'iam:GetRole',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'ecr:DescribeRepositories',
        'ecr:GetLifecyclePolicy',
        'ecr:GetRepositoryPolicy',
        'ecr:ListTagsForResource',
      ]),
    );
  });

  test('a role event reads the role together with ListProjects', async () => {
    // Act
    const [first] = await roundsOfEvent('iam-TagRole.json');

    // Assess
    expect(first).toEqual([
      'codebuild:ListProjects',
      'iam:GetRole',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
    ]);
  });

  test('a registry-wide change reads every repository of the page together, after listing them with the configuration', async () => {
    // Act
    const [listing, details] = await roundsOfEvent('ecr-PutRegistryScanningConfiguration.json');

    // Assess
    const repositories = demo.ecr.repositories.length;
    expect(listing).toEqual(['ecr:DescribeRepositories', 'ecr:GetRegistryScanningConfiguration']);
    expect(details!.filter((a) => a === 'ecr:GetLifecyclePolicy')).toHaveLength(Math.min(8, repositories));
    expect(details!.filter((a) => a === 'ecr:ListTagsForResource')).toHaveLength(Math.min(8, repositories));
  });

  test('a registry-wide change reads at most 8 repositories at once', async () => {
    // Prepare: more repositories than READ_CONCURRENCY
    const many = structuredClone(demo);
    const template = many.ecr.repositories[0]!;
    many.ecr.repositories = Array.from({ length: 20 }, (_, i) => ({
      ...structuredClone(template),
      repositoryName: `team/app-${String(i).padStart(2, '0')}`,
      repositoryArn: template.repositoryArn.replace(/repository\/.*$/, `repository/team/app-${i}`),
    }));

    // Act
    const rounds = await roundsOfEvent('ecr-PutRegistryScanningConfiguration.json', many);

    // Assess
    const inFlight = rounds.map((r) => r.filter((a) => a === 'ecr:GetLifecyclePolicy').length);
    expect(Math.max(...inFlight)).toBe(8);
    expect(inFlight.reduce((a, b) => a + b, 0)).toBe(20);
  });

  test('a scan reads the findings and the stored verdict together, in one GetItem, and writes the verdict after notifying', async () => {
    // Act
    const rounds = await roundsOfEvent('ecr-image-scan-complete.json');

    // Assess
    expect(rounds).toEqual([
      ['dynamodb:GetItem', 'ecr:DescribeImageScanFindings'],
      ['sns:Publish'],
      ['dynamodb:UpdateItem'],
    ]);
  });
});

describe('the last round when the recording fails', () => {
  test('the notification went out with the recording, and the failed write is raised after both (the event is retried)', async () => {
    // Prepare: every findings-state write fails
    const sandbox = new SandboxAccount(structuredClone(demo));
    const failure = Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
    const ports = sandbox.ports();
    const deps = {
      ...ports,
      findingsStore: {
        records: (scope: Parameters<typeof ports.findingsStore.records>[0]) =>
          ports.findingsStore.records(scope),
        recordsOf: (...args: Parameters<typeof ports.findingsStore.recordsOf>) =>
          ports.findingsStore.recordsOf(...args),
        writeRecords: () => Promise.reject(failure),
        putRecord: () => Promise.reject(failure),
      },
    };

    // Act
    const handling = onChangeEvent(
      parseChangeEvent(eventOf('ecr-PutImageTagMutability.json')),
      deps,
      guardrails,
      {
        now: NOW,
        ownRoleArns: [],
      },
    );

    // Assess
    await expect(handling).rejects.toBe(failure);
    const messages = sandbox.snapshot.sns?.topics[0]?.messages as unknown as Notification[];
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toMatch(/^buildwarden fixed/);
  });
});

describe("the sandbox in the adapters' rounds", () => {
  test('markDeleted reads the verdict, then writes the deletion', async () => {
    // Prepare: a stored verdict
    const image = {
      registryId: demo.accountId,
      region: demo.region,
      repositoryName: 'web/frontend',
      imageDigest: `sha256:${'b'.repeat(64)}`,
    };
    const gate = new CallGate();
    const sandbox = new SandboxAccount(structuredClone(demo));
    await sandbox.verdicts.putVerdict({
      ...image,
      verdict: 'fail',
      scanKind: 'basic',
      scanStatus: 'COMPLETE',
      imageTags: ['1.4.2'],
      counts: { critical: 1 },
      topFindings: [],
      allowlisted: [],
      expiredAllowlist: [],
      scannedAt: '2026-10-02T09:15:20.000Z',
      evaluatedAt: '2026-10-02T09:15:22.000Z',
      fingerprint: '0123456789abcdef',
    });
    sandbox.faults = gate;

    // Act
    let write: unknown;
    const rounds = await roundsOf(gate, async () => {
      write = await sandbox.verdicts.markDeleted(image, '2026-10-05T00:00:00.000Z');
    });

    // Assess
    expect(rounds).toEqual([['dynamodb:GetItem'], ['dynamodb:UpdateItem']]);
    expect(write).toEqual({ written: true });
  });

  test("projectPages has the next ListProjects page in flight with a page's BatchGetProjects", async () => {
    // Prepare: 150 projects, two pages of names
    const many = structuredClone(demo);
    const template = many.codebuild.projects[0]!;
    many.codebuild.projects = Array.from({ length: 150 }, (_, i) => ({
      ...structuredClone(template),
      name: `project-${i}`,
    }));
    const gate = new CallGate();
    const sandbox = new SandboxAccount(many, { faults: gate });

    // Act
    const rounds = await roundsOf(gate, async () => {
      for await (const page of sandbox.projects.projectPages()) void page;
    });

    // Assess
    expect(rounds).toEqual([
      ['codebuild:ListProjects'],
      ['codebuild:BatchGetProjects', 'codebuild:ListProjects'],
      ['codebuild:BatchGetProjects'],
    ]);
  });
});

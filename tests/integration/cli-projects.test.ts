/**
 * `buildwarden projects create|list|show|delete` end to end on a copy of the demo snapshot (the SIMULATED
 * sandbox account), through the same `run(argv, io)` the binary calls.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Snapshot } from '../../lib/policy/snapshot';
import { cli, tempFile, type Captured } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const CONFIG = 'demo/guardrails.yml';
const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const newProjectText = readFileSync(path.join(REPO_ROOT, 'demo/new-project.json'), 'utf8');
const NAME = 'payments/ledger';

/** A fresh copy of the demo snapshot, for a test to change. */
const snapshotCopy = () => tempFile('account.json', demoText);

function bodyFile(overrides: Record<string, unknown> = {}): string {
  return tempFile('body.json', JSON.stringify({ ...JSON.parse(newProjectText), ...overrides }));
}

const readSnapshot = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Snapshot;

const create = (body: string, snapshot: string, ...extra: string[]): Promise<Captured> =>
  cli(['projects', 'create', '--file', body, '--snapshot', snapshot, '--config', CONFIG, ...extra]);

/** A snapshot copy in which payments/ledger was created and saved. */
async function snapshotWithLedger(): Promise<string> {
  const snapshot = snapshotCopy();
  const result = await create(bodyFile(), snapshot, '--save');
  if (result.code !== 0) throw new Error(`test setup: create failed: ${result.stderr}`);
  return snapshot;
}

describe('buildwarden projects create', () => {
  it('exits 0 and prints status created with the ARNs', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await create(bodyFile(), snapshot, '--save');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'created',
      name: NAME,
      projectName: 'payments-ledger',
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/payments/ledger',
      repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/ledger',
      roleArn: 'arn:aws:iam::123456789012:role/service-role/buildwarden-payments-ledger',
      projectArn: 'arn:aws:codebuild:us-east-1:123456789012:project/payments-ledger',
    });
  });

  it('with --save writes the repository, role and project into the snapshot file', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    await create(bodyFile(), snapshot, '--save');

    // Assess
    const saved = readSnapshot(snapshot);
    expect(saved.ecr.repositories.map((r) => r.repositoryName)).toContain(NAME);
    expect(saved.iam.roles.map((r) => r.RoleName)).toContain('buildwarden-payments-ledger');
    expect(saved.codebuild.projects.map((p) => p.name)).toContain('payments-ledger');
  });

  it('without --save leaves the snapshot file as it was', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await create(bodyFile(), snapshot);

    // Assess
    expect(result.code).toBe(0);
    expect(readFileSync(snapshot, 'utf8')).toBe(demoText);
  });

  it('exits 0 with status unchanged for the same request again', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();

    // Act
    const result = await create(bodyFile(), snapshot, '--save');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'unchanged', name: NAME });
  });

  it('exits 2 for an invalid body, listing every problem by field', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    const body = tempFile(
      'body.json',
      JSON.stringify({
        name: 'Payments',
        source: { type: 'GITHUB' },
        computeType: 'BUILD_LAMBDA_1GB',
        extra: 1,
      }),
    );

    // Act
    const result = await create(body, snapshot, '--save');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^\s+name: /m);
    expect(result.stderr).toMatch(/^\s+source\.location: required for source\.type GITHUB$/m);
    expect(result.stderr).toMatch(/^\s+computeType: BUILD_LAMBDA_1GB cannot build container images/m);
    expect(result.stderr).toMatch(/^\s+extra: unknown field$/m);
  });

  it('exits 2 for a body that is not JSON', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await create(tempFile('body.json', '{"name": '), snapshot);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON/);
  });

  it('changes nothing in the snapshot for an invalid body', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    await create(bodyFile({ computeType: 'BUILD_LAMBDA_1GB' }), snapshot, '--save');

    // Assess
    expect(readFileSync(snapshot, 'utf8')).toBe(demoText);
  });

  it('exits 1 for the same name with a different spec, naming the differing fields', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();

    // Act
    const result = await create(bodyFile({ computeType: 'BUILD_GENERAL1_LARGE' }), snapshot, '--save');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/differing fields: computeType$/m);
  });

  it('exits 1 for a name whose CodeBuild project buildwarden did not create', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    // Without the demo's variable: its parameter lives in payments-ledger's namespace, not this name's.
    const body = bodyFile({ name: 'payments-api-build', environmentVariables: [] });
    const result = await create(body, snapshot, '--save');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not managed by buildwarden/);
  });

  it('exits 2 for --save without --snapshot', async () => {
    // Prepare
    const body = bodyFile();

    // Act
    const result = await cli(['projects', 'create', '--file', body, '--save', '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--save goes with --snapshot/);
  });

  it('exits 2 without --file', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(['projects', 'create', '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--file BODY\.json is required/);
  });
});

describe('buildwarden projects list', () => {
  it('lists only the managed project, compliant', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();

    // Act
    const result = await cli(['projects', 'list', '--snapshot', snapshot, '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(0);
    const { projects } = JSON.parse(result.stdout) as { projects: { name: string; compliant: boolean }[] };
    expect(projects.map((p) => [p.name, p.compliant])).toEqual([[NAME, true]]);
  });

  it('lists nothing in the demo account', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(['projects', 'list', '--snapshot', snapshot, '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ projects: [] });
  });
});

describe('buildwarden projects show', () => {
  it('exits 0 and prints the project as compliant', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();

    // Act
    const result = await cli(['projects', 'show', NAME, '--snapshot', snapshot, '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: NAME, compliant: true, findings: [] });
  });

  it('exits 1 and prints the finding for a project made non-compliant afterwards', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    const saved = readSnapshot(snapshot);
    saved.ecr.repositories.find((r) => r.repositoryName === NAME)!.imageTagMutability = 'MUTABLE';
    writeFileSync(snapshot, JSON.stringify(saved));

    // Act
    const result = await cli(['projects', 'show', NAME, '--snapshot', snapshot, '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(1);
    const shown = JSON.parse(result.stdout) as { compliant: boolean; findings: { ruleId: string }[] };
    expect(shown.compliant).toBe(false);
    expect(shown.findings.map((f) => f.ruleId)).toEqual(['ecr.tag-immutability']);
  });

  it('exits 1 for a project buildwarden did not create', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(['projects', 'show', 'payments-api-build', '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not managed by buildwarden/);
  });

  it('exits 1 for a name with no project', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(['projects', 'show', 'nobody/here', '--snapshot', snapshot]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no managed project named nobody\/here/);
  });
});

describe('buildwarden projects delete', () => {
  it('exits 0, reports the deleted ARNs and with --save removes them from the snapshot', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();

    // Act
    const result = await cli(['projects', 'delete', NAME, '--snapshot', snapshot, '--save']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      deleted: [
        'arn:aws:ecr:us-east-1:123456789012:repository/payments/ledger',
        'arn:aws:iam::123456789012:role/service-role/buildwarden-payments-ledger',
        'arn:aws:codebuild:us-east-1:123456789012:project/payments-ledger',
      ],
      alreadyGone: [],
    });
    expect(readSnapshot(snapshot)).toEqual(JSON.parse(demoText));
  });

  it('exits 1 for a repository that holds images, and deletes nothing', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    const saved = readSnapshot(snapshot);
    saved.ecr.repositories.find((r) => r.repositoryName === NAME)!.images = [
      {
        imageDigest: `sha256:${'b'.repeat(64)}`,
        imageTags: ['1.0.0'],
        imagePushedAt: '2026-11-20T10:00:00Z',
      },
    ];
    writeFileSync(snapshot, JSON.stringify(saved));

    // Act
    const result = await cli(['projects', 'delete', NAME, '--snapshot', snapshot, '--save']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds 1 image\(s\): run again with --force to delete them too/);
    expect(readSnapshot(snapshot)).toEqual(saved);
  });

  it('with --force deletes a repository that holds images', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    const saved = readSnapshot(snapshot);
    saved.ecr.repositories.find((r) => r.repositoryName === NAME)!.images = [
      {
        imageDigest: `sha256:${'b'.repeat(64)}`,
        imageTags: ['1.0.0'],
        imagePushedAt: '2026-11-20T10:00:00Z',
      },
    ];
    writeFileSync(snapshot, JSON.stringify(saved));

    // Act
    const result = await cli(['projects', 'delete', NAME, '--force', '--snapshot', snapshot, '--save']);

    // Assess
    expect(result.code).toBe(0);
    expect(readSnapshot(snapshot).ecr.repositories.map((r) => r.repositoryName)).not.toContain(NAME);
  });

  it('exits 1 for a project buildwarden did not create, and deletes nothing', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(['projects', 'delete', 'payments-api-build', '--snapshot', snapshot, '--save']);

    // Assess
    expect(result.code).toBe(1);
    expect(readFileSync(snapshot, 'utf8')).toBe(demoText);
  });

  it('exits 2 for --save without --snapshot', async () => {
    // Act
    const result = await cli(['projects', 'delete', NAME, '--save']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--save goes with --snapshot/);
  });
});

/** Changes the saved snapshot file in place. */
function editSnapshot(file: string, edit: (snapshot: Snapshot) => void): void {
  const saved = readSnapshot(file);
  edit(saved);
  writeFileSync(file, JSON.stringify(saved));
}

const ROLE_NAME = 'buildwarden-payments-ledger';

describe('buildwarden projects create on a drifted project', () => {
  it('exits 0, prints status repaired naming what it restored, and with --save keeps the repair', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    editSnapshot(snapshot, (s) => {
      s.iam.roles.find((r) => r.RoleName === ROLE_NAME)!.RolePolicyList = [];
    });

    // Act
    const result = await create(bodyFile(), snapshot, '--save');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'repaired',
      repaired: [{ part: 'role.buildPolicy', status: 'missing' }],
    });
    const role = readSnapshot(snapshot).iam.roles.find((r) => r.RoleName === ROLE_NAME)!;
    expect(role.RolePolicyList.map((p) => p.PolicyName)).toEqual(['buildwarden-build']);
  });

  it('exits 1 and names on stderr a part it does not repair', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    editSnapshot(snapshot, (s) => {
      s.ecr.repositories.find((r) => r.repositoryName === NAME)!.encryptionConfiguration = {
        encryptionType: 'AES256',
      };
    });

    // Act
    const result = await create(bodyFile(), snapshot);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'unchanged' });
    expect(result.stderr).toMatch(/^buildwarden: not repaired: repository\.encryption: /m);
  });
});

describe('buildwarden projects show: the parts', () => {
  it('exits 1 and names the missing role among the parts', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    editSnapshot(snapshot, (s) => {
      s.iam.roles = s.iam.roles.filter((r) => r.RoleName !== ROLE_NAME);
    });

    // Act
    const result = await cli(['projects', 'show', NAME, '--snapshot', snapshot, '--config', CONFIG]);

    // Assess
    expect(result.code).toBe(1);
    const shown = JSON.parse(result.stdout) as { parts: { part: string; status: string }[] };
    expect(shown.parts.filter((p) => p.status !== 'ok')).toEqual([
      { part: 'role', status: 'missing', detail: `role ${ROLE_NAME} does not exist` },
    ]);
  });
});

describe('buildwarden projects delete: resumable', () => {
  it('removes a managed repository and role left over after the project is gone, listing the project as already gone', async () => {
    // Prepare
    const snapshot = await snapshotWithLedger();
    editSnapshot(snapshot, (s) => {
      s.codebuild.projects = s.codebuild.projects.filter((p) => p.name !== 'payments-ledger');
    });

    // Act
    const result = await cli(['projects', 'delete', NAME, '--snapshot', snapshot, '--save']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      deleted: [
        'arn:aws:ecr:us-east-1:123456789012:repository/payments/ledger',
        `arn:aws:iam::123456789012:role/service-role/${ROLE_NAME}`,
      ],
      alreadyGone: ['arn:aws:codebuild:us-east-1:123456789012:project/payments-ledger'],
    });
    expect(readSnapshot(snapshot)).toEqual(JSON.parse(demoText));
  });

  it('details how to finish a partial delete', async () => {
    // Act
    const result = await cli(['projects', 'delete', '--help']);

    // Assess
    expect(result.stdout).toMatch(/Run it again to finish a delete that failed part way/);
  });
});

/**
 * `buildwarden replay`: an EventBridge event through the same use case as the Lambda its rule invokes, against a
 * snapshot file (routed by the functions' event patterns). Runs the CLI in process (the `run(argv, io)` the binary calls). Snapshots that may be written are copies
 * of demo/account.json in a temp directory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, tempFile } from '../fixtures/cli';
import { functionsFor } from '../../lib/events/routes';
import { awsSample, loadJson, REPO_ROOT } from '../fixtures/load';

const DEMO_SNAPSHOT = path.join(REPO_ROOT, 'demo/account.json');
const DEMO_CONFIG = 'demo/guardrails.yml';
const EVENT = 'events/ecr-PutImageTagMutability.json';
const OWN_ROLE_ARN = 'arn:aws:iam::123456789012:role/buildwarden-remediation';

interface ReplayOutput {
  skipped: string | null;
  actions: Record<string, unknown>[];
  notifications: Record<string, unknown>[];
}

function snapshotCopy(): string {
  return tempFile('account.json', readFileSync(DEMO_SNAPSHOT, 'utf8'));
}

function replay(snapshot: string, event: string, ...extra: string[]) {
  return cli(['replay', '--snapshot', snapshot, '--event', event, '--config', DEMO_CONFIG, ...extra]);
}

/** The PutImageTagMutability event file, made by a session of buildwarden's own role, as a temp file. */
function eventByOwnRole(): string {
  const raw = loadJson<{ detail: { userIdentity: Record<string, unknown> } }>(path.join('..', '..', EVENT));
  raw.detail.userIdentity.arn = 'arn:aws:sts::123456789012:assumed-role/buildwarden-remediation/onChange';
  raw.detail.userIdentity.sessionContext = { sessionIssuer: { type: 'Role', arn: OWN_ROLE_ARN } };
  return tempFile('event.json', JSON.stringify(raw));
}

describe('buildwarden replay: output', () => {
  it('exits 0 and prints exactly { skipped, actions, notifications } as JSON', async () => {
    // Act
    const result = await replay(snapshotCopy(), EVENT);

    // Assess
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReplayOutput;
    expect(Object.keys(output).sort()).toEqual(['actions', 'notifications', 'skipped']);
    expect(output.skipped).toBeNull();
  });

  it('prints each action with exactly ruleId, resourceArn, action, applied, before, after', async () => {
    // Act
    const result = await replay(snapshotCopy(), EVENT);

    // Assess
    const { actions } = JSON.parse(result.stdout) as ReplayOutput;
    expect(actions).toHaveLength(3);
    for (const action of actions) {
      expect(Object.keys(action).sort()).toEqual([
        'action',
        'after',
        'applied',
        'before',
        'resourceArn',
        'ruleId',
      ]);
    }
    expect(actions.map((a) => [a.ruleId, a.action, a.applied])).toEqual([
      ['ecr.lifecycle-policy', 'PutLifecyclePolicy', true],
      ['ecr.scan-on-push', 'PutImageScanningConfiguration', true],
      ['ecr.tag-immutability', 'PutImageTagMutability', true],
    ]);
  });

  it('adds a reason to an action that was not applied', async () => {
    // Act
    const result = await replay(snapshotCopy(), EVENT, '--dry-run');

    // Assess
    const { actions } = JSON.parse(result.stdout) as ReplayOutput;
    for (const action of actions) {
      expect(Object.keys(action).sort()).toEqual(
        ['action', 'after', 'applied', 'before', 'reason', 'resourceArn', 'ruleId'].sort(),
      );
      expect(action).toMatchObject({ applied: false, reason: 'dry run' });
    }
  });

  it('prints each notification with exactly subject, message and attributes', async () => {
    // Act
    const result = await replay(snapshotCopy(), EVENT);

    // Assess
    const { notifications } = JSON.parse(result.stdout) as ReplayOutput;
    expect(notifications.length).toBeGreaterThan(0);
    for (const notification of notifications) {
      expect(Object.keys(notification).sort()).toEqual(['attributes', 'message', 'subject']);
    }
  });
});

describe('buildwarden replay: the snapshot file', () => {
  it('--save writes the fixed account back to the snapshot', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await replay(snapshot, EVENT, '--save');

    // Assess
    expect(result.code).toBe(0);
    const saved = JSON.parse(readFileSync(snapshot, 'utf8')) as {
      ecr: { repositories: { repositoryName: string; imageTagMutability?: string }[] };
    };
    const frontend = saved.ecr.repositories.find((r) => r.repositoryName === 'web/frontend');
    expect(frontend?.imageTagMutability).toBe('IMMUTABLE');
  });

  it('a second replay after --save prints no actions', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    await replay(snapshot, EVENT, '--save');

    // Act
    const result = await replay(snapshot, EVENT);

    // Assess
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ReplayOutput).actions).toEqual([]);
  });

  it('without --save leaves the snapshot file unchanged', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    const before = readFileSync(snapshot, 'utf8');

    // Act
    await replay(snapshot, EVENT);

    // Assess
    expect(readFileSync(snapshot, 'utf8')).toBe(before);
  });

  it('--dry-run leaves the snapshot file unchanged', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    const before = readFileSync(snapshot, 'utf8');

    // Act
    const result = await replay(snapshot, EVENT, '--dry-run');

    // Assess
    expect(result.code).toBe(0);
    expect(readFileSync(snapshot, 'utf8')).toBe(before);
  });

  it('--save with --dry-run exits 2 and leaves the snapshot unchanged', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    const before = readFileSync(snapshot, 'utf8');

    // Act
    const result = await replay(snapshot, EVENT, '--save', '--dry-run');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--save with --dry-run/);
    expect(readFileSync(snapshot, 'utf8')).toBe(before);
  });
});

describe('buildwarden replay: bad input', () => {
  it('exits 2 naming the event file when it is not JSON', async () => {
    // Prepare
    const event = tempFile('event.json', '{ "detail": ');

    // Act
    const result = await replay(snapshotCopy(), event);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(event);
    expect(result.stdout).toBe('');
  });

  it('exits 2 naming the event file and the missing envelope fields when it is JSON but not an event', async () => {
    // Prepare
    const event = tempFile('not-an-event.json', JSON.stringify({ repositoryName: 'web/frontend' }));

    // Act
    const result = await replay(snapshotCopy(), event);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(event);
    expect(result.stderr).toMatch(/detail-type: /);
    expect(result.stderr).toMatch(/source: /);
    expect(result.stdout).toBe('');
  });

  it('exits 2 when the file is an event pattern, not an event', async () => {
    // Act
    const result = await replay(
      snapshotCopy(),
      'tests/fixtures/aws-samples/codebuild-build-state-change.event-pattern.json',
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/detail-type: expected a string/);
  });

  it('exits 2 when the file is a JSON array', async () => {
    // Act
    const result = await replay(snapshotCopy(), tempFile('array.json', '[]'));

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\(root\)/);
  });

  it('exits 2 naming the depth when the event nests 5,000 levels deep', async () => {
    // Prepare
    const raw = readFileSync(path.join(REPO_ROOT, EVENT), 'utf8');
    const deep = raw.replace('"detail": {', `"detail": { "x": ${'['.repeat(5000)}${']'.repeat(5000)},`);
    const event = tempFile('deep.json', deep);

    // Act
    const result = await replay(snapshotCopy(), event);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(event);
    expect(result.stderr).toMatch(/nested deeper than 512 levels \(line \d+, column \d+\)/);
  });

  it('exits 2 naming the event file when it does not exist', async () => {
    // Act
    const result = await replay(snapshotCopy(), 'events/no-such-event.json');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('events/no-such-event.json');
  });

  it('exits 2 when --event is missing', async () => {
    // Act
    const result = await cli(['replay', '--snapshot', snapshotCopy()]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--event FILE/);
  });
});

describe('buildwarden replay: own remediation role', () => {
  it('skips an event made by $BUILDWARDEN_REMEDIATION_ROLE_ARN', async () => {
    // Prepare
    const snapshot = snapshotCopy();

    // Act
    const result = await cli(
      ['replay', '--snapshot', snapshot, '--event', eventByOwnRole(), '--config', DEMO_CONFIG],
      { BUILDWARDEN_REMEDIATION_ROLE_ARN: OWN_ROLE_ARN },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      skipped: "caused by buildwarden's own remediation role",
      actions: [],
      notifications: [],
    });
  });

  it('acts on the same event when $BUILDWARDEN_REMEDIATION_ROLE_ARN is not set', async () => {
    // Act
    const result = await replay(snapshotCopy(), eventByOwnRole());

    // Assess
    const output = JSON.parse(result.stdout) as ReplayOutput;
    expect(output.skipped).toBeNull();
    expect(output.actions).toHaveLength(3);
  });
});

describe('buildwarden replay: remediable roles', () => {
  const ROLE_EVENT = 'events/iam-PutRolePolicy.json';

  it('fixes a service role inside the default pattern service-role/*', async () => {
    // Act
    const result = await replay(snapshotCopy(), ROLE_EVENT);

    // Assess
    const output = JSON.parse(result.stdout) as ReplayOutput;
    expect(output.actions).toContainEqual(
      expect.objectContaining({ ruleId: 'codebuild.role-can-push', action: 'PutRolePolicy', applied: true }),
    );
  });

  it('refuses, with the reason, to write to a role outside $BUILDWARDEN_REMEDIABLE_ROLES', async () => {
    // Act
    const result = await cli(
      ['replay', '--snapshot', snapshotCopy(), '--event', ROLE_EVENT, '--config', DEMO_CONFIG],
      { BUILDWARDEN_REMEDIABLE_ROLES: 'ci/*' },
    );

    // Assess
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReplayOutput;
    expect(output.actions).toContainEqual(
      expect.objectContaining({
        ruleId: 'codebuild.role-can-push',
        action: 'none',
        applied: false,
        reason: expect.stringContaining('outside remediableRoles (ci/*)'),
      }),
    );
  });
});

describe('buildwarden replay: events no function subscribes to', () => {
  it.each([
    ['ecr-referrer-action.json', 'ECR Referrer Action'],
    ['ecr-replication-action.json', 'ECR Replication Action'],
    ['ecr-pull-through-cache-action.json', 'ECR Pull Through Cache Action'],
    ['ecr-scan-resource-change.json', 'ECR Scan Resource Change'],
    ['codebuild-build-phase-change.json', 'CodeBuild Build Phase Change'],
  ])('the official sample %s exits 0, skipped: no function subscribes to it', async (file, detailType) => {
    // Act
    const result = await replay(snapshotCopy(), `tests/fixtures/aws-samples/${file}`);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      skipped: `no function subscribes to ${detailType}`,
      actions: [],
      notifications: [],
    });
  });

  it('the official ECR image deletion sample is skipped exactly when no function pattern matches it', async () => {
    // Prepare
    const sample = awsSample('ecr-image-action-delete.json');
    const subscribed = functionsFor(sample).length > 0;

    // Act
    const result = await replay(snapshotCopy(), 'tests/fixtures/aws-samples/ecr-image-action-delete.json');

    // Assess
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReplayOutput;
    expect(output.skipped === 'no function subscribes to ECR Image Action').toBe(!subscribed);
  });

  it('a CloudTrail call of another service names the call it is skipping', async () => {
    // Act
    const result = await replay(
      snapshotCopy(),
      'tests/fixtures/aws-samples/eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json',
    );

    // Assess
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ReplayOutput).skipped).toBe(
      'no function subscribes to AWS API Call via CloudTrail (CreateBucket from s3.amazonaws.com)',
    );
  });

  it('an ECR call nobody subscribes to (DescribeRepositories) is skipped, not malformed', async () => {
    // Prepare
    const raw = loadJson<{ detail: Record<string, unknown> }>(path.join('..', '..', EVENT));
    raw.detail.eventName = 'DescribeRepositories';

    // Act
    const result = await replay(snapshotCopy(), tempFile('describe.json', JSON.stringify(raw)));

    // Assess
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ReplayOutput).skipped).toBe(
      'no function subscribes to AWS API Call via CloudTrail (DescribeRepositories from ecr.amazonaws.com)',
    );
  });

  it('prints the skip reason in the table format', async () => {
    // Act
    const result = await replay(
      snapshotCopy(),
      'tests/fixtures/aws-samples/ecr-referrer-action.json',
      '--format',
      'table',
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('skipped: no function subscribes to ECR Referrer Action\n');
  });

  it('leaves the snapshot unchanged even with --save', async () => {
    // Prepare
    const snapshot = snapshotCopy();
    const before = readFileSync(snapshot, 'utf8');

    // Act
    await replay(snapshot, 'tests/fixtures/aws-samples/ecr-replication-action.json', '--save');

    // Assess
    expect(JSON.parse(readFileSync(snapshot, 'utf8'))).toEqual(JSON.parse(before));
  });
});

describe('buildwarden replay --dry-run for every event kind', () => {
  it.each([
    ['a scan', 'events/ecr-image-scan-complete.json', 'verdict'],
    ['a build', 'events/codebuild-build-failed.json', 'build'],
    ['a push', 'events/ecr-image-action-push.json', 'producedBy'],
  ])(
    '%s event runs as without --dry-run, exit 0, and says the flag changes nothing',
    async (_kind, event, key) => {
      // Prepare
      const snapshot = snapshotCopy();
      const before = readFileSync(snapshot, 'utf8');

      // Act
      const dry = await replay(snapshot, event, '--dry-run');
      const plain = await replay(snapshotCopy(), event);

      // Assess
      expect(dry.code).toBe(0);
      expect(dry.stderr).toMatch(/--dry-run changes nothing for scan, build and push events/);
      const dryOutput = JSON.parse(dry.stdout) as Record<string, unknown>;
      expect(dryOutput).toHaveProperty(key);
      // The verdict records when it was read (evaluatedAt), which differs between two runs.
      const withoutReadTime = (text: string): unknown =>
        JSON.parse(text, (k, v: unknown) => (k === 'evaluatedAt' ? undefined : v));
      expect(withoutReadTime(dry.stdout)).toEqual(withoutReadTime(plain.stdout));
      expect(readFileSync(snapshot, 'utf8')).toBe(before);
    },
  );

  it('a change event is planned, not applied (no note)', async () => {
    // Act
    const result = await replay(snapshotCopy(), EVENT, '--dry-run');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const { actions } = JSON.parse(result.stdout) as ReplayOutput;
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.applied === false)).toBe(true);
  });

  it('an event no function subscribes to is skipped, exit 0', async () => {
    // Act
    const result = await replay(
      snapshotCopy(),
      'tests/fixtures/aws-samples/ecr-pull-through-cache-action.json',
      '--dry-run',
    );

    // Assess
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ReplayOutput).skipped).toBe(
      'no function subscribes to ECR Pull Through Cache Action',
    );
  });
});

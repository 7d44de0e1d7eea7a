import {
  compareRecords,
  findingRecordSchema,
  identityKey,
  nextRecord,
  reconcile,
  RECORD_MESSAGE_MAX,
  type FindingIdentity,
  type FindingRecord,
  type ReconcileInput,
  type ScopedFinding,
} from '../../../lib/policy/finding-state';
import type { Finding } from '../../../lib/policy/findings';
import { ACCOUNT, REGION } from '../../fixtures/builders';

const REPO = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`;
const OTHER_REPO = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/other`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/ci`;
const SCOPE = { accountId: ACCOUNT, region: REGION };
const T0 = new Date('2026-11-20T06:00:00.000Z');
const T1 = new Date('2026-11-20T12:00:00.000Z');
const T2 = new Date('2026-11-20T18:00:00.000Z');
const RETENTION = { retentionDays: 90 };

const identity = (resourceArn = REPO, ruleId = 'ecr.scan-on-push'): FindingIdentity => ({
  ...SCOPE,
  resourceArn,
  ruleId,
});

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'ecr.scan-on-push',
    resourceType: 'AWS::ECR::Repository',
    resourceArn: REPO,
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled',
    remediable: true,
    ...overrides,
  };
}

function openRecord(overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    ...identity(),
    resourceType: 'AWS::ECR::Repository',
    state: 'open',
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled',
    firstSeen: T0.toISOString(),
    lastSeen: T0.toISOString(),
    ...overrides,
  };
}

function resolvedRecord(overrides: Partial<FindingRecord> = {}): FindingRecord {
  return openRecord({
    state: 'resolved',
    status: 'compliant',
    resolvedAt: T1.toISOString(),
    resolution: 'fixed',
    expiresAt: Math.floor(T1.getTime() / 1000) + 90 * 86400,
    ...overrides,
  });
}

describe('nextRecord: a finding seen open', () => {
  it('opens a record the first time, first and last seen now', () => {
    // Act
    const next = nextRecord(
      identity(),
      undefined,
      { finding: finding(), resourceExists: true },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next).toEqual({
      change: 'opened',
      record: {
        ...identity(),
        resourceType: 'AWS::ECR::Repository',
        state: 'open',
        status: 'violation',
        severity: 'medium',
        message: 'scan on push is disabled',
        firstSeen: T1.toISOString(),
        lastSeen: T1.toISOString(),
      },
    });
    expect(findingRecordSchema().safeParse(next.record).success).toBe(true);
  });

  it('keeps firstSeen of a record still open and moves lastSeen, status, severity and message', () => {
    // Prepare
    const previous = openRecord();

    // Act
    const next = nextRecord(
      identity(),
      previous,
      {
        finding: finding({ status: 'not-visible', severity: 'high', message: 'details could not be read' }),
        resourceExists: true,
      },
      { now: T1, ...RETENTION },
    );

    // Assess
    expect(next.change).toBe('updated');
    expect(next.record).toMatchObject({
      state: 'open',
      status: 'not-visible',
      severity: 'high',
      message: 'details could not be read',
      firstSeen: T0.toISOString(),
      lastSeen: T1.toISOString(),
    });
  });

  it('reopens a resolved record as a new occurrence: its age starts again, its resolution is gone', () => {
    // Prepare
    const previous = resolvedRecord();

    // Act
    const next = nextRecord(
      identity(),
      previous,
      { finding: finding(), resourceExists: true },
      {
        now: T2,
        ...RETENTION,
      },
    );

    // Assess
    expect(next.change).toBe('reopened');
    expect(next.record).toMatchObject({
      state: 'open',
      firstSeen: T2.toISOString(),
      lastSeen: T2.toISOString(),
    });
    expect(next.record).not.toHaveProperty('resolvedAt');
    expect(next.record).not.toHaveProperty('resolution');
    expect(next.record).not.toHaveProperty('expiresAt');
  });

  it('cuts a very long message so that a record stays small', () => {
    // Act
    const next = nextRecord(
      identity(),
      undefined,
      { finding: finding({ message: 'x'.repeat(RECORD_MESSAGE_MAX + 100) }), resourceExists: true },
      { now: T1, ...RETENTION },
    );

    // Assess
    expect(next.record?.message).toHaveLength(RECORD_MESSAGE_MAX);
    expect(next.record?.message.endsWith('…')).toBe(true);
  });
});

describe('nextRecord: how an open finding is resolved', () => {
  const resolveWith = (observation: Parameters<typeof nextRecord>[2], previous = openRecord()) =>
    nextRecord(identity(), previous, observation, { now: T1, ...RETENTION });

  it('as fixed when the resource is compliant now, keeping when it was seen open', () => {
    // Act
    const next = resolveWith({
      finding: finding({ status: 'compliant', message: 'scan on push' }),
      resourceExists: true,
    });

    // Assess
    expect(next).toEqual({
      change: 'resolved',
      record: {
        ...openRecord(),
        state: 'resolved',
        status: 'compliant',
        message: 'scan on push',
        firstSeen: T0.toISOString(),
        lastSeen: T0.toISOString(),
        resolvedAt: T1.toISOString(),
        resolution: 'fixed',
        expiresAt: Math.floor(T1.getTime() / 1000) + 90 * 24 * 3600,
      },
    });
    expect(findingRecordSchema().safeParse(next.record).success).toBe(true);
  });

  it('as exempted when the finding is exempt now', () => {
    // Act
    const next = resolveWith({ finding: finding({ status: 'exempt' }), resourceExists: true });

    // Assess
    expect(next.record).toMatchObject({ state: 'resolved', status: 'exempt', resolution: 'exempted' });
  });

  it('as deleted when there is no finding and the resource is gone, keeping its last status', () => {
    // Act
    const next = resolveWith({ resourceExists: false });

    // Assess
    expect(next.record).toMatchObject({ state: 'resolved', status: 'violation', resolution: 'deleted' });
  });

  it('as fixed when there is no finding but the resource exists (the rule no longer applies to it)', () => {
    // Act
    const next = resolveWith({ resourceExists: true });

    // Assess
    expect(next.record).toMatchObject({ resolution: 'fixed' });
  });

  it('as remediated when buildwarden fixed it in this evaluation', () => {
    // Act
    const next = resolveWith({
      finding: finding({ status: 'compliant' }),
      resourceExists: true,
      remediated: true,
    });

    // Assess
    expect(next.record).toMatchObject({ resolution: 'remediated' });
  });

  it('expires the resolved record retentionDays after it was resolved (epoch seconds)', () => {
    // Act
    const next = nextRecord(
      identity(),
      openRecord(),
      { resourceExists: true },
      { now: T1, retentionDays: 7 },
    );

    // Assess
    expect(next.record?.expiresAt).toBe(Date.parse('2026-11-27T12:00:00.000Z') / 1000);
  });
});

describe('nextRecord: fixes buildwarden applied after it saw the finding open', () => {
  it('marks the open record remediated instead of resolving it: the fix is not confirmed yet', () => {
    // Act
    const next = nextRecord(
      identity(),
      openRecord(),
      { finding: finding(), resourceExists: true, remediated: true },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next.change).toBe('updated');
    expect(next.record).toMatchObject({ state: 'open', remediatedAt: T1.toISOString() });
  });

  it('resolves a marked record as remediated when the next evaluation finds it compliant', () => {
    // Act
    const next = nextRecord(
      identity(),
      openRecord({ remediatedAt: T0.toISOString() }),
      { finding: finding({ status: 'compliant' }), resourceExists: true },
      { now: T1, ...RETENTION },
    );

    // Assess
    expect(next.record).toMatchObject({ state: 'resolved', resolution: 'remediated' });
    expect(next.record).not.toHaveProperty('remediatedAt');
  });

  it('clears the mark when the next evaluation still finds it open (the fix did not resolve it)', () => {
    // Act
    const next = nextRecord(
      identity(),
      openRecord({ remediatedAt: T0.toISOString() }),
      { finding: finding(), resourceExists: true },
      { now: T1, ...RETENTION },
    );

    // Assess
    expect(next.record).toMatchObject({ state: 'open' });
    expect(next.record).not.toHaveProperty('remediatedAt');
  });

  it('resolves a marked record whose resource is gone as deleted', () => {
    // Act
    const next = nextRecord(
      identity(),
      openRecord({ remediatedAt: T0.toISOString() }),
      { resourceExists: false },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next.record).toMatchObject({ resolution: 'deleted' });
  });
});

describe('nextRecord: nothing to record', () => {
  it('leaves no record for a compliant finding never seen open', () => {
    // Act
    const next = nextRecord(
      identity(),
      undefined,
      { finding: finding({ status: 'compliant' }), resourceExists: true },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next).toEqual({});
  });

  it('leaves no record for an exempt finding never seen open', () => {
    // Act
    const next = nextRecord(
      identity(),
      undefined,
      { finding: finding({ status: 'exempt' }), resourceExists: true },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next).toEqual({});
  });

  it('leaves a resolved record as it is while the finding stays resolved', () => {
    // Act
    const next = nextRecord(
      identity(),
      resolvedRecord(),
      { finding: finding({ status: 'compliant' }), resourceExists: true },
      {
        now: T2,
        ...RETENTION,
      },
    );

    // Assess
    expect(next).toEqual({});
  });

  it('drops an evaluation older than what is stored (newest truth wins)', () => {
    // Prepare: a change event recorded the fix at T2 while an audit that read the account at T1 was running
    const previous = resolvedRecord({ resolvedAt: T2.toISOString() });

    // Act
    const next = nextRecord(
      identity(),
      previous,
      { finding: finding(), resourceExists: true },
      {
        now: T1,
        ...RETENTION,
      },
    );

    // Assess
    expect(next).toEqual({});
  });
});

describe('findingRecordSchema()', () => {
  it('rejects an open record that carries a resolution, naming the field', () => {
    // Act
    const result = findingRecordSchema().safeParse(openRecord({ resolution: 'fixed' }));

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('resolution');
  });

  it('rejects a resolved record without its expiry, naming the field', () => {
    // Prepare
    const { expiresAt: _dropped, ...record } = resolvedRecord();

    // Act
    const result = findingRecordSchema().safeParse(record);

    // Assess
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['expiresAt']);
  });
});

describe('reconcile', () => {
  const input = (overrides: Partial<ReconcileInput> = {}): ReconcileInput => ({
    scope: SCOPE,
    previous: [],
    findings: [],
    evaluatedRules: new Set(['ecr.scan-on-push', 'ecr.tag-immutability', 'codebuild.role-can-push']),
    now: T1,
    ...RETENTION,
    ...overrides,
  });

  it('opens a record per open finding and writes nothing for compliant ones', () => {
    // Act
    const result = reconcile(
      input({
        findings: [
          finding(),
          finding({ ruleId: 'ecr.tag-immutability', status: 'compliant' }),
          finding({ resourceArn: OTHER_REPO, status: 'compliant' }),
        ],
      }),
    );

    // Assess
    expect(result.changes.map((c) => [c.change, c.record.ruleId, c.record.resourceArn])).toEqual([
      ['opened', 'ecr.scan-on-push', REPO],
    ]);
    expect(result.writes).toEqual(result.changes.map((c) => c.record));
  });

  it('keeps one record per account, region, resource and rule: the worst of several findings', () => {
    // Prepare: a shared role judged once per target repository
    const canPush = (status: Finding['status'], message: string) =>
      finding({
        ruleId: 'codebuild.role-can-push',
        resourceType: 'AWS::IAM::Role',
        resourceArn: ROLE,
        status,
        message,
      });

    // Act
    const result = reconcile(
      input({ findings: [canPush('compliant', 'can push to a'), canPush('violation', 'cannot push to b')] }),
    );

    // Assess
    expect(result.writes).toHaveLength(1);
    expect(result.writes[0]).toMatchObject({ status: 'violation', message: 'cannot push to b' });
  });

  it('resolves an open record of a resource no finding names any more as deleted', () => {
    // Act
    const result = reconcile(
      input({ previous: [openRecord()], findings: [finding({ resourceArn: OTHER_REPO })] }),
    );

    // Assess
    expect(result.changes.find((c) => c.record.resourceArn === REPO)).toMatchObject({
      change: 'resolved',
      previous: openRecord(),
      record: { resolution: 'deleted' },
    });
  });

  it('resolves as fixed, not deleted, when the caller says the resource still exists', () => {
    // Act
    const result = reconcile(input({ previous: [openRecord()], existingResources: new Set([REPO]) }));

    // Assess
    expect(result.writes[0]).toMatchObject({ state: 'resolved', resolution: 'fixed' });
  });

  it('leaves open records of a rule that did not run as they are, and counts them unchecked', () => {
    // Prepare
    const previous = openRecord({ ruleId: 'ecr.lifecycle-policy' });

    // Act
    const result = reconcile(input({ previous: [previous] }));

    // Assess
    expect(result.writes).toEqual([]);
    expect(result.unchecked).toEqual([previous]);
  });

  it('leaves open records of resources the evaluation did not cover as they are', () => {
    // Prepare: the change handler evaluated OTHER_REPO only
    const previous = openRecord();

    // Act
    const result = reconcile(
      input({
        previous: [previous],
        evaluatedResources: new Set([OTHER_REPO]),
        existingResources: new Set([OTHER_REPO]),
      }),
    );

    // Assess
    expect(result.writes).toEqual([]);
    expect(result.unchecked).toEqual([previous]);
  });

  it('ignores records and findings of another account or region', () => {
    // Prepare
    const elsewhere = openRecord({ region: 'eu-west-1' });
    const foreign: ScopedFinding = { ...finding(), accountId: '210987654321' };

    // Act
    const result = reconcile(input({ previous: [elsewhere], findings: [foreign] }));

    // Assess
    expect(result.writes).toEqual([]);
    expect(result.unchecked).toEqual([]);
  });

  it('resolves as remediated the identities the caller says buildwarden fixed', () => {
    // Act
    const result = reconcile(
      input({
        previous: [openRecord()],
        findings: [finding({ status: 'compliant' })],
        remediated: new Set([identityKey(identity())]),
      }),
    );

    // Assess
    expect(result.writes[0]).toMatchObject({ resolution: 'remediated' });
  });

  it('updates a record still open (lastSeen moves) and lists changes open first, worst first', () => {
    // Prepare
    const stillOpen = openRecord();
    const toResolve = openRecord({ ruleId: 'ecr.tag-immutability', severity: 'critical' });

    // Act
    const result = reconcile(
      input({
        previous: [stillOpen, toResolve],
        findings: [
          finding(),
          finding({ ruleId: 'ecr.tag-immutability', status: 'compliant', severity: 'critical' }),
          finding({ resourceArn: OTHER_REPO, severity: 'high' }),
        ],
      }),
    );

    // Assess
    expect(result.changes.map((c) => [c.change, c.record.ruleId, c.record.resourceArn])).toEqual([
      ['opened', 'ecr.scan-on-push', OTHER_REPO],
      ['updated', 'ecr.scan-on-push', REPO],
      ['resolved', 'ecr.tag-immutability', REPO],
    ]);
    expect(result.writes.map((r) => r.lastSeen)).toEqual([
      T1.toISOString(),
      T1.toISOString(),
      T0.toISOString(),
    ]);
  });
});

describe('compareRecords', () => {
  it('orders open before resolved, then by severity, then oldest first', () => {
    // Prepare
    const records = [
      resolvedRecord({ severity: 'critical' }),
      openRecord({ severity: 'low' }),
      openRecord({ severity: 'high', firstSeen: T1.toISOString(), lastSeen: T1.toISOString() }),
      openRecord({ severity: 'high', ruleId: 'ecr.tag-immutability' }),
    ];

    // Act
    const sorted = [...records].sort(compareRecords);

    // Assess
    expect(sorted.map((r) => [r.state, r.severity, r.firstSeen])).toEqual([
      ['open', 'high', T0.toISOString()],
      ['open', 'high', T1.toISOString()],
      ['open', 'low', T0.toISOString()],
      ['resolved', 'critical', T0.toISOString()],
    ]);
  });
});

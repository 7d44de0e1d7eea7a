import { summarize, type Finding } from '../../../lib/policy/findings';
import {
  ARRAY_ATTRIBUTE_MAX_BYTES,
  MESSAGE_BUDGET_BYTES,
  auditSummaryNotification,
  changeNotification,
  deliverable,
  truncateLines,
  type ChangeItem,
} from '../../../lib/policy/notifications';

const finding = (i: number, status: Finding['status'] = 'violation'): Finding => ({
  ruleId: 'ecr.tag-immutability',
  resourceType: 'AWS::ECR::Repository',
  resourceArn: `arn:aws:ecr:us-east-1:123456789012:repository/repo-${String(i).padStart(3, '0')}`,
  status,
  severity: 'medium',
  message: 'image tags are MUTABLE',
  remediable: true,
});

describe('audit summary notification', () => {
  test('names counts per rule and truncates the offenders with a count', () => {
    const findings = Array.from({ length: 25 }, (_, i) => finding(i));
    const summary = summarize(findings, { repositories: 25, projects: 0, roles: 0 });

    const n = auditSummaryNotification({
      accountId: '123456789012',
      region: 'us-east-1',
      findings,
      summary,
      top: 5,
    });

    expect(n.subject).toBe('buildwarden audit 123456789012/us-east-1: 25 violations, 0 not visible');
    expect(n.message).toMatch(/ecr\.tag-immutability\s+25 violation/);
    expect(n.message).toMatch(/Worst offenders \(top 5 of 25\):/);
    expect(n.message).toMatch(/… and 20 more/);
    expect(n.attributes).toEqual({ kind: 'audit-summary', severity: 'medium' });
  });

  test('an account with no violations says all guardrails pass', () => {
    const findings = [finding(1, 'compliant')];

    const n = auditSummaryNotification({
      accountId: '123456789012',
      region: 'us-east-1',
      findings,
      summary: summarize(findings, { repositories: 1, projects: 0, roles: 0 }),
    });

    expect(n.subject).toMatch(/all guardrails pass$/);
    expect(n.attributes.severity).toBe('none');
  });

  test('with a delta, the subject says nothing new and the message leads with the delta', () => {
    const findings = [finding(1)];

    const n = auditSummaryNotification({
      accountId: '123456789012',
      region: 'us-east-1',
      findings,
      summary: summarize(findings, { repositories: 1, projects: 0, roles: 0 }),
      delta: { headline: 'nothing new', lines: ['Since the last audit: nothing new; 1 still open.'] },
    });

    expect(n.subject).toBe(
      'buildwarden audit 123456789012/us-east-1: nothing new; 1 violations, 0 not visible',
    );
    expect(n.message.split('\n').slice(0, 3)).toEqual([
      'Since the last audit: nothing new; 1 still open.',
      '',
      'Account 123456789012, region us-east-1.',
    ]);
  });

  test('truncateLines keeps short lists whole', () => {
    expect(truncateLines(['a', 'b'], 5)).toEqual(['a', 'b']);
  });
});

describe('change notification (one per change event)', () => {
  const REPO = 'arn:aws:ecr:us-east-1:123456789012:repository/web/frontend';
  const PROJECT = 'arn:aws:codebuild:us-east-1:123456789012:project/web-build';
  const item = (overrides: Partial<ChangeItem> = {}): ChangeItem => ({
    ruleId: 'ecr.tag-immutability',
    resourceArn: REPO,
    outcome: 'applied',
    before: 'MUTABLE',
    after: 'IMMUTABLE',
    message: 'image tags are MUTABLE',
    severity: 'medium',
    ...overrides,
  });
  const input = (items: ChangeItem[], failure?: string) => ({
    items,
    principal: 'arn:aws:sts::123456789012:assumed-role/PlatformAdmin/jane.doe',
    eventName: 'PutImageTagMutability',
    region: 'us-east-1',
    accountId: '123456789012',
    ...(failure ? { failure } : {}),
  });

  test('names the most severe item in the subject, and how many more there are', () => {
    // Act
    const n = changeNotification(
      input([
        item(),
        item({ ruleId: 'ecr.scan-on-push', severity: 'high' }),
        item({ ruleId: 'ecr.encryption' }),
      ]),
    );

    // Assess
    expect(n.subject).toBe('buildwarden fixed ecr.scan-on-push on web/frontend (+2 more)');
    expect(n.attributes.severity).toBe('high');
  });

  test('among items of one severity, names a refused fix before a violation, a dry run and an applied fix', () => {
    // Act
    const n = changeNotification(
      input([
        item({ outcome: 'applied' }),
        item({ ruleId: 'ecr.scan-on-push', outcome: 'dry-run' }),
        item({ ruleId: 'ecr.encryption', outcome: 'reported' }),
        item({ ruleId: 'ecr.lifecycle-policy', outcome: 'refused', reason: 'not safe' }),
      ]),
    );

    // Assess
    expect(n.subject).toBe('buildwarden did not fix ecr.lifecycle-policy on web/frontend (+3 more)');
  });

  test('lists every item as a block, before and after only for actions', () => {
    // Act
    const n = changeNotification(input([item(), item({ ruleId: 'ecr.encryption', outcome: 'reported' })]));

    // Assess
    const blocks = n.message.split('\n\n').filter((b) => b.startsWith('Rule: '));
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toContain('Before: MUTABLE\nAfter:  IMMUTABLE');
    expect(blocks[1]).not.toContain('Before:');
    expect(n.message.split('\n')[0]).toBe('1 fixed, 1 violation(s) left for people.');
  });

  test('gives every distinct kind and resource as attributes, one value as a plain string', () => {
    // Act
    const n = changeNotification(
      input([
        item(),
        item({ ruleId: 'codebuild.privileged-mode', resourceArn: PROJECT, outcome: 'reported' }),
        item({ ruleId: 'ecr.scan-on-push' }),
      ]),
    );

    // Assess
    expect(n.attributes).toEqual({
      kind: ['remediation', 'guardrail-violation'],
      severity: 'medium',
      repository: 'web/frontend',
      project: 'web-build',
    });
  });

  test('says the handling stopped when it failed, after the counts', () => {
    // Act
    const n = changeNotification(input([item()], 'ThrottlingException: Rate exceeded'));

    // Assess
    expect(n.message.split('\n').slice(0, 2)).toEqual([
      '1 fixed.',
      'The handling stopped before the end and will be retried: ThrottlingException: Rate exceeded',
    ]);
  });

  test('refuses to build a notification of nothing', () => {
    expect(() => changeNotification(input([]))).toThrow(RangeError);
  });
});

describe('deliverable', () => {
  test('drops empty attributes, single and several-valued alike', () => {
    // Act
    const d = deliverable({
      subject: 's',
      message: 'm',
      attributes: { a: '', b: [], c: 'x', d: ['y', 'z'] },
    });

    // Assess
    expect(d.attributes).toEqual({ c: 'x', d: ['y', 'z'] });
  });

  test(`keeps at most ${ARRAY_ATTRIBUTE_MAX_BYTES} bytes of values in a several-valued attribute, in order`, () => {
    // Prepare
    const names = Array.from({ length: 2000 }, (_, i) => `team/repository-${i}`);

    // Act
    const d = deliverable({ subject: 's', message: 'm', attributes: { repository: names } });

    // Assess
    const kept = d.attributes.repository as string[];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(names.length);
    expect(kept).toEqual(names.slice(0, kept.length));
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(ARRAY_ATTRIBUTE_MAX_BYTES);
  });

  test('counts several-valued attributes against the message budget', () => {
    // Prepare
    const message = 'x'.repeat(MESSAGE_BUDGET_BYTES);
    const values = Array.from({ length: 100 }, (_, i) => `team/repository-${i}`);

    // Act
    const bare = deliverable({ subject: 's', message, attributes: {} });
    const withArray = deliverable({ subject: 's', message, attributes: { repository: values } });

    // Assess
    expect(Buffer.byteLength(withArray.message)).toBeLessThanOrEqual(
      MESSAGE_BUDGET_BYTES - Buffer.byteLength(JSON.stringify(values)),
    );
    expect(Buffer.byteLength(withArray.message)).toBeLessThan(Buffer.byteLength(bare.message));
  });
});

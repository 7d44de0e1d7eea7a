import { summarize, type Finding } from '../../../lib/policy/findings';
import { auditSummaryNotification, truncateLines } from '../../../lib/policy/notifications';

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

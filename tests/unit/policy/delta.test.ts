import {
  baselineScopeProblem,
  computeDelta,
  deltaLines,
  deltaText,
  describeAge,
  findingKey,
  parsePreviousReport,
  trackFindings,
  type PreviousReport,
} from '../../../lib/policy/delta';
import type { Finding } from '../../../lib/policy/findings';
import { InvalidInputError } from '../../../lib/policy/validation';

const SCOPE = { accountId: '123456789012', region: 'us-east-1' };
const NOW = new Date('2026-03-20T12:00:00.000Z');
const repo = (name: string) => `arn:aws:ecr:us-east-1:123456789012:repository/${name}`;

function finding(name: string, overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'ecr.tag-immutability',
    resourceType: 'AWS::ECR::Repository',
    resourceArn: repo(name),
    status: 'violation',
    severity: 'medium',
    message: 'image tags are MUTABLE',
    remediable: true,
    ...overrides,
  };
}

function previous(findings: PreviousReport['findings'], extra: Partial<PreviousReport> = {}): PreviousReport {
  return { ...SCOPE, generatedAt: '2026-03-10T12:00:00.000Z', findings, ...extra };
}

const prior = (name: string, overrides: Partial<PreviousReport['findings'][number]> = {}) => ({
  ruleId: 'ecr.tag-immutability',
  resourceArn: repo(name),
  status: 'violation' as const,
  severity: 'medium' as const,
  ...overrides,
});

describe('computeDelta', () => {
  test('a violation absent from the baseline is new, first seen now', () => {
    const delta = computeDelta(previous([]), [finding('web/app')], { now: NOW, scope: SCOPE });

    expect(delta.newFindings).toEqual([
      expect.objectContaining({
        ruleId: 'ecr.tag-immutability',
        resourceArn: repo('web/app'),
        firstSeen: NOW.toISOString(),
        firstSeenExact: true,
        ageDays: 0,
      }),
    ]);
    expect(delta.stillOpen).toEqual([]);
  });

  test('a finding that was compliant in the baseline and is violated now is new', () => {
    const delta = computeDelta(previous([prior('web/app', { status: 'compliant' })]), [finding('web/app')], {
      now: NOW,
      scope: SCOPE,
    });

    expect(delta.newFindings).toHaveLength(1);
  });

  test('a violation open in the baseline is still open, with the first time seen carried and its age', () => {
    const base = previous([prior('web/app', { firstSeen: '2026-03-01T00:00:00.000Z' })]);

    const delta = computeDelta(base, [finding('web/app')], { now: NOW, scope: SCOPE });

    expect(delta.newFindings).toEqual([]);
    expect(delta.stillOpen).toEqual([
      expect.objectContaining({ firstSeen: '2026-03-01T00:00:00.000Z', firstSeenExact: true, ageDays: 19 }),
    ]);
  });

  test('an open finding now compliant is resolved as fixed', () => {
    const delta = computeDelta(previous([prior('web/app')]), [finding('web/app', { status: 'compliant' })], {
      now: NOW,
      scope: SCOPE,
    });

    expect(delta.resolved).toEqual([
      expect.objectContaining({ resourceArn: repo('web/app'), resolution: 'fixed', status: 'compliant' }),
    ]);
  });

  test('an open finding now exempt is resolved as exempted', () => {
    const delta = computeDelta(previous([prior('web/app')]), [finding('web/app', { status: 'exempt' })], {
      now: NOW,
      scope: SCOPE,
    });

    expect(delta.resolved[0]!.resolution).toBe('exempted');
  });

  test('an open finding no longer reported by a rule that ran is resolved as gone', () => {
    const delta = computeDelta(previous([prior('web/deleted')]), [], {
      now: NOW,
      scope: SCOPE,
      evaluatedRules: new Set(['ecr.tag-immutability']),
    });

    expect(delta.resolved).toEqual([
      expect.objectContaining({ resourceArn: repo('web/deleted'), resolution: 'gone' }),
    ]);
  });

  test('an open finding of a rule this audit did not run is neither resolved nor open, but counted', () => {
    const delta = computeDelta(previous([prior('web/app')]), [], {
      now: NOW,
      scope: SCOPE,
      evaluatedRules: new Set(['ecr.encryption']),
    });

    expect(delta.resolved).toEqual([]);
    expect(delta.unchecked).toBe(1);
  });

  test('an older report without firstSeen ages its open findings from its generatedAt, as a lower bound', () => {
    const delta = computeDelta(previous([prior('web/app')]), [finding('web/app')], {
      now: NOW,
      scope: SCOPE,
    });

    expect(delta.stillOpen[0]).toEqual(
      expect.objectContaining({ firstSeen: '2026-03-10T12:00:00.000Z', firstSeenExact: false, ageDays: 10 }),
    );
    expect(describeAge(delta.stillOpen[0]!)).toBe('open at least 10 days (since 2026-03-10 or earlier)');
  });

  test('a report without generatedAt or firstSeen leaves the age unknown', () => {
    const base = parsePreviousReport({ findings: [prior('web/app')], summary: {} }, 'old.json');

    const delta = computeDelta(base, [finding('web/app')], { now: NOW, scope: SCOPE });

    expect(delta.stillOpen[0]!.firstSeen).toBeUndefined();
    expect(describeAge(delta.stillOpen[0]!)).toBe('open since before the baseline');
  });

  test('findings of the same resource and rule in another account or region are different findings', () => {
    const base = previous([prior('web/app', { accountId: '111122223333', region: 'eu-west-1' })]);

    const delta = computeDelta(base, [finding('web/app')], { now: NOW, scope: SCOPE });

    expect(delta.newFindings).toHaveLength(1);
    expect(delta.resolved).toEqual([
      expect.objectContaining({ accountId: '111122223333', resolution: 'gone' }),
    ]);
  });

  test('a finding without accountId and region is keyed on the report account and region', () => {
    expect(findingKey(finding('web/app'), SCOPE)).toBe(
      findingKey(finding('web/app', { accountId: SCOPE.accountId, region: SCOPE.region }), SCOPE),
    );
  });

  test('several findings of one resource and rule are one key, open while any of them is', () => {
    const role = 'arn:aws:iam::123456789012:role/service-role/build';
    const canPush = (status: Finding['status'], target: string) =>
      finding('x', {
        ruleId: 'codebuild.role-can-push',
        resourceType: 'AWS::IAM::Role',
        resourceArn: role,
        status,
        details: { repositoryArn: repo(target) },
      });
    const base = previous([{ ...prior('x'), ruleId: 'codebuild.role-can-push', resourceArn: role }]);

    const delta = computeDelta(base, [canPush('compliant', 'a'), canPush('violation', 'b')], {
      now: NOW,
      scope: SCOPE,
    });

    expect(delta.stillOpen).toHaveLength(1);
    expect(delta.resolved).toEqual([]);
  });

  test('a finding that went from not-visible to violation stays open with its age', () => {
    const base = previous([
      prior('web/app', { status: 'not-visible', firstSeen: '2026-03-01T00:00:00.000Z' }),
    ]);

    const delta = computeDelta(base, [finding('web/app')], { now: NOW, scope: SCOPE });

    expect(delta.stillOpen).toEqual([expect.objectContaining({ status: 'violation', ageDays: 19 })]);
  });

  test('the oldest open critical findings come first, new ones last', () => {
    const critical = { ruleId: 'ecr.repository-policy', severity: 'critical' as const };
    const base = previous([
      prior('b', { ...critical, firstSeen: '2026-02-01T00:00:00.000Z' }),
      prior('a', { ...critical, firstSeen: '2026-03-01T00:00:00.000Z' }),
    ]);

    const delta = computeDelta(
      base,
      [finding('a', critical), finding('b', critical), finding('c', critical), finding('d')],
      { now: NOW, scope: SCOPE },
    );

    expect(delta.oldestCritical.map((e) => e.resourceArn)).toEqual([repo('b'), repo('a'), repo('c')]);
  });

  test('compliant and exempt findings are neither new nor still open', () => {
    const delta = computeDelta(
      previous([]),
      [finding('a', { status: 'compliant' }), finding('b', { status: 'exempt' })],
      { now: NOW, scope: SCOPE },
    );

    expect(delta.newFindings).toEqual([]);
    expect(delta.stillOpen).toEqual([]);
  });
});

describe('the delta as text', () => {
  test('a run with nothing new says so in its headline, even when something was resolved', () => {
    const delta = computeDelta(
      previous([prior('a'), prior('b')]),
      [finding('a'), finding('b', { status: 'compliant' })],
      { now: NOW, scope: SCOPE },
    );

    expect(deltaText(delta).headline).toBe('nothing new, 1 resolved');
  });

  test('the headline counts new and resolved findings', () => {
    const delta = computeDelta(previous([prior('a')]), [finding('b'), finding('c')], {
      now: NOW,
      scope: SCOPE,
    });

    expect(deltaText(delta).headline).toBe('2 new, 1 resolved');
  });

  test('the lines name the rule and resource of each new, resolved and still-open finding, with ages', () => {
    const base = previous([prior('old', { firstSeen: '2026-03-13T12:00:00.000Z' }), prior('fixed')]);
    const delta = computeDelta(
      base,
      [finding('old'), finding('fixed', { status: 'compliant' }), finding('fresh', { severity: 'high' })],
      { now: NOW, scope: SCOPE },
    );

    const text = deltaLines(delta).join('\n');

    expect(text).toMatch(
      /^Since the last audit \(2026-03-10T12:00:00.000Z\): 1 new, 1 resolved; 1 still open\./,
    );
    expect(text).toMatch(/New \(1\):\n {2}high {5}ecr\.tag-immutability on fresh\n/);
    expect(text).toMatch(
      /Resolved \(1\):\n {2}medium {3}ecr\.tag-immutability on fixed — fixed \(now compliant\)\n/,
    );
    expect(text).toMatch(
      /Still open \(1\):\n {2}medium {3}ecr\.tag-immutability on old — open 7 days \(since 2026-03-13\)$/,
    );
  });

  test('each list is cut at top with a count of the rest', () => {
    const delta = computeDelta(
      previous([]),
      ['a', 'b', 'c', 'd'].map((n) => finding(n)),
      { now: NOW, scope: SCOPE },
    );

    const lines = deltaLines(delta, { top: 2 });

    expect(lines).toContain('… and 2 more');
  });

  test('a rule not run this time is mentioned, not called resolved', () => {
    const delta = computeDelta(previous([prior('a')]), [], {
      now: NOW,
      scope: SCOPE,
      evaluatedRules: new Set<string>(),
    });

    expect(deltaLines(delta).join('\n')).toMatch(
      /1 open before, of rules this audit did not run: not checked/,
    );
  });
});

describe('trackFindings', () => {
  test('open findings carry the baseline first-seen time; new ones get now; others get none', () => {
    const base = previous([prior('old', { firstSeen: '2026-01-01T00:00:00.000Z' })]);

    const tracked = trackFindings(
      [finding('old'), finding('new'), finding('ok', { status: 'compliant' })],
      base,
      { now: NOW, scope: SCOPE },
    );

    expect(tracked.map((f) => f.firstSeen)).toEqual([
      '2026-01-01T00:00:00.000Z',
      NOW.toISOString(),
      undefined,
    ]);
  });

  test('without a baseline every open finding is first seen now', () => {
    const tracked = trackFindings([finding('a', { status: 'not-visible' })], undefined, {
      now: NOW,
      scope: SCOPE,
    });

    expect(tracked[0]!.firstSeen).toBe(NOW.toISOString());
  });
});

describe('parsePreviousReport', () => {
  test('an older --format json output (findings and summary only) is a valid baseline', () => {
    const parsed = parsePreviousReport(
      { findings: [{ ...prior('a'), resourceType: 'AWS::ECR::Repository', message: 'm', remediable: true }] },
      'old.json',
    );

    expect(parsed.findings).toHaveLength(1);
  });

  test('a file that is not a report is InvalidInputError naming the file and the field', () => {
    const snapshot = {
      format: 'buildwarden-snapshot/1',
      accountId: '123456789012',
      ecr: { repositories: [] },
    };

    expect(() => parsePreviousReport(snapshot, 'account.json')).toThrow(InvalidInputError);
    expect(() => parsePreviousReport(snapshot, 'account.json')).toThrow(
      /account\.json is invalid:\n {2}findings:/,
    );
  });

  test('a finding with an unknown status names its path', () => {
    expect(() =>
      parsePreviousReport({ findings: [{ ...prior('a'), status: 'broken' }] }, 'prev.json'),
    ).toThrow(/findings\[0\]\.status/);
  });

  test('a firstSeen that is not a timestamp is refused', () => {
    expect(() =>
      parsePreviousReport({ findings: [{ ...prior('a'), firstSeen: 'yesterday' }] }, 'prev.json'),
    ).toThrow(/findings\[0\]\.firstSeen/);
  });
});

describe('baselineScopeProblem', () => {
  test('a baseline of another account is named', () => {
    expect(baselineScopeProblem(previous([], { accountId: '999999999999' }), SCOPE)).toMatch(
      /account 999999999999 in us-east-1, this audit is of account 123456789012 in us-east-1/,
    );
  });

  test('a baseline of the same account and region, or one that does not say, fits', () => {
    expect(baselineScopeProblem(previous([]), SCOPE)).toBeUndefined();
    expect(baselineScopeProblem({ findings: [] }, SCOPE)).toBeUndefined();
  });
});

import path from 'node:path';
import fc from 'fast-check';
import { loadJson } from '../../../fixtures/load';
import { parseScanGate } from '../../../../lib/policy/scan/scan-gate-config';
import type { ScanEvent } from '../../../../lib/policy/scan-events';
import { parseScanEvent } from '../../../../lib/policy/scan-events';
import type { ScanFinding } from '../../../../lib/policy/scan/image-scan-findings';
import type { ScanSeverity } from '../../../../lib/policy/scan/severity';
import { SCAN_SEVERITIES } from '../../../../lib/policy/scan/severity';
import {
  decideVerdict,
  deletionRefusal,
  isAllowlistEntryExpired,
  isoMillis,
  scanFactsFromFindings,
  scanStateOf,
  staleVerdictReason,
  verdictChange,
  worstNewFinding,
} from '../../../../lib/policy/scan/verdict';
import { zeroCounts } from '../../../../lib/policy/scan/severity';

const NOW = new Date('2026-10-02T09:20:00Z');

interface ScanEventJson {
  detail: { 'scan-status': string; 'finding-severity-counts'?: Record<string, number> };
}
const repoEvent = <T>(name: string): T => loadJson<T>(path.join('..', '..', 'events', name));

/** A basic scan of web/frontend:1.4.2 (events/ecr-image-scan-complete.json) with these counts. */
function basicScan(counts: Record<string, number>, status: 'COMPLETE' | 'FAILED' = 'COMPLETE'): ScanEvent {
  const event = repoEvent<ScanEventJson>('ecr-image-scan-complete.json');
  event.detail['finding-severity-counts'] = counts;
  event.detail['scan-status'] = status;
  return parseScanEvent(event);
}

/** An enhanced scan of web/frontend:1.4.2 (events/inspector2-scan-complete.json) with these counts. */
function enhancedScan(counts: Record<string, number>): ScanEvent {
  const event = repoEvent<ScanEventJson>('inspector2-scan-complete.json');
  event.detail['finding-severity-counts'] = counts;
  return parseScanEvent(event);
}

function finding(id: string, severity: ScanSeverity, score?: number, packageName = 'openssl'): ScanFinding {
  return {
    id,
    severity,
    ...(score !== undefined ? { score } : {}),
    packages: [{ name: packageName, version: '3.0.2' }],
  };
}

describe('thresholds', () => {
  test('with the defaults, one critical finding fails the image', () => {
    const verdict = decideVerdict({
      scan: basicScan({ CRITICAL: 1 }),
      findings: [],
      config: parseScanGate({}),
      now: NOW,
    });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.exceeded).toEqual([{ severity: 'critical', count: 1, max: 0 }]);
  });

  test('with the defaults, any number of medium and low findings passes', () => {
    const verdict = decideVerdict({
      scan: basicScan({ MEDIUM: 40, LOW: 300, INFORMATIONAL: 12 }),
      findings: [],
      config: parseScanGate({}),
      now: NOW,
    });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.exceeded).toEqual([]);
  });

  test('a count equal to its threshold passes; one more fails', () => {
    const config = parseScanGate({ thresholds: { high: 3 } });

    const atLimit = decideVerdict({ scan: basicScan({ HIGH: 3 }), findings: [], config, now: NOW });
    const over = decideVerdict({ scan: basicScan({ HIGH: 4 }), findings: [], config, now: NOW });

    expect([atLimit.verdict, over.verdict]).toEqual(['pass', 'fail']);
  });

  test('every exceeded severity is listed, worst first', () => {
    const config = parseScanGate({ thresholds: { medium: 5 } });

    const verdict = decideVerdict({
      scan: basicScan({ CRITICAL: 2, HIGH: 1, MEDIUM: 6 }),
      findings: [],
      config,
      now: NOW,
    });

    expect(verdict.exceeded).toEqual([
      { severity: 'critical', count: 2, max: 0 },
      { severity: 'high', count: 1, max: 0 },
      { severity: 'medium', count: 6, max: 5 },
    ]);
  });

  test('a matching repository override applies and is named as the source', () => {
    const config = parseScanGate({
      repositoryOverrides: [{ repositories: ['web/*'], thresholds: { high: 5 } }],
    });

    const verdict = decideVerdict({ scan: basicScan({ HIGH: 4 }), findings: [], config, now: NOW });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.thresholdSource).toBe('repositoryOverrides[0]');
  });

  test('an override for other repositories does not apply', () => {
    const config = parseScanGate({
      repositoryOverrides: [{ repositories: ['api/*'], thresholds: { high: 5 } }],
    });

    const verdict = decideVerdict({ scan: basicScan({ HIGH: 4 }), findings: [], config, now: NOW });

    expect(verdict.verdict).toBe('fail');
  });
});

describe('allowlist', () => {
  const config = (expires: string, repositories?: string[]) =>
    parseScanGate({
      allowlist: [
        {
          cve: 'CVE-2023-44487',
          reason: 'HTTP/2 not exposed',
          expires,
          ...(repositories ? { repositories } : {}),
        },
      ],
    });

  test('an active entry takes its findings out of their severity count', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 1, MEDIUM: 2 }),
      findings: [finding('CVE-2023-44487', 'high', 7.5)],
      config: config('2026-12-31'),
      now: NOW,
    });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.counts.high).toBe(0);
    expect(verdict.rawCounts.high).toBe(1);
    expect(verdict.allowlisted).toEqual([
      { cve: 'CVE-2023-44487', reason: 'HTTP/2 not exposed', expires: '2026-12-31', findings: 1 },
    ]);
  });

  test('an expired entry is reported and not applied', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 1 }),
      findings: [finding('CVE-2023-44487', 'high', 7.5)],
      config: config('2026-09-30'),
      now: NOW,
    });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.allowlisted).toEqual([]);
    expect(verdict.expiredAllowlist).toEqual([{ cve: 'CVE-2023-44487', expired: '2026-09-30' }]);
  });

  test('a date-only expiry is valid through the end of that day (UTC)', () => {
    expect(isAllowlistEntryExpired('2026-10-02', new Date('2026-10-02T23:59:59Z'))).toBe(false);
    expect(isAllowlistEntryExpired('2026-10-02', new Date('2026-10-03T00:00:00Z'))).toBe(true);
  });

  test('a date-time expiry ends at that instant', () => {
    expect(isAllowlistEntryExpired('2026-10-02T09:00:00Z', NOW)).toBe(true);
  });

  test('an entry for other repositories does not apply', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 1 }),
      findings: [finding('CVE-2023-44487', 'high')],
      config: config('2026-12-31', ['api/*']),
      now: NOW,
    });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.allowlisted).toEqual([]);
  });

  test('a CVE the findings list does not show is not subtracted: the event counts stay the truth', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 1 }),
      findings: [],
      config: config('2026-12-31'),
      now: NOW,
    });

    expect(verdict.counts.high).toBe(1);
    expect(verdict.allowlisted).toEqual([]);
  });

  test('subtraction never takes a count below zero', () => {
    const verdict = decideVerdict({
      scan: basicScan({}),
      findings: [
        finding('CVE-2023-44487', 'high', 7.5, 'nghttp2'),
        finding('CVE-2023-44487', 'high', 7.5, 'netty'),
      ],
      config: config('2026-12-31'),
      now: NOW,
    });

    expect(verdict.counts.high).toBe(0);
  });

  test('an active entry wins over an expired one for the same CVE', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 1 }),
      findings: [finding('CVE-2023-44487', 'high')],
      config: parseScanGate({
        allowlist: [
          { cve: 'CVE-2023-44487', reason: 'old', expires: '2025-01-01' },
          { cve: 'CVE-2023-44487', reason: 'renewed', expires: '2027-01-01' },
        ],
      }),
      now: NOW,
    });

    expect(verdict.allowlisted.map((a) => a.reason)).toEqual(['renewed']);
    expect(verdict.expiredAllowlist).toEqual([]);
  });

  test('allowlisted findings are left out of the top findings', () => {
    const verdict = decideVerdict({
      scan: basicScan({ HIGH: 2 }),
      findings: [finding('CVE-2023-44487', 'high', 7.5), finding('CVE-2024-6387', 'high', 8.1)],
      config: config('2026-12-31'),
      now: NOW,
    });

    expect(verdict.topFindings.map((f) => f.id)).toEqual(['CVE-2024-6387']);
  });
});

describe('top findings in the verdict', () => {
  test('at most config.topFindings are named, chosen among all ranked entries', () => {
    const findings = Array.from({ length: 7 }, (_, i) => finding(`CVE-2024-${1000 + i}`, 'medium', i));

    const verdict = decideVerdict({
      scan: basicScan({ MEDIUM: 7 }),
      findings,
      config: parseScanGate({ topFindings: 3 }),
      now: NOW,
    });

    expect(verdict.topFindings.map((f) => f.score)).toEqual([6, 5, 4]);
    expect(verdict.rankedFindings).toBe(7);
  });
});

describe('failed scans', () => {
  test('a FAILED scan is scan-failed, never a pass', () => {
    const verdict = decideVerdict({
      scan: basicScan({}, 'FAILED'),
      findings: [],
      config: parseScanGate({ thresholds: { critical: null, high: null } }),
      now: NOW,
    });

    expect(verdict.verdict).toBe('scan-failed');
  });
});

describe('enhanced scans', () => {
  test('the enhanced sample fails the default gate on its critical and high counts', () => {
    const verdict = decideVerdict({
      scan: enhancedScan({ CRITICAL: 7, HIGH: 61, MEDIUM: 62, TOTAL: 158 }),
      findings: [],
      config: parseScanGate({}),
      now: NOW,
    });

    expect(verdict.exceeded.map((e) => e.severity)).toEqual(['critical', 'high']);
    expect(verdict.unclassified).toBe(28);
  });

  test('the findings list supplies counts for severities the event does not break out', () => {
    const verdict = decideVerdict({
      scan: enhancedScan({ MEDIUM: 1, TOTAL: 3 }),
      findings: [finding('CVE-2024-1', 'medium'), finding('CVE-2024-2', 'low'), finding('CVE-2024-3', 'low')],
      config: parseScanGate({ thresholds: { low: 1 } }),
      now: NOW,
    });

    expect(verdict.rawCounts.low).toBe(2);
    expect(verdict.unclassified).toBe(0);
    expect(verdict.exceeded).toEqual([{ severity: 'low', count: 2, max: 1 }]);
  });

  test('a finite threshold on an unreported severity counts unclassified findings against it', () => {
    const verdict = decideVerdict({
      scan: enhancedScan({ MEDIUM: 1, TOTAL: 4 }),
      findings: [],
      config: parseScanGate({ thresholds: { low: 2 } }),
      now: NOW,
    });

    expect(verdict.exceeded).toEqual([{ severity: 'low', count: 3, max: 2 }]);
  });
});

// ---- property: adding a finding never turns a fail into a pass --------------------------------------------------

const CVES = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004', 'CVE-2024-0005'];
const severityArb = fc.constantFrom(...SCAN_SEVERITIES);
const findingArb = fc.record({
  id: fc.constantFrom(...CVES),
  severity: severityArb,
  score: fc.option(
    fc.integer({ min: 0, max: 100 }).map((n) => n / 10),
    { nil: undefined },
  ),
  pkg: fc.constantFrom('openssl', 'glibc', 'zlib'),
});
const thresholdArb = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null });
const configArb = fc
  .record({
    thresholds: fc.record(
      Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, thresholdArb])) as Record<
        ScanSeverity,
        fc.Arbitrary<number | null>
      >,
    ),
    allowlist: fc.array(
      fc.record({
        cve: fc.constantFrom(...CVES),
        reason: fc.constant('accepted'),
        expires: fc.constantFrom('2026-01-01', '2026-10-02', '2027-01-01'),
        repositories: fc.option(fc.constantFrom(['web/*'], ['api/*']), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
  })
  .map((raw) => parseScanGate(raw));

type Spec = { id: string; severity: ScanSeverity; score: number | undefined; pkg: string };
const toFinding = (s: Spec): ScanFinding => ({
  id: s.id,
  severity: s.severity,
  ...(s.score !== undefined ? { score: s.score } : {}),
  packages: [{ name: s.pkg, version: '1' }],
});

/** Counts as the scanner sends them: every listed finding plus some it did not list. */
function basicEventFor(findings: ScanFinding[], unlisted: Record<ScanSeverity, number>): ScanEvent {
  const counts: Record<string, number> = {};
  for (const s of SCAN_SEVERITIES) {
    const n = findings.filter((f) => f.severity === s).length + unlisted[s];
    if (n > 0) counts[s.toUpperCase()] = n;
  }
  return basicScan(counts);
}

function enhancedEventFor(findings: ScanFinding[], unlisted: Record<ScanSeverity, number>): ScanEvent {
  const per = (s: ScanSeverity) => findings.filter((f) => f.severity === s).length + unlisted[s];
  const total = SCAN_SEVERITIES.reduce((n, s) => n + per(s), 0);
  return enhancedScan({ CRITICAL: per('critical'), HIGH: per('high'), MEDIUM: per('medium'), TOTAL: total });
}

const unlistedArb = fc.record(
  Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, fc.integer({ min: 0, max: 2 })])) as Record<
    ScanSeverity,
    fc.Arbitrary<number>
  >,
);

test.each([
  ['basic', basicEventFor],
  ['enhanced', enhancedEventFor],
] as const)('property (%s): adding a finding never turns a fail into a pass', (_kind, eventFor) => {
  fc.assert(
    fc.property(
      configArb,
      fc.array(findingArb, { maxLength: 8 }),
      findingArb,
      unlistedArb,
      (config, specs, extra, unlisted) => {
        const before = specs.map(toFinding);
        const after = [...before, toFinding(extra)];

        const v1 = decideVerdict({ scan: eventFor(before, unlisted), findings: before, config, now: NOW });
        const v2 = decideVerdict({ scan: eventFor(after, unlisted), findings: after, config, now: NOW });

        return !(v1.verdict === 'fail' && v2.verdict === 'pass');
      },
    ),
    { numRuns: 300 },
  );
});

describe('the findings API as the source of the counts', () => {
  const reading = (counts: Partial<Record<ScanSeverity, number>>, findings: ScanFinding[]) => ({
    counts: { ...zeroCounts(), ...counts },
    findings,
  });

  test('the API counts decide, every severity reported', () => {
    const facts = scanFactsFromFindings('web/frontend', reading({ high: 2, low: 5 }, []), 'complete');

    expect(facts).toEqual({
      repositoryName: 'web/frontend',
      status: 'complete',
      counts: { critical: 0, high: 2, medium: 0, low: 5, informational: 0, undefined: 0 },
      reportedSeverities: [...SCAN_SEVERITIES],
      total: 7,
    });
  });

  test('a listed finding the counts leave out is still counted: a listed CRITICAL never sits next to a PASS', () => {
    const critical = finding('CVE-2024-3094', 'critical', 10);
    const facts = scanFactsFromFindings('web/frontend', reading({ medium: 1 }, [critical]), 'complete');

    const verdict = decideVerdict({ scan: facts, findings: [critical], config: parseScanGate({}), now: NOW });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.topFindings[0]).toMatchObject({ id: 'CVE-2024-3094', severity: 'critical' });
  });

  test('property: from the findings API, a top finding at a severity whose threshold is 0 never comes with a pass', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(findingArb, { maxLength: 8 }),
        unlistedArb,
        (config, specs, extraCounts) => {
          const findings = specs.map(toFinding);
          const facts = scanFactsFromFindings('web/frontend', reading(extraCounts, findings), 'complete');
          const verdict = decideVerdict({ scan: facts, findings, config, now: NOW });
          const blocking = verdict.topFindings.some((f) => verdict.thresholds[f.severity] === 0);
          return !(blocking && verdict.verdict === 'pass');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('scanStateOf: the findings API status', () => {
  test.each([
    ['COMPLETE', 'complete'],
    ['ACTIVE', 'complete'],
    ['IN_PROGRESS', 'pending'],
    ['PENDING', 'pending'],
    ['FAILED', 'failed'],
    ['UNSUPPORTED_IMAGE', 'failed'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'failed'],
    ['FINDINGS_UNAVAILABLE', 'failed'],
    ['LIMIT_EXCEEDED', 'failed'],
    ['IMAGE_ARCHIVED', 'failed'],
    ['SOMETHING_NEW', 'failed'],
  ])('%s is %s', (status, state) => {
    expect(scanStateOf({ status, hasFindings: true })).toBe(state);
  });

  test('no status: complete with findings, failed without', () => {
    expect([scanStateOf({ hasFindings: true }), scanStateOf({ hasFindings: false })]).toEqual([
      'complete',
      'failed',
    ]);
  });
});

describe('staleVerdictReason: newest truth wins', () => {
  const at = (scannedAt: string, evaluatedAt?: string, deletedAt?: string) => ({
    scannedAt,
    ...(evaluatedAt ? { evaluatedAt } : {}),
    ...(deletedAt ? { deletedAt } : {}),
  });

  test('nothing stored: any verdict may be stored', () => {
    expect(staleVerdictReason(undefined, at('2026-10-02T00:00:00.000Z'))).toBeUndefined();
  });

  test('an older scan may not replace a newer one', () => {
    expect(staleVerdictReason(at('2026-10-03T00:00:00.000Z'), at('2026-10-02T00:00:00.000Z'))).toMatch(
      /^a newer scan's verdict is stored/,
    );
  });

  test('a newer scan may replace an older one', () => {
    expect(
      staleVerdictReason(at('2026-10-02T00:00:00.000Z'), at('2026-10-03T00:00:00.000Z')),
    ).toBeUndefined();
  });

  test('of one scan, an earlier reading may not replace a later one; the same or a later one may', () => {
    const stored = at('2026-10-02T00:00:00.000Z', '2026-10-02T10:00:00.000Z');

    expect(staleVerdictReason(stored, at('2026-10-02T00:00:00.000Z', '2026-10-02T09:00:00.000Z'))).toMatch(
      /later reading/,
    );
    expect(
      staleVerdictReason(stored, at('2026-10-02T00:00:00.000Z', '2026-10-02T10:00:00.000Z')),
    ).toBeUndefined();
    expect(
      staleVerdictReason(stored, at('2026-10-02T00:00:00.000Z', '2026-10-02T11:00:00.000Z')),
    ).toBeUndefined();
  });

  test('a scan completed before (or when) the image was deleted may not revive it; a later one may', () => {
    const stored = at('2026-10-01T00:00:00.000Z', undefined, '2026-10-02T00:00:00.000Z');

    expect(staleVerdictReason(stored, at('2026-10-02T00:00:00.000Z'))).toMatch(/^the image was deleted/);
    expect(staleVerdictReason(stored, at('2026-10-03T00:00:00.000Z'))).toBeUndefined();
  });

  test('isoMillis makes event times and API times comparable as text', () => {
    expect(isoMillis('2026-10-02T09:15:21Z')).toBe('2026-10-02T09:15:21.000Z');
    expect(isoMillis('2026-10-02T11:15:21+02:00')).toBe('2026-10-02T09:15:21.000Z');
  });
});

describe('verdictChange', () => {
  const v = (verdict: string, scannedAt = '2026-10-02T00:00:00.000Z', fingerprint = 'a') => ({
    verdict,
    scannedAt,
    fingerprint,
  });

  test.each([
    ['nothing stored', undefined, v('fail'), 'first'],
    ['a deleted image scanned again', v('deleted'), v('fail'), 'first'],
    ['pass to fail', v('pass'), v('fail'), 'flipped'],
    ['fail to pass', v('fail'), v('pass'), 'flipped'],
    ['same verdict, other findings', v('fail'), v('fail', undefined, 'b'), 'changed'],
    ['same verdict and findings, a new scan', v('fail'), v('fail', '2026-10-03T00:00:00.000Z'), 'unchanged'],
    ['same verdict, scan and findings', v('fail'), v('fail'), 'unchanged'],
    ['no fingerprint stored (a failed scan event)', { verdict: 'fail' }, v('fail'), 'changed'],
  ] as const)('%s is %s', (_name, previous, next, change) => {
    expect(verdictChange(previous, next)).toBe(change);
  });
});

describe('worstNewFinding', () => {
  const top = (id: string, severity: ScanSeverity) => ({ id, severity });

  test('is the worst finding the previous top findings did not name', () => {
    const previous = [top('CVE-2019-5188', 'medium')];
    const next = [top('CVE-2024-3094', 'critical'), top('CVE-2019-5188', 'medium')];

    expect(worstNewFinding(previous, next)?.id).toBe('CVE-2024-3094');
  });

  test('skips findings already known, however bad', () => {
    const previous = [top('CVE-2024-3094', 'critical')];
    const next = [top('CVE-2024-3094', 'critical'), top('CVE-2025-1000', 'high')];

    expect(worstNewFinding(previous, next)?.id).toBe('CVE-2025-1000');
  });

  test('is the worst finding when none is new, and undefined without findings', () => {
    expect(worstNewFinding([top('CVE-2024-3094', 'critical')], [top('CVE-2024-3094', 'critical')])?.id).toBe(
      'CVE-2024-3094',
    );
    expect(worstNewFinding([], [])).toBeUndefined();
  });
});

describe('deletionRefusal', () => {
  const stored = { verdict: 'fail', scannedAt: '2026-10-02T09:15:20.000Z' };

  test('a deletion after the stored scan marks the verdict', () => {
    expect(deletionRefusal(stored, '2026-10-05T00:00:00.000Z')).toBeUndefined();
  });

  test('nothing is marked without a stored verdict', () => {
    expect(deletionRefusal(undefined, '2026-10-05T00:00:00.000Z')).toBe('no verdict is stored for the image');
  });

  test('a verdict already marked deleted is not marked again', () => {
    const deleted = { ...stored, verdict: 'deleted', deletedAt: '2026-10-04T00:00:00.000Z' };

    expect(deletionRefusal(deleted, '2026-10-05T00:00:00.000Z')).toMatch(
      /already marked deleted \(at 2026-10-04/,
    );
  });

  test('a deletion older than the stored scan (the digest was pushed and scanned again) marks nothing', () => {
    expect(deletionRefusal(stored, '2026-10-01T00:00:00.000Z')).toMatch(/scanned again/);
  });
});

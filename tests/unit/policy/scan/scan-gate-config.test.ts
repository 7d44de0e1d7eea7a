import { defaultScanGate, parseScanGate, thresholdsFor } from '../../../../lib/policy/scan/scan-gate-config';
import { InvalidInputError } from '../../../../lib/policy/validation';

function problemsOf(value: unknown): string[] {
  try {
    parseScanGate(value);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('scan gate configuration', () => {
  test('an absent section means: no critical, no high, everything else unlimited', () => {
    const config = parseScanGate(undefined);

    expect(config.thresholds).toEqual({
      critical: 0,
      high: 0,
      medium: null,
      low: null,
      informational: null,
      undefined: null,
    });
  });

  test('defaults name ten top findings, failed/stopped/timed-out builds and no chatbot', () => {
    const config = defaultScanGate();

    expect(config).toMatchObject({
      repositoryOverrides: [],
      allowlist: [],
      topFindings: 10,
      buildNotifications: { statuses: ['FAILED', 'STOPPED', 'TIMED_OUT'] },
      chatbot: false,
    });
  });

  test('null lifts a limit that is on by default', () => {
    const config = parseScanGate({ thresholds: { high: null, medium: 5 } });

    expect(config.thresholds).toMatchObject({ critical: 0, high: null, medium: 5 });
  });

  test('bad values are reported with the path of each', () => {
    const problems = problemsOf({
      thresholds: { critical: -1 },
      repositoryOverrides: [{ repositories: [], thresholds: { high: 1.5 } }],
      allowlist: [{ cve: 'GHSA-xxxx', reason: ' ', expires: '30 June' }],
      topFindings: 0,
      buildNotifications: { statuses: ['BROKEN'] },
    });

    expect(problems).toEqual([
      'thresholds.critical: expected a non-negative integer, or null for unlimited',
      'repositoryOverrides[0].repositories: name at least one repository pattern',
      'repositoryOverrides[0].thresholds.high: expected a non-negative integer, or null for unlimited',
      'allowlist[0].cve: expected a CVE id such as CVE-2024-3094',
      'allowlist[0].reason: say why the finding is accepted',
      'allowlist[0].expires: expected an ISO date (YYYY-MM-DD) or date-time',
      'topFindings: expected an integer from 1 to 100',
      expect.stringMatching(/^buildNotifications\.statuses\[0\]: /),
    ]);
  });

  test('unknown keys are rejected', () => {
    expect(problemsOf({ threshold: {} })).toEqual([expect.stringMatching(/^\(root\): Unrecognized key/)]);
  });

  test('an expiry given as a YAML 1.1 date object is read as its date', () => {
    const config = parseScanGate({
      allowlist: [
        { cve: 'CVE-2023-44487', reason: 'not reachable', expires: new Date('2026-01-31T00:00:00Z') },
      ],
    });

    expect(config.allowlist[0]?.expires).toBe('2026-01-31');
  });

  test('an empty status list turns build notifications off', () => {
    expect(parseScanGate({ buildNotifications: { statuses: [] } }).buildNotifications.statuses).toEqual([]);
  });
});

describe('thresholdsFor', () => {
  const config = parseScanGate({
    thresholds: { medium: 20 },
    repositoryOverrides: [
      { repositories: ['sandbox/*'], thresholds: { critical: null, high: null } },
      { repositories: ['web/*'], thresholds: { high: 3 } },
      { repositories: ['web/frontend'], thresholds: { high: 0, medium: 0 } },
    ],
  });

  test('a repository no override matches gets the top-level thresholds', () => {
    const effective = thresholdsFor(config, 'payments/api');

    expect(effective).toEqual({
      thresholds: { critical: 0, high: 0, medium: 20, low: null, informational: null, undefined: null },
      source: 'thresholds',
    });
  });

  test('the first matching override wins and inherits what it does not name', () => {
    const effective = thresholdsFor(config, 'web/frontend');

    expect(effective.source).toBe('repositoryOverrides[1]');
    expect(effective.thresholds).toMatchObject({ critical: 0, high: 3, medium: 20 });
  });

  test('an override can lift limits with null', () => {
    expect(thresholdsFor(config, 'sandbox/tools').thresholds).toMatchObject({ critical: null, high: null });
  });
});

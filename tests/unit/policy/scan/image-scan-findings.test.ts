import { awsSample } from '../../../fixtures/load';
import type { ScanFinding } from '../../../../lib/policy/scan/image-scan-findings';
import {
  collectScanFindings,
  findingsFingerprint,
  rankFindings,
  readScanFindings,
  topFindings,
} from '../../../../lib/policy/scan/image-scan-findings';
import { enhancedFinding, enhancedFindingsResponse } from '../../../fixtures/scan-findings';
import { InvalidInputError } from '../../../../lib/policy/validation';

const basicPage = () => awsSample('api-ecr-describe-image-scan-findings.basic.aws-cli.json');

/** An enhanced finding in the EnhancedImageScanFinding shape (botocore ecr 2015-09-21). */
function enhanced(
  id: string,
  severity: string,
  score: number | undefined,
  packages: { name: string; version: string; fixedInVersion?: string }[],
  extra: Record<string, unknown> = {},
) {
  return {
    findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${id}-${packages.map((p) => p.name).join('-')}`,
    title: `${id} - ${packages.map((p) => p.name).join(', ')}`,
    severity,
    status: 'ACTIVE',
    ...(score !== undefined ? { score } : {}),
    packageVulnerabilityDetails: {
      vulnerabilityId: id,
      sourceUrl: `https://nvd.nist.gov/vuln/detail/${id}`,
      vulnerablePackages: packages,
    },
    ...extra,
  };
}

const enhancedPage = (findings: unknown[], nextToken?: string) => ({
  imageScanFindings: { enhancedFindings: findings },
  ...(nextToken ? { nextToken } : {}),
});

describe('collectScanFindings', () => {
  test('the official basic sample yields its CVE with package, CVSS score and advisory link', () => {
    const findings = collectScanFindings([basicPage()]);

    expect(findings).toEqual([
      {
        id: 'CVE-2019-5188',
        severity: 'medium',
        score: 4.6,
        link: 'http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5188',
        packages: [{ name: 'e2fsprogs', version: '1.44.1-1ubuntu1.1' }],
      },
    ]);
  });

  test('a basic finding prefers the CVSS v3 score over v2', () => {
    const page = {
      imageScanFindings: {
        findings: [
          {
            name: 'CVE-2021-3711',
            severity: 'CRITICAL',
            attributes: [
              { key: 'CVSS2_SCORE', value: '7.5' },
              { key: 'CVSS3_SCORE', value: '9.8' },
            ],
          },
        ],
      },
    };

    expect(collectScanFindings([page])[0]?.score).toBe(9.8);
  });

  test('enhanced findings read the vulnerability id, packages, fixed version and Inspector score', () => {
    const page = enhancedPage([
      enhanced('CVE-2023-4911', 'HIGH', 7.8, [
        { name: 'glibc', version: '2.35', fixedInVersion: '2.35-0ubuntu3.4' },
      ]),
    ]);

    expect(collectScanFindings([page])).toEqual([
      {
        id: 'CVE-2023-4911',
        severity: 'high',
        score: 7.8,
        title: 'CVE-2023-4911 - glibc',
        link: 'https://nvd.nist.gov/vuln/detail/CVE-2023-4911',
        packages: [{ name: 'glibc', version: '2.35', fixedInVersion: '2.35-0ubuntu3.4' }],
      },
    ]);
  });

  test('without an Inspector score, the highest CVSS base score is used', () => {
    const finding = enhanced('CVE-2019-17498', 'MEDIUM', undefined, [{ name: 'libssh2', version: '1.4.3' }]);
    finding.packageVulnerabilityDetails = {
      ...finding.packageVulnerabilityDetails,
      ...{ cvss: [{ baseScore: 6.5 }, { baseScore: 5.8 }, { baseScore: 8.1 }] },
    };

    expect(collectScanFindings([enhancedPage([finding])])[0]?.score).toBe(8.1);
  });

  test('Inspector UNTRIAGED severity maps to undefined', () => {
    const page = enhancedPage([
      enhanced('CVE-2024-0001', 'UNTRIAGED', undefined, [{ name: 'x', version: '1' }]),
    ]);

    expect(collectScanFindings([page])[0]?.severity).toBe('undefined');
  });

  test('suppressed and closed Inspector findings are left out', () => {
    const page = enhancedPage([
      enhanced('CVE-2024-0001', 'HIGH', 7, [{ name: 'a', version: '1' }], { status: 'SUPPRESSED' }),
      enhanced('CVE-2024-0002', 'HIGH', 7, [{ name: 'b', version: '1' }], { status: 'CLOSED' }),
      enhanced('CVE-2024-0003', 'HIGH', 7, [{ name: 'c', version: '1' }]),
    ]);

    expect(collectScanFindings([page]).map((f) => f.id)).toEqual(['CVE-2024-0003']);
  });

  test('findings of every page are collected and a finding repeated across pages is kept once', () => {
    const a = enhanced('CVE-2024-0001', 'HIGH', 7, [{ name: 'a', version: '1' }]);
    const b = enhanced('CVE-2024-0002', 'LOW', 2, [{ name: 'b', version: '1' }]);

    const findings = collectScanFindings([enhancedPage([a, b], 'token-1'), enhancedPage([b])]);

    expect(findings.map((f) => f.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
  });

  test('a single response is accepted as one page', () => {
    expect(collectScanFindings(basicPage())).toHaveLength(1);
  });

  test('a malformed page is rejected with the page index in the path', () => {
    const bad = { imageScanFindings: { findings: [{ severity: 'HIGH' }] } };

    let problems: string[] = [];
    try {
      collectScanFindings([basicPage(), bad]);
    } catch (error) {
      problems = (error as InvalidInputError).problems;
    }

    expect(problems).toEqual([
      expect.stringMatching(/^pages\[1\]\.imageScanFindings\.findings\[0\]\.name: /),
    ]);
  });
});

describe('ranking findings', () => {
  const f = (id: string, severity: ScanFinding['severity'], score?: number, pkg = 'pkg'): ScanFinding => ({
    id,
    severity,
    ...(score !== undefined ? { score } : {}),
    packages: [{ name: pkg, version: '1.0' }],
  });

  test('worst severity first, then the higher score, unknown scores last', () => {
    const findings = [
      f('CVE-2024-0005', 'medium', 6.5),
      f('CVE-2024-0004', 'high', undefined),
      f('CVE-2024-0003', 'high', 7.1),
      f('CVE-2024-0002', 'critical', 9.1),
      f('CVE-2024-0001', 'high', 8.8),
    ];

    const ranked = rankFindings(findings).map((t) => t.id);

    expect(ranked).toEqual([
      'CVE-2024-0002',
      'CVE-2024-0001',
      'CVE-2024-0003',
      'CVE-2024-0004',
      'CVE-2024-0005',
    ]);
  });

  test('a severity outranks any score', () => {
    const ranked = rankFindings([f('CVE-2024-0001', 'medium', 9.9), f('CVE-2024-0002', 'high', 7.0)]);

    expect(ranked.map((t) => t.id)).toEqual(['CVE-2024-0002', 'CVE-2024-0001']);
  });

  test('one finding with several packages yields one entry per package', () => {
    const finding: ScanFinding = {
      id: 'CVE-2024-0001',
      severity: 'high',
      packages: [
        { name: 'openssl', version: '3.0.2', fixedInVersion: '3.0.13' },
        { name: 'libssl3', version: '3.0.2', fixedInVersion: '3.0.13' },
      ],
    };

    expect(rankFindings([finding]).map((t) => t.packageName)).toEqual(['libssl3', 'openssl']);
  });

  test('the same id and package reported twice is named once, at its worst', () => {
    const ranked = rankFindings([f('CVE-2024-0001', 'medium', 5.0), f('CVE-2024-0001', 'high', 7.5)]);

    expect(ranked).toEqual([
      { id: 'CVE-2024-0001', severity: 'high', score: 7.5, packageName: 'pkg', packageVersion: '1.0' },
    ]);
  });

  test('topFindings keeps the N worst', () => {
    const findings = Array.from({ length: 12 }, (_, i) =>
      f(`CVE-2024-${String(1000 + i)}`, i % 2 === 0 ? 'high' : 'low', i),
    );

    const top = topFindings(findings, 3);

    expect(top.map((t) => [t.severity, t.score])).toEqual([
      ['high', 10],
      ['high', 8],
      ['high', 6],
    ]);
  });
});

describe('readScanFindings: what the findings API says about the last scan', () => {
  const IMAGE = {
    registryId: '123456789012',
    repositoryName: 'web/frontend',
    imageDigest: 'sha256:' + 'a'.repeat(64),
  };

  test('the official basic output: status, completion time (epoch seconds), counts and findings', () => {
    const reading = readScanFindings([basicPage()]);

    expect(reading).toMatchObject({
      status: 'COMPLETE',
      statusDescription: 'The scan was completed successfully.',
      completedAt: '2020-01-24T04:11:45.000Z',
      counts: { critical: 0, high: 0, medium: 1, low: 0, informational: 0, undefined: 0 },
      hasFindings: true,
    });
    expect(reading.findings.map((f) => f.id)).toEqual(['CVE-2019-5188']);
  });

  test('a completion time stored as ISO text (the SDK Date in a snapshot) is read alike', () => {
    const page = basicPage() as { imageScanFindings: Record<string, unknown> };
    page.imageScanFindings.imageScanCompletedAt = '2020-01-24T04:11:45Z';

    expect(readScanFindings([page]).completedAt).toBe('2020-01-24T04:11:45.000Z');
  });

  test('an enhanced response counts UNTRIAGED as undefined and lists its findings', () => {
    const response = enhancedFindingsResponse(IMAGE, [enhancedFinding({ severity: 'UNTRIAGED' })]);

    const reading = readScanFindings([response]);

    expect(reading).toMatchObject({ status: 'ACTIVE', counts: { undefined: 1 } });
    expect(reading.findings).toEqual([
      expect.objectContaining({ id: 'CVE-2019-17498', severity: 'undefined' }),
    ]);
  });

  test('a response without imageScanFindings has no findings and no completion time', () => {
    const reading = readScanFindings([
      { imageScanStatus: { status: 'FAILED', description: 'UnsupportedImageError' } },
    ]);

    expect(reading).toEqual({
      status: 'FAILED',
      statusDescription: 'UnsupportedImageError',
      counts: { critical: 0, high: 0, medium: 0, low: 0, informational: 0, undefined: 0 },
      hasFindings: false,
      findings: [],
    });
  });

  test('a completion time that is neither epoch seconds nor ISO text is rejected at its path', () => {
    const page = basicPage() as { imageScanFindings: Record<string, unknown> };
    page.imageScanFindings.imageScanCompletedAt = 'yesterday';

    expect(() => readScanFindings([page])).toThrow(InvalidInputError);
  });
});

describe('findingsFingerprint', () => {
  const reading = () => readScanFindings([basicPage()]);

  test('is the same for the same findings', () => {
    expect(findingsFingerprint(reading())).toBe(findingsFingerprint(reading()));
  });

  test('changes when a finding is swapped for another CVE of the same severity (same counts)', () => {
    const other = reading();
    other.findings = other.findings.map((f) => ({ ...f, id: 'CVE-2019-5094' }));

    expect(findingsFingerprint(other)).not.toBe(findingsFingerprint(reading()));
  });

  test('changes when a finding changes severity', () => {
    const other = reading();
    other.findings = other.findings.map((f) => ({ ...f, severity: 'critical' as const }));

    expect(findingsFingerprint(other)).not.toBe(findingsFingerprint(reading()));
  });

  test('ignores a re-scored finding (score and texts are not what was found)', () => {
    const other = reading();
    other.findings = other.findings.map((f) => ({ ...f, score: 9.9, title: 'reworded' }));

    expect(findingsFingerprint(other)).toBe(findingsFingerprint(reading()));
  });

  test('does not depend on the order findings are listed in', () => {
    const two = readScanFindings([
      enhancedFindingsResponse(IMAGE_FOR_ORDER, [
        enhancedFinding({ id: 'CVE-2024-0001' }),
        enhancedFinding(),
      ]),
    ]);
    const swapped = { ...two, findings: [...two.findings].reverse() };

    expect(findingsFingerprint(swapped)).toBe(findingsFingerprint(two));
  });

  test('is 16 hex digits', () => {
    expect(findingsFingerprint(reading())).toMatch(/^[0-9a-f]{16}$/);
  });
});

const IMAGE_FOR_ORDER = {
  registryId: '123456789012',
  repositoryName: 'web/frontend',
  imageDigest: 'sha256:' + 'b'.repeat(64),
};

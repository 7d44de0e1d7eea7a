/**
 * The ScanFindingsReader port's contract, run against the sandbox account and the DescribeImageScanFindings
 * adapter: every finding across pages, basic and enhanced, and the error ECR raises when the repository, the
 * image or its scan does not exist.
 */
import { readScanFindings } from '../../lib/policy/scan/image-scan-findings';
import {
  basicFinding,
  basicFindingsResponse,
  enhancedFinding,
  enhancedFindingsResponse,
  withBasicFindings,
} from '../fixtures/scan-findings';
import { ACCOUNTS, closeAccounts } from './accounts';
import { expectFailure } from './errors';
import { ACCOUNT, image, repository, world } from './world';

const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const AT = { registryId: ACCOUNT, repositoryName: 'web/frontend', imageDigest: DIGEST };

/** web/frontend holding the image, with `response` as its scan findings (none when undefined). */
function worldWithScan(response?: Record<string, unknown>) {
  return world({
    repositories: [
      repository('web/frontend', {
        images: [image('web/frontend', DIGEST, ['1.4.2'])],
        ...(response ? { scanFindings: { [DIGEST]: response } } : {}),
      }),
    ],
  });
}

afterEach(closeAccounts);

describe.each(ACCOUNTS)('ScanFindingsReader contract: %s', (_name, open) => {
  test('reads every basic finding of a scan, across pages (maxResults 1000)', async () => {
    // Prepare
    const findings = Array.from({ length: 1001 }, (_, i) => basicFinding(`CVE-2024-${10000 + i}`, 'HIGH'));
    const response = withBasicFindings(basicFindingsResponse(AT), findings);
    const account = open(worldWithScan(response));

    // Act
    const pages = await account.findings.imageScanFindingsPages('web/frontend', DIGEST);

    // Assess
    const reading = readScanFindings(pages);
    expect(reading.findings.map((f) => f.id).sort()).toEqual(findings.map((f) => f.name).sort());
    expect(reading.counts).toEqual(readScanFindings([response]).counts);
  });

  test('reads the enhanced findings of a scan', async () => {
    // Prepare
    const response = enhancedFindingsResponse(AT, [
      enhancedFinding({ id: 'CVE-2024-3094', severity: 'CRITICAL' }),
      enhancedFinding({ id: 'CVE-2023-48795', severity: 'MEDIUM' }),
    ]);
    const account = open(worldWithScan(response));

    // Act
    const pages = await account.findings.imageScanFindingsPages('web/frontend', DIGEST);

    // Assess
    expect(readScanFindings(pages).findings.map((f) => [f.id, f.severity])).toEqual([
      ['CVE-2024-3094', 'critical'],
      ['CVE-2023-48795', 'medium'],
    ]);
  });

  test('a repository that does not exist fails with RepositoryNotFoundException', async () => {
    // Act
    const read = open(world()).findings.imageScanFindingsPages('web/frontend', DIGEST);

    // Assess
    await expectFailure(read, { kind: 'not-found', aws: 'RepositoryNotFoundException' });
  });

  test('an image that does not exist fails with ImageNotFoundException', async () => {
    // Prepare
    const account = open(world({ repositories: [repository('web/frontend', { images: [] })] }));

    // Act
    const read = account.findings.imageScanFindingsPages('web/frontend', DIGEST);

    // Assess
    await expectFailure(read, { kind: 'not-found', aws: 'ImageNotFoundException' });
  });

  test('an image that was never scanned fails with ScanNotFoundException', async () => {
    // Act
    const read = open(worldWithScan()).findings.imageScanFindingsPages('web/frontend', DIGEST);

    // Assess
    await expectFailure(read, { kind: 'not-found', aws: 'ScanNotFoundException' });
  });
});

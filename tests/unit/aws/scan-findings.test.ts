import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  type DescribeImageScanFindingsResponse,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EcrScanFindings, scanFindingsActions } from '../../../lib/aws/scan-findings';
import { NotFoundError } from '../../../lib/errors';
import { collectScanFindings, readScanFindings } from '../../../lib/policy/scan/image-scan-findings';
import { awsSample } from '../../fixtures/load';

const ecrMock = mockClient(ECRClient);

const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

interface CliFindingsPage {
  imageScanFindings: {
    findings: { name: string }[];
    imageScanCompletedAt: number;
    vulnerabilitySourceUpdatedAt: number;
  } & Record<string, unknown>;
}

/** The official describe-image-scan-findings output as the SDK returns it (epoch seconds become Dates). */
function sdkPage(cve: string, nextToken?: string): DescribeImageScanFindingsResponse {
  const cli = awsSample<CliFindingsPage>('api-ecr-describe-image-scan-findings.basic.aws-cli.json');
  cli.imageScanFindings.findings[0]!.name = cve;
  return {
    ...(cli as object),
    imageScanFindings: {
      ...cli.imageScanFindings,
      imageScanCompletedAt: new Date(cli.imageScanFindings.imageScanCompletedAt * 1000),
      vulnerabilitySourceUpdatedAt: new Date(cli.imageScanFindings.vulnerabilitySourceUpdatedAt * 1000),
    },
    ...(nextToken ? { nextToken } : {}),
  } as DescribeImageScanFindingsResponse;
}

/**
 * Three pages (the first two carry a nextToken), answered in order. Returns the requests as they were when
 * sent: the SDK paginator reuses one input object and sets each nextToken on it, so the inputs the mock
 * records all show the last token.
 */
function givenThreePages(): Record<string, unknown>[] {
  const pages = [
    sdkPage('CVE-2019-5188', 'token-2'),
    sdkPage('CVE-2019-5094', 'token-3'),
    sdkPage('CVE-2018-1000001'),
  ];
  const requests: Record<string, unknown>[] = [];
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake((input: Record<string, unknown>) => {
    requests.push(structuredClone(input));
    const page = pages.shift();
    if (!page) throw new Error('asked for a page after the last one');
    return page;
  });
  return requests;
}

const reader = () => new EcrScanFindings(new ECRClient({ region: 'us-east-1' }));

beforeEach(() => {
  ecrMock.reset();
});

describe('EcrScanFindings.imageScanFindingsPages', () => {
  it('collects every page, following nextToken until the last page', async () => {
    // Prepare
    givenThreePages();

    // Act
    const pages = await reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    expect(pages).toHaveLength(3);
    expect(collectScanFindings(pages).map((f) => f.id)).toEqual([
      'CVE-2019-5188',
      'CVE-2019-5094',
      'CVE-2018-1000001',
    ]);
  });

  it('asks for the image by repository and imageId.imageDigest, 1000 findings a page', async () => {
    // Prepare
    const requests = givenThreePages();

    // Act
    await reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    expect(requests[0]).toEqual({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGEST },
      maxResults: 1000,
    });
  });

  it('passes each nextToken to the following request', async () => {
    // Prepare
    const requests = givenThreePages();

    // Act
    await reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    expect(requests.map((r) => r.nextToken)).toEqual([undefined, 'token-2', 'token-3']);
    for (const r of requests)
      expect(r).toMatchObject({ repositoryName: REPOSITORY, imageId: { imageDigest: DIGEST } });
  });

  it('returns pages in the snapshot shape: dates as ISO strings, no $metadata', async () => {
    // Prepare
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({ ...sdkPage('CVE-2019-5188'), $metadata: {} });

    // Act
    const [page] = (await reader().imageScanFindingsPages(REPOSITORY, DIGEST)) as Record<string, unknown>[];

    // Assess
    expect(page).not.toHaveProperty('$metadata');
    expect(page).toMatchObject({
      imageScanFindings: {
        imageScanCompletedAt: '2020-01-24T04:11:45.000Z',
        vulnerabilitySourceUpdatedAt: '2020-01-23T20:25:17.000Z',
      },
    });
  });

  it('sends only ecr:DescribeImageScanFindings, the actions it declares', async () => {
    // Prepare
    givenThreePages();

    // Act
    await reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    const sent = new Set(
      ecrMock.calls().map((c) => `ecr:${c.args[0].constructor.name.replace(/Command$/, '')}`),
    );
    expect([...sent]).toEqual([...scanFindingsActions]);
  });

  it('throws NotFoundError naming the scan when there is none (no findings is not the same as no scan)', async () => {
    // Prepare
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: {} }));

    // Act
    const reading = reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ resource: 'scan', cause: expect.any(ScanNotFoundException) });
  });
});

describe('EcrScanFindings: what does not exist', () => {
  beforeEach(() => ecrMock.reset());

  it.each([
    [
      'repository',
      new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }),
    ],
    ['image', new ImageNotFoundException({ message: 'The image does not exist', $metadata: {} })],
  ])('throws NotFoundError naming the %s, keeping the ECR error as its cause', async (resource, ecrError) => {
    // Prepare
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(ecrError);

    // Act
    const error = await new EcrScanFindings()
      .imageScanFindingsPages(REPOSITORY, DIGEST)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ resource, cause: ecrError });
  });

  it('lets any other ECR error through unchanged', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(throttled);

    // Act
    const error = await new EcrScanFindings()
      .imageScanFindingsPages(REPOSITORY, DIGEST)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBe(throttled);
  });
});

describe('EcrScanFindings pages as the scan gate reads them', () => {
  beforeEach(() => ecrMock.reset());

  it('give the completion time of the SDK Date as ISO text, as a snapshot stores it', async () => {
    // Prepare
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(sdkPage('CVE-2019-5188'));

    // Act
    const pages = await reader().imageScanFindingsPages(REPOSITORY, DIGEST);

    // Assess
    expect(readScanFindings(pages)).toMatchObject({
      status: 'COMPLETE',
      completedAt: '2020-01-24T04:11:45.000Z',
    });
  });
});

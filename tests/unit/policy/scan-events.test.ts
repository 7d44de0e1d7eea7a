import path from 'node:path';
import { awsSample, loadJson } from '../../fixtures/load';
import {
  parseInspectorFindingEvent,
  parseScanEvent,
  parseScanGateEvent,
} from '../../../lib/policy/scan-events';
import { InvalidInputError } from '../../../lib/policy/validation';

/** The parts of the samples these tests change. */
interface Envelope {
  'detail-type': string;
  source: string;
  account: string;
}

interface ScanSample extends Envelope {
  detail: {
    'scan-status': string;
    'repository-name'?: string;
    'image-digest': string;
    'finding-severity-counts'?: Record<string, number>;
  };
}

const repoEvent = <T = unknown>(name: string) => loadJson<T>(path.join('..', '..', 'events', name));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('ECR Image Scan (basic scanning)', () => {
  test('the official sample parses into a complete basic scan', () => {
    const event = awsSample('ecr-image-scan.json');

    const scan = parseScanEvent(event);

    expect(scan).toMatchObject({
      kind: 'basic',
      status: 'complete',
      scanStatus: 'COMPLETE',
      repositoryName: 'my-repository-name',
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/my-repository-name',
      imageDigest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      imageTags: [],
      account: '123456789012',
      region: 'us-east-1',
      eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
      time: '2019-10-29T02:36:48Z',
    });
  });

  test('severity keys absent from finding-severity-counts count zero', () => {
    const event = awsSample('ecr-image-scan.json');

    const scan = parseScanEvent(event);

    expect(scan.counts).toEqual({ critical: 10, high: 0, medium: 9, low: 0, informational: 0, undefined: 0 });
    expect(scan.total).toBe(19);
  });

  test('a basic scan reports every severity, so none is left to the findings list', () => {
    const scan = parseScanEvent(awsSample('ecr-image-scan.json'));

    expect(scan.reportedSeverities).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'informational',
      'undefined',
    ]);
  });

  test('a FAILED scan is normalised to status failed', () => {
    const event = awsSample<ScanSample>('ecr-image-scan.json');
    event.detail['scan-status'] = 'FAILED';
    delete event.detail['finding-severity-counts'];

    const scan = parseScanEvent(event);

    expect(scan.status).toBe('failed');
    expect(scan.total).toBe(0);
  });

  test('malformed fields are rejected with their JSON paths', () => {
    const event = awsSample<ScanSample>('ecr-image-scan.json');
    event.detail['scan-status'] = 'DONE';
    event.detail['finding-severity-counts'] = { CRITICAL: -1, MEDIUM: 9 };
    event.detail['image-digest'] = 'not-a-digest';
    delete event.detail['repository-name'];

    const problems = problemsOf(() => parseScanEvent(event));

    expect(problems).toEqual([
      expect.stringMatching(/^detail\.scan-status: /),
      expect.stringMatching(/^detail\.repository-name: /),
      expect.stringMatching(/^detail\.image-digest: expected an image digest/),
      'detail.finding-severity-counts.CRITICAL: expected a non-negative integer',
    ]);
  });

  test('an envelope without a valid account is rejected at account', () => {
    const event = awsSample<ScanSample>('ecr-image-scan.json');
    event.account = '1234';

    expect(problemsOf(() => parseScanEvent(event))).toEqual(['account: expected a 12-digit AWS account id']);
  });

  test('the wrong source for the detail-type is rejected', () => {
    const event = awsSample<ScanSample>('ecr-image-scan.json');
    event.source = 'aws.inspector2';

    expect(problemsOf(() => parseScanEvent(event))).toEqual([expect.stringMatching(/^source: /)]);
  });
});

describe('Inspector2 Scan (enhanced scanning)', () => {
  test('the official sample parses, the repository name derived from its ARN', () => {
    const event = awsSample('inspector2-scan-ecr-initial-scan-complete.json');

    const scan = parseScanEvent(event);

    expect(scan).toMatchObject({
      kind: 'enhanced',
      status: 'complete',
      scanStatus: 'INITIAL_SCAN_COMPLETE',
      repositoryName: 'amazon/amazon-ecs-sample',
      repositoryArn: 'arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample',
      imageTags: ['latest'],
      region: 'us-east-2',
    });
  });

  test('TOTAL is kept beside the critical, high and medium counts it covers', () => {
    const scan = parseScanEvent(awsSample('inspector2-scan-ecr-initial-scan-complete.json'));

    expect(scan.counts).toEqual({
      critical: 7,
      high: 61,
      medium: 62,
      low: 0,
      informational: 0,
      undefined: 0,
    });
    expect(scan.total).toBe(158);
    expect(scan.reportedSeverities).toEqual(['critical', 'high', 'medium']);
  });

  test('LOW and UNTRIAGED keys, when present, are read and reported', () => {
    const event = awsSample<ScanSample>('inspector2-scan-ecr-initial-scan-complete.json');
    event.detail['finding-severity-counts'] = { HIGH: 2, LOW: 4, UNTRIAGED: 1, TOTAL: 7 };

    const scan = parseScanEvent(event);

    expect(scan.counts).toMatchObject({ critical: 0, high: 2, medium: 0, low: 4, undefined: 1 });
    expect(scan.reportedSeverities).toEqual(['critical', 'high', 'medium', 'low', 'undefined']);
  });

  test('a scan status other than INITIAL_SCAN_COMPLETE fails closed', () => {
    const event = awsSample<ScanSample>('inspector2-scan-ecr-initial-scan-complete.json');
    event.detail['scan-status'] = 'SCAN_ELIGIBILITY_EXPIRED';

    expect(parseScanEvent(event).status).toBe('failed');
  });

  test('a repository name that is not an ARN is rejected at its path', () => {
    const event = awsSample<ScanSample>('inspector2-scan-ecr-initial-scan-complete.json');
    event.detail['repository-name'] = 'amazon/amazon-ecs-sample';

    expect(problemsOf(() => parseScanEvent(event))).toEqual([
      'detail.repository-name: expected an ECR repository ARN',
    ]);
  });
});

describe('the registry and region of the scanned image', () => {
  test('a basic scan takes them from the repository ARN in resources', () => {
    const event = awsSample<ScanSample & { resources: string[] }>('ecr-image-scan.json');
    event.resources = ['arn:aws:ecr:us-east-1:210987654321:repository/my-repository-name'];

    const scan = parseScanEvent(event);

    expect(scan).toMatchObject({
      registryId: '210987654321',
      repositoryRegion: 'us-east-1',
      account: '123456789012',
    });
  });

  test('a basic scan without a matching ARN is in the event account and region', () => {
    const event = awsSample<ScanSample & { resources: string[] }>('ecr-image-scan.json');
    event.resources = [];

    expect(parseScanEvent(event)).toMatchObject({
      registryId: '123456789012',
      repositoryRegion: 'us-east-1',
    });
  });

  test('an enhanced scan takes them from its repository-name ARN', () => {
    const scan = parseScanEvent(awsSample('inspector2-scan-ecr-initial-scan-complete.inspector-guide.json'));

    expect(scan).toMatchObject({
      repositoryName: 'inspector2',
      registryId: '111122223333',
      repositoryRegion: 'us-east-1',
      imageTags: ['ubuntu22'],
    });
  });
});

describe('Inspector2 Scan of other resources', () => {
  test.each([
    ['EC2 instance', 'inspector2-scan-ec2-initial-scan-complete.json', 'i-087d63509b8c97098'],
    [
      'Lambda function',
      'inspector2-scan-lambda-initial-scan-complete.json',
      'arn:aws:lambda:us-west-2:111122223333:function:lambda-example:$LATEST',
    ],
  ])('the official %s scan is another resource, with a reason naming it', (_what, sample, resource) => {
    const event = parseScanGateEvent(awsSample(sample));

    expect(event).toMatchObject({
      kind: 'other-resource',
      detailType: 'Inspector2 Scan',
      reason: `an Amazon Inspector scan of ${resource} is not an Amazon ECR image scan`,
    });
  });

  test('an ECR scan whose repository-name is missing is malformed, not another resource', () => {
    const event = awsSample<ScanSample>('inspector2-scan-ecr-initial-scan-complete.json');
    delete event.detail['repository-name'];

    expect(problemsOf(() => parseScanGateEvent(event))).toEqual([
      expect.stringMatching(/^detail\.repository-name: /),
    ]);
  });

  test('parseScanGateEvent parses the official ECR scan samples as scans', () => {
    expect(parseScanGateEvent(awsSample('ecr-image-scan.json')).kind).toBe('basic');
    expect(parseScanGateEvent(awsSample('inspector2-scan-ecr-initial-scan-complete.json')).kind).toBe(
      'enhanced',
    );
  });
});

describe('Inspector2 Finding', () => {
  test('the ECR User Guide sample parses into a finding about its image', () => {
    const finding = parseInspectorFindingEvent(awsSample('inspector2-finding-ecr-image.json'));

    expect(finding).toEqual({
      kind: 'finding',
      repositoryName: 'amazon/amazon-ecs-sample',
      registryId: '123456789012',
      repositoryRegion: 'us-east-2',
      imageDigest: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE',
      imageTags: ['latest'],
      findingArn: 'arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE',
      vulnerabilityId: 'CVE-2019-17498',
      severity: 'medium',
      findingStatus: 'ACTIVE',
      account: '123456789012',
      region: 'us-east-2',
      eventId: '42dbea55-45ad-b2b4-87a8-afaEXAMPLE',
      time: '2021-12-03T18:02:30Z',
    });
  });

  test('the Inspector User Guide ECR sample parses, its region read from the resource', () => {
    const finding = parseInspectorFindingEvent(
      awsSample('inspector2-finding-ecr-package-vulnerability.json'),
    );

    expect(finding).toMatchObject({
      kind: 'finding',
      repositoryName: 'inspector2',
      registryId: '123456789012',
      repositoryRegion: 'eu-central-1',
      imageDigest: 'sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d',
      vulnerabilityId: 'CVE-2024-6119',
    });
  });

  test('a resource region of N/A falls back to the region in the resource ARN', () => {
    const sample = awsSample<{ detail: { resources: { id: string }[] } }>(
      'inspector2-finding-ecr-image.json',
    );
    sample.detail.resources[0]!.id =
      'arn:aws:ecr:eu-west-1:123456789012:repository/amazon/amazon-ecs-sample/sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77eEXAMPLE';

    expect(parseInspectorFindingEvent(sample)).toMatchObject({
      repositoryRegion: 'eu-west-1',
      region: 'us-east-2',
    });
  });

  test('a finding about a Lambda function is another resource, with a reason naming its type', () => {
    const event = parseScanGateEvent(awsSample('inspector2-finding-lambda-package-vulnerability.json'));

    expect(event).toMatchObject({
      kind: 'other-resource',
      detailType: 'Inspector2 Finding',
      reason: expect.stringMatching(
        /^an Amazon Inspector finding about AWS_LAMBDA_FUNCTION .* is not about an Amazon ECR image$/,
      ),
    });
  });

  test('an ECR image resource without its awsEcrContainerImage details is rejected at that path', () => {
    const sample = awsSample<{ detail: { resources: { details?: unknown }[] } }>(
      'inspector2-finding-ecr-image.json',
    );
    delete sample.detail.resources[0]!.details;

    expect(problemsOf(() => parseInspectorFindingEvent(sample))).toEqual([
      'detail.resources[0].details.awsEcrContainerImage: expected the ECR image of an AWS_ECR_CONTAINER_IMAGE resource',
    ]);
  });

  test('a malformed image digest is rejected at its path', () => {
    const sample = awsSample<{
      detail: { resources: { details: { awsEcrContainerImage: { imageHash: string } } }[] };
    }>('inspector2-finding-ecr-image.json');
    sample.detail.resources[0]!.details.awsEcrContainerImage.imageHash = 'latest';

    expect(problemsOf(() => parseInspectorFindingEvent(sample))).toEqual([
      expect.stringMatching(/^detail\.resources\[0\]\.details\.awsEcrContainerImage\.imageHash: /),
    ]);
  });
});

describe('parseScanEvent dispatch', () => {
  test('an unknown detail-type is rejected naming the accepted ones', () => {
    const event = awsSample<ScanSample>('ecr-image-scan.json');
    event['detail-type'] = 'ECR Image Action';

    expect(problemsOf(() => parseScanEvent(event))).toEqual([
      'detail-type: expected "ECR Image Scan" or "Inspector2 Scan", got "ECR Image Action"',
    ]);
  });

  test('a value that is not an object is rejected at the root', () => {
    expect(problemsOf(() => parseScanEvent('{}'))).toEqual(['(root): expected an EventBridge event object']);
  });
});

describe('events/ files', () => {
  test('inspector2-finding.json is a finding about web/frontend 1.4.2', () => {
    expect(parseScanGateEvent(repoEvent('inspector2-finding.json'))).toMatchObject({
      kind: 'finding',
      repositoryName: 'web/frontend',
      imageTags: ['1.4.2'],
      vulnerabilityId: 'CVE-2024-3094',
    });
  });

  test.each(['ecr-image-scan-complete.json', 'ecr-image-scan-failed.json', 'inspector2-scan-complete.json'])(
    '%s parses as a scan event of web/frontend',
    (name) => {
      expect(parseScanEvent(repoEvent(name)).repositoryName).toBe('web/frontend');
    },
  );

  test('ecr-image-scan-failed.json is a failed scan', () => {
    expect(parseScanEvent(repoEvent('ecr-image-scan-failed.json')).status).toBe('failed');
  });
});

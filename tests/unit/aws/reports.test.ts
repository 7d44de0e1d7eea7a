/**
 * The reports bucket adapter over aws-sdk-client-mock, with the documented PutObject answer of a versioned
 * bucket (botocore's S3 example "To create an object"): what it sends, what it answers, what it refuses.
 */
import { NoSuchBucket, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { S3Reports, reportStoreActions } from '../../../lib/aws/reports';
import { InvalidInputError, NotFoundError } from '../../../lib/errors';
import { awsSample } from '../../fixtures/load';

const s3Mock = mockClient(S3Client);
const BUCKET = 'buildwarden-prod-reportsbucket-1a2b3c4d5e6f';
const KEY = 'audits/123456789012/us-east-1/20261125T120000Z/report.html';

/** The documented answer of PutObject to a versioned bucket. */
const documented = awsSample<{ output: { ETag: string; VersionId: string } }>(
  'api-s3-put-object.botocore-example.json',
).output;

const store = () => new S3Reports(BUCKET, new S3Client({ region: 'us-east-1' }));
const html = {
  key: KEY,
  body: '<!doctype html><title>report</title>',
  contentType: 'text/html; charset=utf-8',
};

beforeEach(() => {
  s3Mock.reset();
});

describe('S3Reports', () => {
  it('declares the one action it calls', () => {
    expect(reportStoreActions).toEqual(['s3:PutObject']);
  });

  it('puts the report under its key with its content type, never cached by a browser', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves(documented);

    // Act
    await store().putReport(html);

    // Assess
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: KEY,
      Body: html.body,
      ContentType: 'text/html; charset=utf-8',
      CacheControl: 'no-store',
    });
  });

  it('answers with the bucket, the key and the version S3 wrote', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves(documented);

    // Act
    const stored = await store().putReport(html);

    // Assess
    expect(stored).toEqual({ bucket: BUCKET, key: KEY, versionId: 'Bvq0EDKxOcXLJXNo_Lkz37eM3R4pfzyQ' });
  });

  it('answers without a version when the bucket does not version its objects', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({ ETag: documented.ETag });

    // Act
    const stored = await store().putReport(html);

    // Assess
    expect(stored).toEqual({ bucket: BUCKET, key: KEY });
  });

  it('turns a bucket that does not exist into a NotFoundError about the bucket', async () => {
    // Prepare
    s3Mock
      .on(PutObjectCommand)
      .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));

    // Act
    const putting = store().putReport(html);

    // Assess
    await expect(putting).rejects.toThrow(NotFoundError);
    await expect(putting).rejects.toMatchObject({ resource: 'bucket' });
  });

  it('refuses a key longer than 1,024 bytes of UTF-8 before any call', async () => {
    // Prepare: 342 three-byte characters are 1,026 bytes
    const key = `audits/${'€'.repeat(342)}`;

    // Act
    const putting = store().putReport({ ...html, key });

    // Assess
    await expect(putting).rejects.toThrow(InvalidInputError);
    await expect(putting).rejects.toThrow(/at most 1024 bytes/);
    expect(s3Mock).not.toHaveReceivedAnyCommand();
  });
});

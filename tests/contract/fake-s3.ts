/**
 * The S3 calls of the run store, answered over aws-sdk-client-mock from a map of objects, as the S3 API
 * Reference describes them: PutObject replaces an object; GetObject streams its body and raises NoSuchKey for
 * a missing key; ListObjectsV2 lists keys in UTF-8 binary order, at most MaxKeys (default and maximum 1,000) a
 * page, with IsTruncated and NextContinuationToken.
 */
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandInput,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

const S3_LIST_MAX = 1000;

export class FakeS3 {
  readonly objects = new Map<string, string>();
  readonly client = new S3Client({ region: 'us-east-1' });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly mock: AwsStub<any, any, any> = mockClient(this.client);

  constructor(readonly bucket: string) {
    this.mock.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: string }) => {
      this.checkBucket(input.Bucket);
      this.objects.set(input.Key, String(input.Body));
      return { ETag: '"etag"' };
    });
    this.mock.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      this.checkBucket(input.Bucket);
      const text = this.objects.get(input.Key);
      if (text === undefined) {
        throw new NoSuchKey({
          message: 'The specified key does not exist.',
          $metadata: { httpStatusCode: 404 },
        });
      }
      // Delivered in small chunks, as a network stream is: lines may be split across chunks.
      const bytes = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
        bytes.subarray(i * 7, i * 7 + 7),
      );
      return { Body: Readable.from(chunks), ContentLength: bytes.length };
    });
    this.mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
      this.checkBucket(input.Bucket!);
      const size = Math.min(input.MaxKeys ?? S3_LIST_MAX, S3_LIST_MAX);
      const keys = [...this.objects.keys()]
        .filter((key) => key.startsWith(input.Prefix ?? ''))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
      const page = keys.slice(start, start + size);
      const truncated = start + size < keys.length;
      return {
        Contents: page.map((Key) => ({ Key, Size: Buffer.byteLength(this.objects.get(Key)!) })),
        KeyCount: page.length,
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(start + size) } : {}),
      };
    });
  }

  /** Every command sent, by command name. */
  calls(): string[] {
    return this.mock
      .calls()
      .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
  }

  restore(): void {
    this.mock.restore();
  }

  private checkBucket(bucket: string): void {
    if (bucket !== this.bucket) throw new Error(`FakeS3: no bucket ${bucket}`);
  }
}

/**
 * The organization audit's run store on S3 (RunStore): one object per key, written whole with PutObject, read
 * as a stream (GetObject's body, line by line), listed with ListObjectsV2. The bucket is the stack's own
 * (encrypted by default, private, TLS only: serverless.yml `RunsBucket`).
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../errors';
import type { RunStore } from '../ports';
import { s3Client } from './clients';
import { translated } from './errors';

/** What writing a run's objects calls. */
export const runWriteActions = ['s3:PutObject'] as const;
/** What reading them calls: ListBucket also lets GetObject answer NoSuchKey (not AccessDenied) for a missing key. */
export const runReadActions = ['s3:GetObject', 's3:ListBucket'] as const;

const contentTypeOf = (key: string) => (key.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json');

export class S3RunStore implements RunStore {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = s3Client(),
  ) {}

  async put(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentTypeOf(key) }),
    );
  }

  async text(key: string): Promise<string | undefined> {
    try {
      const body = await this.body(key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async *lines(key: string): AsyncIterable<string> {
    const body = await this.body(key);
    const reader = createInterface({ input: body, crlfDelay: Infinity });
    for await (const line of reader) yield line;
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for await (const page of paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
    }
  }

  /** The object's body as a Node stream (the SDK's Node body is one); a missing object is a NotFoundError. */
  private async body(key: string): Promise<Readable> {
    const out = await translated(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    const body = out.Body as unknown;
    if (body instanceof Readable) return body;
    if (body && typeof body === 'object' && Symbol.asyncIterator in body)
      return Readable.from(body as AsyncIterable<Uint8Array>);
    throw new Error(`GetObject ${key}: the answer has no body`);
  }
}

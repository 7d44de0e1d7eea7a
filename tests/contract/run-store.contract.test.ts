/**
 * The RunStore port's contract (where the organization audit keeps a run), run against the S3 adapter over
 * the SDK mock and against the sandbox's simulated bucket, in memory and in a directory: objects written whole
 * and read back, streamed line by line, listed by prefix in S3's order, and a missing object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3RunStore } from '../../lib/aws/run-store';
import { NotFoundError } from '../../lib/errors';
import type { RunStore } from '../../lib/ports';
import { SandboxRunStore } from '../../lib/sandbox/run-store';
import { FakeS3 } from './fake-s3';

const opened: FakeS3[] = [];

const STORES: [string, () => RunStore][] = [
  [
    'the S3 adapter over the SDK mock',
    () => {
      const s3 = new FakeS3('buildwarden-runs');
      opened.push(s3);
      return new S3RunStore('buildwarden-runs', s3.client);
    },
  ],
  ['the sandbox, in memory', () => new SandboxRunStore()],
  ['the sandbox, in a directory', () => new SandboxRunStore(mkdtempSync(path.join(tmpdir(), 'bw-runs-')))],
];

afterEach(() => {
  for (const s3 of opened.splice(0)) s3.restore();
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe.each(STORES)('RunStore contract: %s', (_name, open) => {
  test('an object written is read back whole', async () => {
    // Prepare
    const store = open();

    // Act
    await store.put('runs/r1/targets.json', '[{"accountId":"111122223333","region":"us-east-1"}]');

    // Assess
    expect(await store.text('runs/r1/targets.json')).toBe(
      '[{"accountId":"111122223333","region":"us-east-1"}]',
    );
  });

  test('writing a key again replaces the object', async () => {
    // Prepare
    const store = open();
    await store.put('runs/r1/111122223333/us-east-1.jsonl', 'old\n');

    // Act
    await store.put('runs/r1/111122223333/us-east-1.jsonl', 'new\n');

    // Assess
    expect(await store.text('runs/r1/111122223333/us-east-1.jsonl')).toBe('new\n');
  });

  test('an object is streamed line by line, without line ends and without the empty line after the last', async () => {
    // Prepare
    const store = open();
    const lines = [
      '{"ruleId":"ecr.scan-on-push"}',
      '{"ruleId":"ecr.tag-immutability","message":"ü ✓"}',
      '{}',
    ];
    await store.put('runs/r1/111122223333/us-east-1.jsonl', `${lines.join('\n')}\n`);

    // Act
    const read = await all(store.lines('runs/r1/111122223333/us-east-1.jsonl'));

    // Assess
    expect(read).toEqual(lines);
  });

  test('a missing object reads as undefined whole, and as not-found when streamed', async () => {
    // Prepare
    const store = open();

    // Act
    const text = await store.text('runs/r1/none.json');
    const streamed = all(store.lines('runs/r1/none.jsonl'));

    // Assess
    expect(text).toBeUndefined();
    await expect(streamed).rejects.toBeInstanceOf(NotFoundError);
  });

  test('keys are listed under a prefix only, in ascending order', async () => {
    // Prepare
    const store = open();
    for (const key of [
      'runs/r2/111122223333/us-east-1.jsonl',
      'runs/r1/444455556666/us-east-1.jsonl',
      'runs/r1/111122223333/us-east-1.jsonl',
      'runs/r1/111122223333/eu-west-1.jsonl',
      'runs/r1/targets.json',
    ])
      await store.put(key, '');

    // Act
    const keys = await all(store.keys('runs/r1/'));

    // Assess
    expect(keys).toEqual([
      'runs/r1/111122223333/eu-west-1.jsonl',
      'runs/r1/111122223333/us-east-1.jsonl',
      'runs/r1/444455556666/us-east-1.jsonl',
      'runs/r1/targets.json',
    ]);
  });
});

describe('the S3 adapter', () => {
  test('more keys than one ListObjectsV2 page (1,000) are listed, every one once', async () => {
    // Prepare
    const s3 = new FakeS3('buildwarden-runs');
    opened.push(s3);
    const store = new S3RunStore('buildwarden-runs', s3.client);
    const keys = Array.from(
      { length: 1001 },
      (_, i) => `runs/r1/${String(i).padStart(12, '0')}/us-east-1.jsonl`,
    );
    await Promise.all(keys.map((key) => store.put(key, '')));

    // Act
    const listed = await all(store.keys('runs/r1/'));

    // Assess
    expect(listed).toEqual(keys);
  }, 60_000);

  test('lists with ListObjectsV2 pages and reads with GetObject', async () => {
    // Prepare
    const s3 = new FakeS3('buildwarden-runs');
    opened.push(s3);
    const store = new S3RunStore('buildwarden-runs', s3.client);
    await store.put('runs/r1/targets.json', '[]');

    // Act
    await all(store.keys('runs/r1/'));
    await store.text('runs/r1/targets.json');

    // Assess
    expect(s3.calls()).toEqual(['PutObjectCommand', 'ListObjectsV2Command', 'GetObjectCommand']);
  });
});

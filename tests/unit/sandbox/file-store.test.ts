/**
 * The sandbox file under contention: `writeFileAtomic` (unique temporary names, nothing left behind on
 * failure) and `withFileLock` (one holder at a time across worker threads and processes, stale locks taken
 * over, a bounded wait). The contention tests run real worker threads and a child process on one file.
 */
import { fork } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import {
  FileLockTimeoutError,
  uniqueSuffix,
  withFileLock,
  writeFileAtomic,
} from '../../../lib/sandbox/file-store';
import { FIXTURES_DIR } from '../../fixtures/load';

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'bw-file-store-'));

/** Resolves with the rejection of `promise`; fails when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('writeFileAtomic', () => {
  test('replaces the file with the new text', () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');
    writeFileSync(file, 'old\n');

    // Act
    writeFileAtomic(file, 'new\n');

    // Assess
    expect(readFileSync(file, 'utf8')).toBe('new\n');
  });

  test('leaves no temporary file behind', () => {
    // Prepare
    const dir = freshDir();
    const file = path.join(dir, 'account.json');

    // Act
    writeFileAtomic(file, '{}\n');

    // Assess
    expect(readdirSync(dir)).toEqual(['account.json']);
  });

  test('removes its temporary file when the rename fails, and rethrows', () => {
    // Prepare: the target is a directory, so the rename over it fails.
    const dir = freshDir();
    const target = path.join(dir, 'account.json');
    mkdirSync(target);

    // Act
    const act = () => writeFileAtomic(target, '{}\n');

    // Assess
    expect(act).toThrow();
    expect(readdirSync(dir)).toEqual(['account.json']);
  });

  test('names its temporary files by process, thread and a random part, different on every call', () => {
    // Act
    const suffixes = new Set(Array.from({ length: 100 }, () => uniqueSuffix()));

    // Assess
    expect(suffixes.size).toBe(100);
    expect([...suffixes][0]).toMatch(new RegExp(`^${process.pid}\\.\\d+\\.[0-9a-f]{12}$`));
  });
});

describe('withFileLock', () => {
  test('returns what the locked work returns and removes the lock file', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');

    // Act
    const result = await withFileLock(file, async () => 42);

    // Assess
    expect(result).toBe(42);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test('removes the lock file when the locked work fails', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');

    // Act
    const error = await rejectionOf(
      withFileLock(file, async () => {
        throw new Error('work failed');
      }),
    );

    // Assess
    expect(error).toMatchObject({ message: 'work failed' });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test('runs two holders in one thread one after the other', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');
    const events: string[] = [];
    let release!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (release = resolve));

    // Act
    const first = withFileLock(file, async () => {
      events.push('first in');
      await firstMayEnd;
      events.push('first out');
    });
    // The second contender finds the lock taken and waits: only then may the first end.
    const second = withFileLock(
      file,
      async () => {
        events.push('second in');
      },
      {
        sleep: async () => {
          events.push('second waits');
          release();
          await new Promise((resolve) => setImmediate(resolve));
        },
      },
    );
    await Promise.all([first, second]);

    // Assess
    expect(events.filter((e) => e !== 'second waits')).toEqual(['first in', 'first out', 'second in']);
    expect(events).toContain('second waits');
  });

  test('takes over a lock file older than staleMs (its holder died)', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');
    writeFileSync(`${file}.lock`, '{"token":"dead-holder"}\n');
    const longAgo = new Date(Date.now() - 120_000);
    utimesSync(`${file}.lock`, longAgo, longAgo);

    // Act
    const result = await withFileLock(file, async () => 'ran', { staleMs: 60_000, waitMs: 1_000 });

    // Assess
    expect(result).toBe('ran');
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  test('gives up with FileLockTimeoutError naming the lock file when a live holder keeps it', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');
    writeFileSync(`${file}.lock`, '{"token":"live-holder"}\n');
    let clock = 0;
    const sleep = async (ms: number) => {
      clock += ms;
    };

    // Act
    const error = await rejectionOf(
      withFileLock(file, async () => 'never', { waitMs: 1_000, staleMs: 60_000, sleep, now: () => clock }),
    );

    // Assess
    expect(error).toBeInstanceOf(FileLockTimeoutError);
    expect((error as Error).message).toContain(`${file}.lock`);
  });

  test('leaves a lock file someone else took over alone when it ends', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');

    // Act: while the work runs, another contender replaces the lock with its own (a stale takeover).
    await withFileLock(file, async () => {
      writeFileSync(`${file}.lock`, '{"token":"the-next-holder"}\n');
    });

    // Assess
    expect(readFileSync(`${file}.lock`, 'utf8')).toContain('the-next-holder');
  });
});

describe('withFileLock across worker threads and processes', () => {
  const THREADS = 4;
  const ITERATIONS = 40;
  let bundle: string;

  beforeAll(() => {
    // The worker runs plain JavaScript: bundle the real module with it.
    bundle = path.join(freshDir(), 'file-lock-worker.js');
    buildSync({
      entryPoints: [path.join(FIXTURES_DIR, 'file-lock-worker.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
    });
  });

  function thread(job: { file: string; iterations: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(bundle, { workerData: job });
      worker.once('message', (m: { ok: boolean; error?: string }) =>
        m.ok ? resolve() : reject(new Error(m.error)),
      );
      worker.once('error', reject);
    });
  }

  function processContender(job: { file: string; iterations: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = fork(bundle, [JSON.stringify(job)], { stdio: 'pipe' });
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr += String(d)));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${stderr}`))));
    });
  }

  test('loses no update when threads and a process read, change and write the file at once', async () => {
    // Prepare
    const dir = freshDir();
    const file = path.join(dir, 'account.json');
    writeFileSync(file, '{"count":0}\n');
    const job = { file, iterations: ITERATIONS };

    // Act
    await Promise.all([...Array.from({ length: THREADS }, () => thread(job)), processContender(job)]);

    // Assess
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ count: (THREADS + 1) * ITERATIONS });
    expect(readdirSync(dir)).toEqual(['account.json']);
  }, 120_000);
});

/**
 * The sandbox account's file, shared safely by every thread and process that uses it: the local stack runs
 * each Lambda handler in serverless-offline worker threads, where a module-level queue is per thread.
 *
 * - `withFileLock` holds `<file>.lock`, an exclusive lock file created with `wx` (O_CREAT|O_EXCL, atomic on
 *   local file systems), for one read-change-write of the file. A lock older than `staleMs` belongs to a
 *   holder that died: it is taken over (moved aside under a unique name, then removed).
 * - `writeFileAtomic` writes a temporary file whose name is unique per process, thread and call, fsyncs it,
 *   renames it over the file (and fsyncs the directory), and removes it when anything fails.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** Unique per process, thread and call. */
export function uniqueSuffix(): string {
  return `${process.pid}.${threadId}.${randomBytes(6).toString('hex')}`;
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/** Replaces `file` with `text` so that a reader sees the old or the new content, never a mix. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${uniqueSuffix()}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  syncDirectory(path.dirname(file));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already failing: the first error is the one to report.
  }
}

/** Makes the rename itself durable; some platforms cannot fsync a directory, which is then skipped. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. on Windows): the rename is still atomic.
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

export interface FileLockOptions {
  /** How long to wait for the lock before giving up. Default 25 s (an HTTP API request has 29). */
  waitMs?: number;
  /** Age after which a lock file is a dead holder's. Default 60 s, longer than any local invocation. */
  staleMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock for the wait bound (not for staleness, which compares the file's mtime). */
  now?: () => number;
}

export class FileLockTimeoutError extends Error {
  constructor(lockFile: string, waitedMs: number) {
    super(`could not lock ${lockFile} within ${waitedMs} ms: another process holds it`);
    this.name = 'FileLockTimeoutError';
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `run` while holding `<file>.lock`, released afterwards whatever `run` did. */
export async function withFileLock<T>(
  file: string,
  run: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lockFile = `${file}.lock`;
  const token = uniqueSuffix();
  await acquire(lockFile, token, options);
  try {
    return await run();
  } finally {
    release(lockFile, token);
  }
}

async function acquire(lockFile: string, token: string, options: FileLockOptions): Promise<void> {
  const waitMs = options.waitMs ?? 25_000;
  const staleMs = options.staleMs ?? 60_000;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockFile, token)) return;
    if (takeOverIfStale(lockFile, staleMs)) continue;
    const waited = now() - started;
    if (waited >= waitMs) throw new FileLockTimeoutError(lockFile, waited);
    // Short, jittered waits: a local invocation holds the lock for milliseconds.
    await sleep(Math.min(50, 2 ** Math.min(attempt, 5)) + Math.floor(Math.random() * 5));
  }
}

function tryCreate(lockFile: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile, 'wx');
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    writeFileSync(
      fd,
      `${JSON.stringify({ token, pid: process.pid, threadId, at: new Date().toISOString() })}\n`,
    );
  } finally {
    closeSync(fd);
  }
  return true;
}

/** True when the lock file was stale and is gone now (or vanished meanwhile): try to create it again. */
function takeOverIfStale(lockFile: string, staleMs: number): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(lockFile).mtimeMs;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return true;
    throw error;
  }
  if (Date.now() - mtimeMs < staleMs) return false;
  // Moved aside rather than deleted, so that two takers cannot both delete: only one rename succeeds.
  const moved = `${lockFile}.${uniqueSuffix()}.stale`;
  try {
    renameSync(lockFile, moved);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return true;
    throw error;
  }
  // Between the stat and the rename another taker may have replaced the stale lock by a fresh one of its
  // own: put that back (link fails if yet another lock exists meanwhile).
  try {
    if (Date.now() - statSync(moved).mtimeMs < staleMs) linkSync(moved, lockFile);
  } catch {
    // The fresh lock's holder keeps going; the next takers see its lock or none.
  }
  rmSync(moved, { force: true });
  return true;
}

function release(lockFile: string, token: string): void {
  let content: string;
  try {
    content = readFileSync(lockFile, 'utf8');
  } catch {
    return;
  }
  // Someone who took the lock over as stale holds it now: theirs to remove.
  if (!content.includes(`"token":"${token}"`)) return;
  rmSync(lockFile, { force: true });
}

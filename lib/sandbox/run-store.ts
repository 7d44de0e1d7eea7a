/**
 * The sandbox's RunStore: a SIMULATED S3 bucket, in memory (a sandbox account's) or in a directory (a fleet's,
 * so that the runs of the local stage persist between invocations, each key a file under the directory).
 * Keys are listed in ascending order as S3 lists them; a missing object is S3's NoSuchKey, translated as the
 * adapter translates it; every call goes through `call` (counted, and faults injected) when one is given.
 */
import {
  createReadStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { translateAwsError } from '../aws/errors';
import type { RunStore } from '../ports';
import { uniqueSuffix } from './file-store';
import { simulatedAwsError } from './state';

type Call = (action: string) => Promise<void>;

const noSuchKey = (key: string) =>
  translateAwsError(simulatedAwsError('NoSuchKey', `The specified key does not exist. (${key})`));

/** S3 keys are any UTF-8 text; these are the ones a run uses, and the only ones a directory can hold safely. */
const SAFE_KEY = /^(?:[A-Za-z0-9_.=-]+\/)*[A-Za-z0-9_.=-]+$/;

function checkKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new RangeError(`sandbox run store: unsupported key ${JSON.stringify(key)}`);
  }
}

export class SandboxRunStore implements RunStore {
  private readonly objects = new Map<string, string>();

  /** In memory, or in `directory` when given. */
  constructor(
    private readonly directory?: string,
    private readonly call: Call = async () => undefined,
  ) {}

  async put(key: string, body: string): Promise<void> {
    checkKey(key);
    await this.call('s3:PutObject');
    if (this.directory === undefined) {
      this.objects.set(key, body);
      return;
    }
    const file = path.join(this.directory, key);
    mkdirSync(path.dirname(file), { recursive: true });
    // Whole or not at all, as S3 writes an object (no fsync: a simulated bucket needs no durability).
    const temporary = `${file}.${uniqueSuffix()}.tmp`;
    writeFileSync(temporary, body);
    renameSync(temporary, file);
  }

  async text(key: string): Promise<string | undefined> {
    checkKey(key);
    await this.call('s3:GetObject');
    if (this.directory === undefined) return this.objects.get(key);
    try {
      return readFileSync(path.join(this.directory, key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *lines(key: string): AsyncIterable<string> {
    checkKey(key);
    await this.call('s3:GetObject');
    if (this.directory === undefined) {
      const text = this.objects.get(key);
      if (text === undefined) throw noSuchKey(key);
      const lines = text.split(/\r?\n/);
      if (lines[lines.length - 1] === '') lines.pop();
      yield* lines;
      return;
    }
    const file = path.join(this.directory, key);
    if (!isFile(file)) throw noSuchKey(key);
    const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of reader) yield line;
  }

  async *keys(prefix: string): AsyncIterable<string> {
    await this.call('s3:ListBucket');
    const all =
      this.directory === undefined ? [...this.objects.keys()] : filesUnder(this.directory, this.directory);
    yield* all.filter((key) => key.startsWith(prefix)).sort(byteOrder);
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Every file under `dir`, as a key relative to `root` with `/` separators (temporary files left out). */
function filesUnder(root: string, dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(root, full);
    if (!entry.isFile() || entry.name.endsWith('.tmp')) return [];
    return [path.relative(root, full).split(path.sep).join('/')];
  });
}

/** S3 lists keys in UTF-8 binary order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

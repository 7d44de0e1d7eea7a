/** Writing the CLI's output files: whole or not at all (a temporary file renamed into place). */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type Io } from './framework';

/** Writes `text` to `file` (relative to the working directory), owner-only; a failure is exit 2 naming it. */
export function writeOutputFile(flag: string, file: string, text: string, io: Io): void {
  const full = path.resolve(io.cwd, file);
  const temporary = `${full}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, full);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'EISDIR'
          ? 'it is a directory'
          : (error as Error).message;
    throw new UsageError(`cannot write ${flag} ${file}: ${reason}`);
  }
}

/**
 * The local stage (`npm start`, `sls invoke local --stage local`): every function runs on the SIMULATED
 * sandbox account kept in BUILDWARDEN_SANDBOX_FILE, read before and written back after each invocation, so
 * state persists across requests. One invocation at a time across serverless-offline's worker threads and
 * other processes too: the queue orders this thread's invocations, the lock file all of them.
 *
 * Reports kept in the simulated reports bucket are written under `reports/` beside the sandbox file.
 *
 * Loaded by lib/runtime/lambda.ts through a dynamic import that exists only in local-stage bundles.
 */
import path from 'node:path';
import { SandboxAccount } from './account';
import { withFileLock } from './file-store';

let queue: Promise<unknown> = Promise.resolve();

export function withSandboxFile<T>(file: string, use: (sandbox: SandboxAccount) => Promise<T>): Promise<T> {
  const run = queue.then(() =>
    withFileLock(file, async () => {
      const sandbox = SandboxAccount.fromFile(file);
      const result = await use(sandbox);
      sandbox.saveTo(file);
      // The reports the invocation kept (the scheduled audit's), where a browser can open them.
      sandbox.reports.saveUnder(reportsDirectory(file));
      return result;
    }),
  );
  queue = run.catch(() => undefined);
  return run;
}

/** Where the local stage writes the reports of the sandbox in `file`: `reports/` beside it. */
export function reportsDirectory(file: string): string {
  return path.join(path.dirname(file), 'reports');
}

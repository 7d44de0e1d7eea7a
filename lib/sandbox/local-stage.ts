/**
 * The local stage (`npm start`, `sls invoke local --stage local`): every function runs on the SIMULATED
 * sandbox account kept in BUILDWARDEN_SANDBOX_FILE, read before and written back after each invocation, so
 * state persists across requests. One invocation at a time across serverless-offline's worker threads and
 * other processes too: the queue orders this thread's invocations, the lock file all of them.
 *
 * Loaded by lib/runtime/lambda.ts through a dynamic import that exists only in local-stage bundles.
 */
import { SandboxAccount } from './account';
import { withFileLock } from './file-store';

let queue: Promise<unknown> = Promise.resolve();

export function withSandboxFile<T>(file: string, use: (sandbox: SandboxAccount) => Promise<T>): Promise<T> {
  const run = queue.then(() =>
    withFileLock(file, async () => {
      const sandbox = SandboxAccount.fromFile(file);
      const result = await use(sandbox);
      sandbox.saveTo(file);
      return result;
    }),
  );
  queue = run.catch(() => undefined);
  return run;
}

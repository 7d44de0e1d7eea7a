/**
 * What every Lambda function shares: config parsed once at cold start, the account resolved once, and the
 * choice between the real account and — with BUILDWARDEN_SANDBOX_FILE (stage `local`) — the SIMULATED sandbox.
 * Each function's wiring (lib/runtime/<function>.ts) imports only the adapters it uses, so its bundle carries
 * only those SDK clients.
 */
import {
  LAMBDA_SETTINGS,
  functionGuardrails,
  parseSettings,
  processEnvironment,
  type Settings,
} from '../settings';
import type { Guardrails } from '../policy/guardrails';
import { currentAccount } from '../aws/account';
import type { AccountInfo } from '../ports';
import type { SandboxAccount } from '../sandbox/account';

/** The settings of a function and the guardrails it runs with. */
export type RuntimeConfig = Settings & { guardrails: Guardrails };

let config: RuntimeConfig | undefined;
let account: Promise<AccountInfo> | undefined;

export function runtimeConfig(): RuntimeConfig {
  if (!config) {
    const settings = parseSettings(processEnvironment(), [
      ...LAMBDA_SETTINGS,
      'BUILDWARDEN_NOTIFICATION_TOPIC_ARN',
    ]);
    config = { ...settings, guardrails: functionGuardrails(settings) };
  }
  return config;
}

/** How a function builds its ports: from the SDK adapters, or from the sandbox account. */
export interface Wiring<D> {
  aws: (account: AccountInfo, config: RuntimeConfig) => D;
  sandbox: (sandbox: SandboxAccount) => D;
}

let sandboxQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs one invocation's use case against the account: the real one through the SDK adapters, or the
 * sandbox account read from BUILDWARDEN_SANDBOX_FILE and written back afterwards, one invocation at a time
 * so state persists across requests. One at a time across serverless-offline's worker threads and other
 * processes too: the queue orders this thread's invocations, the lock file all of them.
 */
export async function withAccount<D, T>(
  wiring: Wiring<D>,
  use: (deps: D & { sandbox: boolean }) => Promise<T>,
): Promise<T> {
  const cfg = runtimeConfig();
  const file = cfg.BUILDWARDEN_SANDBOX_FILE;
  if (!file) return use({ ...wiring.aws(await (account ??= currentAccount()), cfg), sandbox: false });
  // Loaded only on the local stage: deployed functions never evaluate the sandbox module at cold start.
  const { SandboxAccount: Sandbox } = await import('../sandbox/account');
  const { withFileLock } = await import('../sandbox/file-store');
  const run = sandboxQueue.then(() =>
    withFileLock(file, async () => {
      const sandbox = Sandbox.fromFile(file);
      const result = await use({ ...wiring.sandbox(sandbox), sandbox: true });
      sandbox.saveTo(file);
      return result;
    }),
  );
  sandboxQueue = run.catch(() => undefined);
  return run;
}

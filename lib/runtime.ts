/**
 * Composition root of the Lambda functions: config parsed once at cold start, adapters created once.
 * Handlers in functions/ import from here and never touch the SDK themselves.
 */
import { loadConfig, type RuntimeConfig } from './config';
import { currentAccount } from './aws/account';
import { EcrRegistry } from './aws/ecr';
import { SnsNotifier } from './aws/sns';
import type { AccountInfo } from './ports';

let config: RuntimeConfig | undefined;
let account: Promise<AccountInfo> | undefined;

export function runtimeConfig(): RuntimeConfig {
  return (config ??= loadConfig());
}

export const auditDeps = async () => {
  const cfg = runtimeConfig();
  return {
    account: await (account ??= currentAccount()),
    registry: new EcrRegistry(),
    notifier: new SnsNotifier(cfg.NOTIFICATION_TOPIC_ARN),
  };
};

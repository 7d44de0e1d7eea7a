/** The DynamoDB verdict store, built on first use so a function that never touches a table needs none configured. */
import { requireSettings } from '../settings';
import { DynamoVerdictStore } from '../aws/verdicts';
import type { AccountInfo, VerdictStore } from '../ports';
import type { RuntimeConfig, Wiring } from './core';

export function dynamoVerdicts(config: RuntimeConfig): VerdictStore {
  let store: DynamoVerdictStore | undefined;
  const verdicts = () => {
    requireSettings(config, ['BUILDWARDEN_VERDICTS_TABLE']);
    return (store ??= new DynamoVerdictStore({
      verdicts: config.BUILDWARDEN_VERDICTS_TABLE!,
      ...(config.BUILDWARDEN_BUILDS_TABLE ? { builds: config.BUILDWARDEN_BUILDS_TABLE } : {}),
    }));
  };
  const builds = () => {
    requireSettings(config, ['BUILDWARDEN_BUILDS_TABLE']);
    return verdicts();
  };
  return {
    putVerdict: (v) => verdicts().putVerdict(v),
    getVerdict: (i) => verdicts().getVerdict(i),
    markDeleted: (i, d) => verdicts().markDeleted(i, d),
    producerOf: (i) => verdicts().producerOf(i),
    recordProducer: (i, p) => verdicts().recordProducer(i, p),
    recordBuild: (b) => builds().recordBuild(b),
    buildsFor: (r) => builds().buildsFor(r),
  };
}

/** The gate API's wiring: the verdict store, read for the deployment's own account and region. */
export const verdictWiring: Wiring<{ account: AccountInfo; verdicts: VerdictStore }> = {
  aws: (account, config) => ({ account, verdicts: dynamoVerdicts(config) }),
  sandbox: (s) => s.ports(),
};

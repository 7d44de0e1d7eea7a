/** The DynamoDB verdict store, built on first use so a function that never touches a table needs none configured. */
import { required, type RuntimeConfig } from '../config';
import { DynamoVerdictStore } from '../aws/verdicts';
import type { VerdictStore } from '../ports';
import type { Wiring } from './core';

export function dynamoVerdicts(config: RuntimeConfig): VerdictStore {
  let store: DynamoVerdictStore | undefined;
  const verdicts = () =>
    (store ??= new DynamoVerdictStore({
      verdicts: required(config, 'VERDICTS_TABLE'),
      ...(config.BUILDS_TABLE ? { builds: config.BUILDS_TABLE } : {}),
    }));
  const builds = () => {
    required(config, 'BUILDS_TABLE');
    return verdicts();
  };
  return {
    putVerdict: (v) => verdicts().putVerdict(v),
    getVerdict: (r, d) => verdicts().getVerdict(r, d),
    producerOf: (r, d) => verdicts().producerOf(r, d),
    recordProducer: (r, d, p) => verdicts().recordProducer(r, d, p),
    recordBuild: (b) => builds().recordBuild(b),
    buildsFor: (r) => builds().buildsFor(r),
  };
}

export const verdictWiring: Wiring<{ verdicts: VerdictStore }> = {
  aws: (_account, config) => ({ verdicts: dynamoVerdicts(config) }),
  sandbox: (s) => s.ports(),
};

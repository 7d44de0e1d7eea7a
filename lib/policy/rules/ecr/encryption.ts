/** `ecr.encryption`: the repository is encrypted with KMS (optionally one of the configured keys). Report only. */
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';

export const encryptionRule: RepositoryRule = (repository, ctx) => {
  const keys = ctx.guardrails.rules['ecr.encryption'].kmsKeyArns;
  const config = repository.encryptionConfiguration ?? { encryptionType: 'AES256' as const };
  const note = 'encryption cannot be changed after a repository is created: recreate it and migrate images';
  if (config.encryptionType === 'AES256') {
    return violation(`repository is encrypted with AES256, not KMS; ${note}`, false, {
      encryptionType: 'AES256',
    });
  }
  if (keys.length > 0 && (!config.kmsKey || !keys.includes(config.kmsKey))) {
    return violation(
      `repository uses ${config.kmsKey ? `KMS key ${config.kmsKey}` : 'the AWS-managed KMS key'}, not one of the configured keys; ${note}`,
      false,
      { encryptionType: config.encryptionType, kmsKey: config.kmsKey ?? null },
    );
  }
  return compliant(`repository is encrypted with ${config.encryptionType}`);
};

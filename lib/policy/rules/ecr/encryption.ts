/** `ecr.encryption`: the repository is encrypted with KMS (optionally one of the configured keys). Report only. */
import * as z from 'zod';
import { repositoryRule } from '../definition';
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

export const encryption = repositoryRule({
  id: 'ecr.encryption',
  severity: 'medium',
  mode: 'report',
  options: () => ({
    /** When non-empty, the repository's KMS key must be one of these ARNs. */
    kmsKeyArns: z.array(z.string().startsWith('arn:', 'expected a KMS key ARN')).default([]),
  }),
  title: 'ECR repositories should be encrypted with AWS KMS',
  recommendation:
    'Encryption cannot be changed after a repository is created: create a repository with KMS encryption, move the images and delete the old one.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html',
  reads: [],
  summary: 'the repository is encrypted with KMS (optionally one of `kmsKeyArns`)',
  remediates: 'never: encryption cannot be changed after a repository is created',
  evaluate: encryptionRule,
});

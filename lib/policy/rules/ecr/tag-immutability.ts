/** `ecr.tag-immutability`: image tags cannot be overwritten (the allowed modes are configurable). */
import * as z from 'zod';
import type { Finding } from '../../findings';
import type { Repository } from '../../model';
import { repositoryRule, type PlanContext, type ProposedFix } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';
import { registryOf } from './registry';

export const tagImmutabilityRule: RepositoryRule = (repository, ctx) => {
  const allowed = ctx.guardrails.rules['ecr.tag-immutability'].allowedModes;
  const current = repository.imageTagMutability ?? 'MUTABLE';
  if ((allowed as string[]).includes(current)) return compliant(`image tags are ${current}`);
  return violation(`image tags are ${current}; allowed: ${allowed.join(', ')}`, true, { current });
};

/**
 * The target mode is the strictest one the guardrails allow. Exclusion filters are never carried from a
 * MUTABLE_WITH_EXCLUSION repository: there they name the tags that must stay immutable, while under
 * IMMUTABLE_WITH_EXCLUSION they would name the tags allowed to change — the opposite protection.
 */
function planImmutability(
  repository: Repository,
  _finding: Finding,
  { guardrails }: PlanContext,
): ProposedFix {
  const before = repository.imageTagMutability ?? 'MUTABLE';
  const allowed = guardrails.rules['ecr.tag-immutability'].allowedModes as string[];
  if (allowed.includes('IMMUTABLE')) {
    return {
      write: {
        type: 'PutImageTagMutability',
        repositoryName: repository.repositoryName,
        ...registryOf(repository),
        imageTagMutability: 'IMMUTABLE',
      },
      before,
      after: 'IMMUTABLE',
    };
  }
  return {
    refused: `no safe target among the allowed modes (${allowed.join(', ')}): IMMUTABLE_WITH_EXCLUSION needs exclusion filters only the repository owner can choose`,
    before,
    after: before,
  };
}

export const tagImmutability = repositoryRule({
  id: 'ecr.tag-immutability',
  severity: 'medium',
  mode: 'remediate',
  options: () => ({
    allowedModes: z
      .array(z.enum(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE', 'MUTABLE_WITH_EXCLUSION']))
      .min(1)
      .default(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION']),
  }),
  title: 'ECR repositories should have immutable image tags',
  recommendation:
    'Set the repository image tag mutability to IMMUTABLE. buildwarden does it when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html',
  reads: [],
  summary: 'image tags are `IMMUTABLE` or `IMMUTABLE_WITH_EXCLUSION` (`allowedModes`)',
  remediates: 'sets `IMMUTABLE`',
  evaluate: tagImmutabilityRule,
  remediation: {
    writes: ['PutImageTagMutability'],
    plan: planImmutability,
  },
});

/** `ecr.tag-immutability`: image tags cannot be overwritten (the allowed modes are configurable). */
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';

export const tagImmutabilityRule: RepositoryRule = (repository, ctx) => {
  const allowed = ctx.guardrails.rules['ecr.tag-immutability'].allowedModes;
  const current = repository.imageTagMutability ?? 'MUTABLE';
  if ((allowed as string[]).includes(current)) return compliant(`image tags are ${current}`);
  return violation(`image tags are ${current}; allowed: ${allowed.join(', ')}`, true, { current });
};

/**
 * `ecr.pull-through-cache`: each pull through cache rule pulls from an allowed upstream registry, with a
 * Secrets Manager secret of ECR's required name (`ecr-pullthroughcache/…`, same account and Region) when the
 * upstream needs authentication, and its repository prefix is covered by a repository creation template.
 * Report only: changing a rule would change what builds pull.
 */
import * as z from 'zod';
import {
  parseArn,
  PULL_THROUGH_CACHE_SECRET_PREFIX,
  PULL_THROUGH_CACHE_UPSTREAMS,
  UPSTREAM_REGISTRIES,
  type UpstreamRegistry,
} from '../../aws-facts';
import { coveringTemplate, normalPrefix, upstreamOf, whyUnknown } from '../../registry-settings';
import { registryRule, type RegistrySubjects } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RuleContext, RuleOutcome } from '../types';

type Subject = RegistrySubjects['pull-through-cache-rule'];

/** What is wrong with the rule's credential, or undefined when it is as ECR requires. */
function credentialProblem(credentialArn: string | undefined, ctx: RuleContext): string | undefined {
  if (!credentialArn) return 'it has no credentialArn (a Secrets Manager secret)';
  const arn = parseArn(credentialArn);
  const name = arn?.resource.startsWith('secret:') ? arn.resource.slice('secret:'.length) : undefined;
  if (!arn || arn.service !== 'secretsmanager' || name === undefined) {
    return `its credentialArn ${credentialArn} is not a Secrets Manager secret ARN`;
  }
  const problems: string[] = [];
  if (!name.startsWith(PULL_THROUGH_CACHE_SECRET_PREFIX)) {
    problems.push(`its secret name does not start with ${PULL_THROUGH_CACHE_SECRET_PREFIX}`);
  }
  if (arn.accountId !== ctx.view.accountId || arn.region !== ctx.view.region) {
    problems.push(`its secret is in ${arn.accountId} ${arn.region}, not this registry's account and Region`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export const pullThroughCacheRule = (subject: Subject, ctx: RuleContext): RuleOutcome => {
  const options = ctx.guardrails.rules['ecr.pull-through-cache'];
  const { rule } = subject;
  const prefix = rule.ecrRepositoryPrefix;
  const problems: string[] = [];
  const upstream = upstreamOf(rule);
  const named = rule.upstreamRegistry ?? rule.upstreamRegistryUrl ?? 'unknown';
  if (!upstream) {
    problems.push(`upstream ${named} is not an upstream buildwarden knows ECR to support`);
  } else if (!(options.allowedUpstreams as readonly string[]).includes(upstream)) {
    problems.push(`upstream ${upstream} is not in allowedUpstreams (${options.allowedUpstreams.join(', ')})`);
  } else if (PULL_THROUGH_CACHE_UPSTREAMS[upstream].authentication === 'secret') {
    const problem = credentialProblem(rule.credentialArn, ctx);
    if (problem) problems.push(`upstream ${upstream} needs authentication, but ${problem}`);
  }
  const templates = ctx.view.registrySettings?.repositoryCreationTemplates;
  let coverage: string | undefined;
  if (!templates?.known) {
    coverage = whyUnknown(templates, 'repositoryCreationTemplates');
  } else {
    const template = coveringTemplate(templates.value, {
      appliedFor: 'PULL_THROUGH_CACHE',
      prefix: normalPrefix(prefix),
    });
    if (!template) {
      problems.push(
        `no repository creation template applying to PULL_THROUGH_CACHE covers prefix ${prefix}: its repositories are created with ECR's defaults`,
      );
    }
  }
  if (problems.length > 0) {
    return violation(`pull through cache rule ${prefix}: ${problems.join('; ')}`, false, {
      upstream: upstream ?? named,
      problems,
    });
  }
  if (coverage !== undefined) {
    return {
      status: 'not-visible',
      message: `pull through cache rule ${prefix}: whether a creation template covers it is not known (${coverage})`,
    };
  }
  return compliant(`pull through cache rule ${prefix} pulls from ${upstream} and is covered by a template`);
};

export const pullThroughCache = registryRule({
  id: 'ecr.pull-through-cache',
  resource: 'pull-through-cache-rule',
  severity: 'medium',
  mode: 'report',
  options: () => ({
    /** The upstream registries a pull through cache rule may pull from (default: every one ECR supports). */
    allowedUpstreams: z
      .array(z.enum(UPSTREAM_REGISTRIES as [UpstreamRegistry, ...UpstreamRegistry[]]))
      .min(1)
      .default([...UPSTREAM_REGISTRIES]),
  }),
  title: 'ECR pull through cache rules should pull only from allowed upstreams, with ECR-managed credentials',
  recommendation:
    'Delete pull through cache rules of upstreams that are not allowed, store upstream credentials in a Secrets Manager secret named ecr-pullthroughcache/… in the same account and Region, and create a repository creation template for the rule’s prefix.',
  documentationUrl: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html',
  reads: ['pull-through-cache-rules', 'repository-creation-templates'],
  summary:
    'the upstream is in `allowedUpstreams`; an upstream needing authentication has an `ecr-pullthroughcache/` secret of the same account and Region; a creation template covers the prefix',
  remediates: 'never: changing a rule changes what builds pull',
  evaluate: pullThroughCacheRule,
});

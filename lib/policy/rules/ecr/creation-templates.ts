/**
 * `ecr.creation-templates`: every repository-creation path in use (each pull through cache prefix, replication
 * into this registry, create-on-push) is covered by a compliant repository creation template. A template is
 * compliant when the repository it would create passes the repository rules in force (tag immutability,
 * encryption, lifecycle policy, repository policy): the rules themselves judge that repository.
 */
import * as z from 'zod';
import {
  CREATION_PATHS,
  parseArn,
  repositoryArnOf,
  ROOT_TEMPLATE_PREFIX,
  TEMPLATE_PREFIX,
  TEMPLATE_PREFIX_MAX,
  type AwsScope,
  type CreationPath,
} from '../../aws-facts';
import { serializeLifecyclePolicy } from '../../lifecycle/grammar';
import type { Finding } from '../../findings';
import type { Guardrails } from '../../guardrails';
import type { Repository } from '../../model';
import type { RepositoryCreationTemplate } from '../../registry-settings';
import type { TemplateRequest } from '../../writes';
import { registryRule, type PlanContext, type ProposedFix, type RegistrySubjects } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule, RuleContext, RuleOutcome } from '../types';
import { encryption } from './encryption';
import { defaultLifecyclePolicy, lifecyclePolicy } from './lifecycle-policy';
import { repositoryPolicy } from './repository-policy';
import { tagImmutability } from './tag-immutability';

type Subject = RegistrySubjects['repository-creation-template'];

/** The repository rules a template's repository must pass, and whether a template update can fix each. */
const REPOSITORY_RULES = [
  { rule: tagImmutability, field: 'imageTagMutability' },
  { rule: encryption, field: undefined },
  { rule: lifecyclePolicy, field: 'lifecyclePolicy' },
  { rule: repositoryPolicy, field: undefined },
] as const;
type TemplateRuleId = (typeof REPOSITORY_RULES)[number]['rule']['id'];

/** The repository ECR would create from `template` (a repository of its namespace, with no images yet). */
export function repositoryOfTemplate(template: RepositoryCreationTemplate, scope: AwsScope): Repository {
  const prefix = template.prefix.replace(/\/+$/, '');
  const repositoryName = prefix === ROOT_TEMPLATE_PREFIX ? 'repository' : `${prefix}/repository`;
  return {
    repositoryArn: repositoryArnOf(scope, repositoryName),
    registryId: scope.accountId,
    repositoryName,
    imageTagMutability: template.imageTagMutability ?? 'MUTABLE',
    ...(template.imageTagMutabilityExclusionFilters
      ? { imageTagMutabilityExclusionFilters: template.imageTagMutabilityExclusionFilters }
      : {}),
    encryptionConfiguration: template.encryptionConfiguration ?? { encryptionType: 'AES256' },
    ...(template.lifecyclePolicy ? { lifecyclePolicyText: template.lifecyclePolicy } : {}),
    ...(template.repositoryPolicy ? { repositoryPolicyText: template.repositoryPolicy } : {}),
    images: [],
  };
}

interface TemplateProblem {
  ruleId: TemplateRuleId | 'ecr.creation-templates';
  message: string;
  /** Whether updating the template's lifecycle policy or tag mutability (or its appliedFor) fixes it. */
  fixable: boolean;
  details?: Record<string, unknown>;
}

const inForce = (guardrails: Guardrails, id: TemplateRuleId) => guardrails.rules[id].mode !== 'off';

/** What the repository rules in force say about the repository the template would create. */
function judgeTemplate(template: RepositoryCreationTemplate, ctx: RuleContext): TemplateProblem[] {
  const repository = repositoryOfTemplate(template, ctx.view);
  const problems: TemplateProblem[] = [];
  for (const { rule, field } of REPOSITORY_RULES) {
    if (!inForce(ctx.guardrails, rule.id)) continue;
    const outcome = (rule.evaluate as RepositoryRule)(repository, ctx);
    if (outcome.status !== 'violation') continue;
    problems.push({
      ruleId: rule.id,
      message: `${rule.id}: ${outcome.message}`,
      fixable: field !== undefined && outcome.remediable === true,
      ...(outcome.details ? { details: outcome.details } : {}),
    });
  }
  const needsRole =
    template.encryptionConfiguration?.encryptionType === 'KMS' ||
    template.encryptionConfiguration?.encryptionType === 'KMS_DSSE' ||
    (template.resourceTags ?? []).length > 0;
  if (needsRole && !template.customRoleArn) {
    problems.push({
      ruleId: 'ecr.creation-templates',
      message:
        'it uses a KMS key or resource tags but has no customRoleArn: ECR needs that role to create repositories with them',
      fixable: false,
    });
  }
  return problems;
}

export const creationTemplatesRule = (subject: Subject, ctx: RuleContext): RuleOutcome => {
  const paths = (needs: Subject['misses']) => needs.map((n) => `${n.appliedFor} (${n.because})`).join('; ');
  const problems: TemplateProblem[] = subject.template ? judgeTemplate(subject.template, ctx) : [];
  if (subject.misses.length > 0) {
    problems.unshift({
      ruleId: 'ecr.creation-templates',
      message: subject.template
        ? `template ${subject.prefix} does not apply to ${paths(subject.misses)}`
        : `no repository creation template covers ${subject.prefix}: ${paths(subject.misses)}; ECR creates these repositories with its defaults (mutable tags, AES256, no lifecycle policy)`,
      fixable: true,
    });
  }
  const serves = subject.serves.length > 0 ? `; it serves ${paths(subject.serves)}` : '';
  if (problems.length === 0) {
    return compliant(
      `template ${subject.prefix} creates repositories that pass the repository rules in force${serves}`,
    );
  }
  const planned = subject.template
    ? undefined
    : desiredTemplate(
        subject.prefix,
        subject.misses.map((n) => n.appliedFor),
        ctx.guardrails,
      );
  const refusal = planned && 'refused' in planned ? `; not fixed automatically: ${planned.refused}` : '';
  const remediable = problems.every((p) => p.fixable) && refusal === '';
  return violation(
    `${subject.template ? `template ${subject.prefix} is weak — ` : ''}${problems.map((p) => p.message).join('; ')}${serves}${refusal}`,
    remediable,
    { problems: problems.map(({ ruleId, message }) => ({ ruleId, message })) },
  );
};

/** What a repository rule's own fix would write on the template's repository (its plans ignore the finding). */
function repositoryFix(
  rule: typeof lifecyclePolicy | typeof tagImmutability,
  repository: Repository,
  ctx: PlanContext,
): ProposedFix {
  const finding: Finding = {
    ruleId: rule.id,
    resourceType: rule.resourceType,
    resourceArn: repository.repositoryArn,
    status: 'violation',
    severity: rule.severity,
    message: '',
    remediable: true,
  };
  const plan = rule.remediation?.plan as
    ((r: Repository, f: Finding, c: PlanContext) => ProposedFix | undefined) | undefined;
  return plan?.(repository, finding, ctx) ?? { refused: `${rule.id} has no fix`, before: null, after: null };
}

/** The template buildwarden creates for a namespace no template covers, or why it cannot. */
function desiredTemplate(
  prefix: string,
  appliedFor: CreationPath[],
  guardrails: Guardrails,
): { request: TemplateRequest } | { refused: string } {
  if (prefix.length > TEMPLATE_PREFIX_MAX || !TEMPLATE_PREFIX.test(prefix)) {
    return { refused: `${prefix} is not a valid template prefix` };
  }
  const options = guardrails.rules['ecr.creation-templates'];
  const kms = inForce(guardrails, 'ecr.encryption');
  if (kms && !options.customRoleArn) {
    return {
      refused:
        'ecr.encryption is in force, so the template must use KMS, which needs a role for ECR to create repositories with: set rules.ecr.creation-templates.customRoleArn',
    };
  }
  const keys = guardrails.rules['ecr.encryption'].kmsKeyArns;
  const allowed = guardrails.rules['ecr.tag-immutability'].allowedModes as string[];
  return {
    request: {
      prefix,
      description: 'buildwarden: settings of the repositories ECR creates',
      appliedFor: [...new Set(appliedFor)].sort(),
      imageTagMutability:
        !inForce(guardrails, 'ecr.tag-immutability') || allowed.includes('IMMUTABLE')
          ? 'IMMUTABLE'
          : 'MUTABLE',
      lifecyclePolicy: serializeLifecyclePolicy(defaultLifecyclePolicy(guardrails)),
      encryptionConfiguration: kms
        ? { encryptionType: 'KMS', ...(keys[0] ? { kmsKey: keys[0] } : {}) }
        : { encryptionType: 'AES256' },
      ...(kms && options.customRoleArn ? { customRoleArn: options.customRoleArn } : {}),
    },
  };
}

/** The template as an update request: every field it has, as read. */
function requestOf(template: RepositoryCreationTemplate): TemplateRequest {
  const { prefix, description, encryptionConfiguration, resourceTags, imageTagMutability } = template;
  const {
    imageTagMutabilityExclusionFilters,
    repositoryPolicy,
    lifecyclePolicy: lifecycle,
    customRoleArn,
  } = template;
  return {
    prefix,
    appliedFor: (template.appliedFor ?? []).filter((p): p is CreationPath =>
      (CREATION_PATHS as readonly string[]).includes(p),
    ),
    ...(description !== undefined ? { description } : {}),
    ...(encryptionConfiguration ? { encryptionConfiguration } : {}),
    ...(resourceTags ? { resourceTags } : {}),
    ...(imageTagMutability ? { imageTagMutability } : {}),
    ...(imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters } : {}),
    ...(repositoryPolicy !== undefined ? { repositoryPolicy } : {}),
    ...(lifecycle !== undefined ? { lifecyclePolicy: lifecycle } : {}),
    ...(customRoleArn !== undefined ? { customRoleArn } : {}),
  };
}

/**
 * A missing template: created with the guardrails' settings. A weak one: its lifecycle policy and tag
 * mutability fixed as the repository rules fix a repository's, and the creation paths it misses added to its
 * `appliedFor` — it only affects repositories created later; encryption is never changed.
 */
function planTemplate(subject: Subject, finding: Finding, ctx: PlanContext): ProposedFix {
  const { template } = subject;
  if (!template) {
    const desired = desiredTemplate(
      subject.prefix,
      subject.misses.map((n) => n.appliedFor),
      ctx.guardrails,
    );
    if ('refused' in desired) return { refused: desired.refused, before: null, after: null };
    return {
      write: { type: 'CreateRepositoryCreationTemplate', ...desired.request },
      before: null,
      after: JSON.stringify(desired.request),
    };
  }
  const before = requestOf(template);
  const after: TemplateRequest = {
    ...before,
    appliedFor: [...new Set([...before.appliedFor, ...subject.misses.map((n) => n.appliedFor)])].sort(),
  };
  const scope = parseArn(subject.arn) ?? { partition: 'aws', region: '', accountId: '' };
  const repository = repositoryOfTemplate(template, scope);
  const problems = ((finding.details?.problems ?? []) as { ruleId: string }[]).map((p) => p.ruleId);
  if (problems.includes('ecr.lifecycle-policy')) {
    const fix = repositoryFix(lifecyclePolicy, repository, ctx);
    if (fix.write?.type !== 'PutLifecyclePolicy') {
      return {
        refused: `lifecycle policy: ${fix.refused ?? 'no fix'}`,
        before: JSON.stringify(before),
        after: null,
      };
    }
    after.lifecyclePolicy = fix.write.lifecyclePolicyText;
  }
  if (problems.includes('ecr.tag-immutability')) {
    const fix = repositoryFix(tagImmutability, repository, ctx);
    if (fix.write?.type !== 'PutImageTagMutability') {
      return {
        refused: `tag mutability: ${fix.refused ?? 'no fix'}`,
        before: JSON.stringify(before),
        after: null,
      };
    }
    after.imageTagMutability = fix.write.imageTagMutability;
    delete after.imageTagMutabilityExclusionFilters;
  }
  const [b, a] = [JSON.stringify(before), JSON.stringify(after)];
  if (a === b) return { refused: 'nothing a template update can fix', before: b, after: b };
  return { write: { type: 'UpdateRepositoryCreationTemplate', ...after }, before: b, after: a };
}

const roleArn = () => z.string().regex(/^arn:[a-z-]+:iam::\d{12}:role\/.+$/, 'expected an IAM role ARN');

export const creationTemplates = registryRule({
  id: 'ecr.creation-templates',
  resource: 'repository-creation-template',
  severity: 'medium',
  mode: 'report',
  options: () => ({
    /**
     * The role ECR assumes to create repositories from a template buildwarden creates; needed when the
     * template uses KMS (ecr.encryption in force) or resource tags.
     */
    customRoleArn: roleArn().optional(),
  }),
  title:
    'ECR repository creation templates should cover every creation path and create compliant repositories',
  recommendation:
    'Create a repository creation template for each pull through cache prefix (and ROOT when replication or create-on-push creates repositories) whose settings pass the repository rules: immutable tags, KMS encryption (with a custom role), a lifecycle policy, a limited repository policy.',
  documentationUrl:
    'https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html',
  reads: ['repository-creation-templates', 'pull-through-cache-rules', 'registry-policy', 'organization'],
  summary:
    'every repository-creation path in use has a template, and the repository it would create passes the repository rules in force',
  remediates:
    "creates a missing template (`customRoleArn` when KMS is required); updates a weak one's lifecycle policy, tag mutability and `appliedFor`",
  evaluate: creationTemplatesRule,
  remediation: {
    writes: ['CreateRepositoryCreationTemplate', 'UpdateRepositoryCreationTemplate'],
    plan: planTemplate,
  },
});

/**
 * The registry-level settings of a private registry, in the shape of the ECR API answers they come from:
 * the replication configuration (DescribeRegistry), the registry policy (GetRegistryPolicy), the pull through
 * cache rules (DescribePullThroughCacheRules) and the repository creation templates
 * (DescribeRepositoryCreationTemplates). These APIs return no ARNs: buildwarden names each of these resources
 * with its own identifier, `arn:<partition>:ecr:<region>:<account>:<resource>[/<name>]`.
 *
 * Which repository-creation paths are in use, and which template covers each one, is decided here too (pure).
 */
import * as z from 'zod';
import { lazy } from './lazy';
import {
  buildArn,
  CREATION_PATHS,
  PULL_THROUGH_CACHE_UPSTREAMS,
  ROOT_TEMPLATE_PREFIX,
  UPSTREAM_REGISTRIES,
  type AwsScope,
  type CreationPath,
  type UpstreamRegistry,
} from './aws-facts';
import { actionMatches } from './iam/match';
import { isoDate, tagSchema, TAG_MUTABILITY } from './model';
import { statementsOf } from './rules/ecr/repository-policy-statements';

// ---------------------------------------------------------------------------------------------------------
// The API shapes (loose: AWS adds fields)

/** DescribeRegistry `.replicationConfiguration` (PutReplicationConfiguration takes the same object). */
export const replicationConfigurationSchema = lazy(() =>
  z.looseObject({
    rules: z.array(
      z.looseObject({
        destinations: z.array(z.looseObject({ region: z.string().min(1), registryId: z.string().min(1) })),
        repositoryFilters: z.array(z.looseObject({ filter: z.string(), filterType: z.string() })).optional(),
      }),
    ),
  }),
);
export type ReplicationConfiguration = z.infer<ReturnType<typeof replicationConfigurationSchema>>;
export type ReplicationRule = ReplicationConfiguration['rules'][number];

/** DescribePullThroughCacheRules `.pullThroughCacheRules` item. */
export const pullThroughCacheRuleSchema = lazy(() =>
  z.looseObject({
    ecrRepositoryPrefix: z.string().min(1),
    upstreamRegistryUrl: z.string().optional(),
    createdAt: isoDate().optional(),
    registryId: z.string().optional(),
    credentialArn: z.string().optional(),
    customRoleArn: z.string().optional(),
    upstreamRepositoryPrefix: z.string().optional(),
    /** Kept as text: an upstream AWS adds later is reported as not allowed, never a parse error. */
    upstreamRegistry: z.string().optional(),
    updatedAt: isoDate().optional(),
  }),
);
export type PullThroughCacheRule = z.infer<ReturnType<typeof pullThroughCacheRuleSchema>>;

/** DescribeRepositoryCreationTemplates `.repositoryCreationTemplates` item. */
export const repositoryCreationTemplateSchema = lazy(() =>
  z.looseObject({
    prefix: z.string().min(1),
    description: z.string().optional(),
    encryptionConfiguration: z
      .looseObject({ encryptionType: z.enum(['AES256', 'KMS', 'KMS_DSSE']), kmsKey: z.string().optional() })
      .optional(),
    resourceTags: z.array(tagSchema()).optional(),
    imageTagMutability: z.enum(TAG_MUTABILITY).optional(),
    imageTagMutabilityExclusionFilters: z
      .array(z.looseObject({ filterType: z.string(), filter: z.string() }))
      .optional(),
    repositoryPolicy: z.string().optional(),
    lifecyclePolicy: z.string().optional(),
    /** PULL_THROUGH_CACHE | REPLICATION | CREATE_ON_PUSH; kept as text for values AWS adds later. */
    appliedFor: z.array(z.string()).optional(),
    customRoleArn: z.string().optional(),
    createdAt: isoDate().optional(),
    updatedAt: isoDate().optional(),
  }),
);
export type RepositoryCreationTemplate = z.infer<ReturnType<typeof repositoryCreationTemplateSchema>>;

/** The read calls of the registry settings, in the order the readers make them. */
export const REGISTRY_SETTING_CALLS = [
  'ecr:DescribeRegistry',
  'ecr:GetRegistryPolicy',
  'ecr:DescribePullThroughCacheRules',
  'ecr:DescribeRepositoryCreationTemplates',
] as const;
export type RegistrySettingCall = (typeof REGISTRY_SETTING_CALLS)[number];

// ---------------------------------------------------------------------------------------------------------
// What the rules see

/** A registry setting as read: its value, or why it is not known (not captured, or its read failed). */
export type Known<T> = { known: true; value: T } | { known: false; reason: string };

export const known = <T>(value: T): Known<T> => ({ known: true, value });
export const unknown = <T>(reason: string): Known<T> => ({ known: false, reason });

/**
 * The registry settings of an account view. A member is absent when it was not read (no active rule needed
 * it); a rule that needs it then says so (not-visible), never "none".
 */
export interface RegistrySettings {
  replicationConfiguration?: Known<ReplicationConfiguration>;
  /** null: the registry has no policy (GetRegistryPolicy: RegistryPolicyNotFoundException). */
  registryPolicyText?: Known<string | null>;
  pullThroughCacheRules?: Known<PullThroughCacheRule[]>;
  repositoryCreationTemplates?: Known<RepositoryCreationTemplate[]>;
}
export type RegistrySettingName = keyof RegistrySettings;

/** The read call of each setting (its key under `ecr` in a snapshot is its name), and what it is called. */
export const REGISTRY_SETTINGS: Record<
  RegistrySettingName,
  { call: RegistrySettingCall; what: string; plural: boolean }
> = {
  replicationConfiguration: {
    call: 'ecr:DescribeRegistry',
    what: 'replication configuration',
    plural: false,
  },
  registryPolicyText: { call: 'ecr:GetRegistryPolicy', what: 'registry policy', plural: false },
  pullThroughCacheRules: {
    call: 'ecr:DescribePullThroughCacheRules',
    what: 'pull through cache rules',
    plural: true,
  },
  repositoryCreationTemplates: {
    call: 'ecr:DescribeRepositoryCreationTemplates',
    what: 'repository creation templates',
    plural: true,
  },
};

/** Why a setting is not known (or that it was not read); '' when it is known. */
export function whyUnknown(setting: Known<unknown> | undefined, name: RegistrySettingName): string {
  const { what, plural } = REGISTRY_SETTINGS[name];
  if (!setting) return `the ${what} ${plural ? 'were' : 'was'} not read`;
  return setting.known ? '' : `the ${what} could not be read (${setting.reason})`;
}

// ---------------------------------------------------------------------------------------------------------
// Resources and their identifiers

/** The registry-level resources the registry rules judge. */
export const REGISTRY_RESOURCES = [
  'replication-configuration',
  'registry-policy',
  'pull-through-cache-rule',
  'repository-creation-template',
] as const;
export type RegistryResource = (typeof REGISTRY_RESOURCES)[number];

/**
 * buildwarden's identifier of a registry-level resource (these APIs return no ARN):
 * `arn:<partition>:ecr:<region>:<account>:replication-configuration`, `…:registry-policy`,
 * `…:pull-through-cache-rule/<ecrRepositoryPrefix>`, `…:repository-creation-template/<prefix>`. `*` as the
 * name stands for all of them, when they could not be listed.
 */
export function registryResourceArn(scope: AwsScope, resource: RegistryResource, name?: string): string {
  return buildArn({
    ...scope,
    service: 'ecr',
    resource: name === undefined ? resource : `${resource}/${name}`,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Pull through cache upstreams

/**
 * The upstream registry of a rule: its `upstreamRegistry`, or the one whose documented URL its
 * `upstreamRegistryUrl` is (older rules name only the URL). Undefined when neither is recognised.
 */
export function upstreamOf(rule: PullThroughCacheRule): UpstreamRegistry | undefined {
  const named = rule.upstreamRegistry;
  if (named !== undefined)
    return (UPSTREAM_REGISTRIES as string[]).includes(named) ? (named as UpstreamRegistry) : undefined;
  const url = rule.upstreamRegistryUrl?.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!url) return undefined;
  return UPSTREAM_REGISTRIES.find((u) => PULL_THROUGH_CACHE_UPSTREAMS[u].host?.test(url));
}

// ---------------------------------------------------------------------------------------------------------
// Repository-creation paths and the templates that cover them

/** A repository-creation path in use, and the namespace whose repositories it creates. */
export interface CreationNeed {
  appliedFor: CreationPath;
  /** The namespace (`ROOT`: any repository). */
  prefix: string;
  /** Why the path is in use, for messages (`pull through cache rule docker-hub`). */
  because: string;
}

/** A prefix without the `/` ECR assumes at its end. */
export const normalPrefix = (prefix: string): string =>
  prefix === ROOT_TEMPLATE_PREFIX ? prefix : prefix.replace(/\/+$/, '');

/** Whether a template of `templatePrefix` covers repositories in the namespace `prefix` (ROOT covers all). */
export function prefixCovers(templatePrefix: string, prefix: string): boolean {
  const t = normalPrefix(templatePrefix);
  const p = normalPrefix(prefix);
  if (t === ROOT_TEMPLATE_PREFIX) return true;
  return p !== ROOT_TEMPLATE_PREFIX && (p === t || p.startsWith(`${t}/`));
}

export function appliesTo(template: RepositoryCreationTemplate, path: CreationPath): boolean {
  return (template.appliedFor ?? []).includes(path);
}

/**
 * The template ECR applies to repositories it creates for `need`: the most specific template applying to that
 * path whose prefix covers the namespace, else the ROOT template applying to it; undefined when none does.
 */
export function coveringTemplate(
  templates: readonly RepositoryCreationTemplate[],
  need: Pick<CreationNeed, 'appliedFor' | 'prefix'>,
): RepositoryCreationTemplate | undefined {
  const candidates = templates.filter(
    (t) => appliesTo(t, need.appliedFor) && prefixCovers(t.prefix, need.prefix),
  );
  const specific = candidates
    .filter((t) => normalPrefix(t.prefix) !== ROOT_TEMPLATE_PREFIX)
    .sort((a, b) => normalPrefix(b.prefix).length - normalPrefix(a.prefix).length);
  return specific[0] ?? candidates.find((t) => normalPrefix(t.prefix) === ROOT_TEMPLATE_PREFIX);
}

/** The registry policy actions by which another account replicates into, or creates repositories in, it. */
export const REGISTRY_POLICY_ACTIONS = [
  'ecr:ReplicateImage',
  'ecr:CreateRepository',
  'ecr:BatchImportUpstreamImage',
] as const;

function asStrings(value: unknown): string[] | undefined {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.every((v): v is string => typeof v === 'string') ? list : undefined;
}

/**
 * Whether a statement may grant one of `actions`: its Action matches one of them, or its NotAction leaves one
 * of them out. A statement whose action elements cannot be read counts (fail closed).
 */
export function statementMayGrant(statement: Record<string, unknown>, actions: readonly string[]): boolean {
  if (statement.NotAction !== undefined) {
    const excluded = asStrings(statement.NotAction);
    return !excluded || actions.some((a) => !excluded.some((p) => actionMatches(p, a)));
  }
  const granted = asStrings(statement.Action);
  return !granted || actions.some((a) => granted.some((p) => actionMatches(p, a)));
}

/**
 * The namespaces a registry policy lets other accounts replicate into: `undefined` when it lets none, the
 * namespaces when every Allow statement granting `ecr:ReplicateImage` names only `repository/<namespace>/*`
 * resources, ROOT otherwise (any repository). An unreadable policy counts as letting any (fail closed).
 */
export function replicationNamespaces(policyText: string | null): string[] | undefined {
  if (policyText === null || policyText.trim() === '') return undefined;
  let document: unknown;
  try {
    document = JSON.parse(policyText);
  } catch {
    return [ROOT_TEMPLATE_PREFIX];
  }
  const granting = statementsOf(document).filter(
    (s) => s.Effect === 'Allow' && statementMayGrant(s, ['ecr:ReplicateImage']),
  );
  if (granting.length === 0) return undefined;
  const namespaces = new Set<string>();
  for (const statement of granting) {
    const resources = statement.NotResource !== undefined ? undefined : asStrings(statement.Resource);
    if (!resources || resources.length === 0) return [ROOT_TEMPLATE_PREFIX];
    for (const resource of resources) {
      const namespace = /:repository\/([a-z0-9][a-z0-9._/-]*)\/\*$/.exec(resource)?.[1];
      if (!namespace || /[*?$]/.test(namespace)) return [ROOT_TEMPLATE_PREFIX];
      namespaces.add(namespace);
    }
  }
  return [...namespaces].sort();
}

/**
 * The repository-creation paths in use: each pull through cache rule's prefix (PULL_THROUGH_CACHE); and
 * REPLICATION when the registry policy lets other accounts replicate into the registry (the namespaces it
 * names, else ROOT) or a template applies to REPLICATION (then ROOT: replication from the account's other
 * Regions can bring any repository name). CREATE_ON_PUSH creates repositories only where a template applies
 * to it, so its templates cover it by themselves. `unknown` says which of these could not be determined.
 */
export function creationNeeds(settings: RegistrySettings): { needs: CreationNeed[]; unknown: string[] } {
  const needs: CreationNeed[] = [];
  const unknownParts: string[] = [];
  const rules = settings.pullThroughCacheRules;
  if (rules?.known) {
    for (const rule of rules.value) {
      needs.push({
        appliedFor: 'PULL_THROUGH_CACHE',
        prefix: normalPrefix(rule.ecrRepositoryPrefix),
        because: `pull through cache rule ${rule.ecrRepositoryPrefix}`,
      });
    }
  } else {
    unknownParts.push(whyUnknown(rules, 'pullThroughCacheRules'));
  }
  const templates = settings.repositoryCreationTemplates;
  const replicationTemplates = templates?.known
    ? templates.value.filter((t) => appliesTo(t, 'REPLICATION')).map((t) => t.prefix)
    : [];
  const policy = settings.registryPolicyText;
  const namespaces = policy?.known ? replicationNamespaces(policy.value) : undefined;
  if (replicationTemplates.length > 0) {
    needs.push({
      appliedFor: 'REPLICATION',
      prefix: ROOT_TEMPLATE_PREFIX,
      because: `replication (template ${replicationTemplates.join(', ')} applies to REPLICATION)`,
    });
  } else if (namespaces) {
    for (const prefix of namespaces) {
      needs.push({
        appliedFor: 'REPLICATION',
        prefix,
        because: 'replication into this registry, which the registry policy allows',
      });
    }
  } else if (!policy?.known) {
    unknownParts.push(whyUnknown(policy, 'registryPolicyText'));
  }
  return { needs: dedupe(needs), unknown: unknownParts };
}

function dedupe(needs: CreationNeed[]): CreationNeed[] {
  const seen = new Map<string, CreationNeed>();
  for (const need of needs) {
    const key = `${need.appliedFor} ${need.prefix}`;
    if (!seen.has(key)) seen.set(key, need);
  }
  return [...seen.values()];
}

export { CREATION_PATHS };

// ---------------------------------------------------------------------------------------------------------
// Change events

/**
 * The registry-level resources a change of `resource` may affect, whose rules a change event judges again:
 * the registry policy and the pull through cache rules decide which creation paths are in use (templates);
 * templates decide whether a cache rule's prefix is covered.
 */
export const AFFECTED_BY: Record<RegistryResource, readonly RegistryResource[]> = {
  'replication-configuration': ['replication-configuration'],
  'registry-policy': ['registry-policy', 'repository-creation-template'],
  'pull-through-cache-rule': ['pull-through-cache-rule', 'repository-creation-template'],
  'repository-creation-template': ['repository-creation-template', 'pull-through-cache-rule'],
};

/**
 * Whether a subject is one a change naming `prefix` may have affected: the cache rule of that prefix, the
 * template at that prefix or serving (or missing) a path of it; with no prefix, every subject.
 */
export function concernsPrefix(
  subject:
    | { resource: 'pull-through-cache-rule'; rule: PullThroughCacheRule }
    | {
        resource: 'repository-creation-template';
        prefix: string;
        serves: CreationNeed[];
        misses: CreationNeed[];
      }
    | { resource: 'replication-configuration' | 'registry-policy' },
  prefix: string | undefined,
): boolean {
  if (prefix === undefined) return true;
  if (subject.resource === 'pull-through-cache-rule') {
    return prefixCovers(prefix, subject.rule.ecrRepositoryPrefix);
  }
  if (subject.resource === 'repository-creation-template') {
    return (
      normalPrefix(subject.prefix) === prefix ||
      [...subject.serves, ...subject.misses].some((need) => normalPrefix(need.prefix) === prefix)
    );
  }
  return true;
}

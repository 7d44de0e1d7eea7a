/**
 * What a guardrail rule is. Each rule is one module exporting one definition, and rules/index.ts lists them:
 * its id and the resource it judges, its default mode and severity, its options, the account data it needs,
 * how it judges one resource and, when it has a safe fix, how it plans the fix and which writes the fix may
 * make. The guardrails schema, the audit's reads, the change handler's choice of rules, remediation, the
 * change handler's IAM grant and the README's rule table are all derived from the definitions.
 *
 * A rule module writes `evaluate` and `plan` as typed functions (`const x: RepositoryRule = …`, or a function
 * declaration with parameter and return types), not as untyped arrows in the definition that read
 * `ctx.guardrails`: the guardrails type is derived from the registry, so TypeScript would have to infer such
 * an arrow from the guardrails while deriving the guardrails from it.
 */
import * as z from 'zod';
import type { Finding, ResourceType, Severity } from '../findings';
import { SEVERITIES } from '../findings';
import type { Guardrails } from '../guardrails';
import type { Project, RegistryScanningConfiguration, Repository, Role } from '../model';
import type {
  CreationNeed,
  PullThroughCacheRule,
  RegistryResource,
  ReplicationConfiguration,
  RepositoryCreationTemplate,
} from '../registry-settings';
import type { RemediationWrite, WriteType } from '../writes';
import type { RuleContext, RuleOutcome } from './types';

export const MODES = ['off', 'report', 'remediate'] as const;
export type Mode = (typeof MODES)[number];

/**
 * The account data a rule needs beyond the resource it judges. The audit reads each one only when an active
 * rule needs it:
 * - `registry-scanning`: the registry scanning configuration;
 * - `organization`: the account's own AWS Organizations organization;
 * - `repository-details`: a repository's lifecycle policy and repository policy. They are read for every
 *   repository anyway (its tags, read with them, carry exemptions); a rule that needs them is `not-visible`
 *   on a repository whose details could not be read;
 * - `repository-images`: the images of the repositories that have a lifecycle policy;
 * - `projects`: the CodeBuild projects;
 * - `iam`: the account's roles and managed policies (read only when there are projects);
 * - `replication-configuration`, `registry-policy`, `pull-through-cache-rules`, `repository-creation-templates`:
 *   the registry-level settings, one read each per registry (DescribeRegistry, GetRegistryPolicy, and the
 *   paged DescribePullThroughCacheRules and DescribeRepositoryCreationTemplates).
 */
export const READS = [
  'registry-scanning',
  'organization',
  'repository-details',
  'repository-images',
  'projects',
  'iam',
  'replication-configuration',
  'registry-policy',
  'pull-through-cache-rules',
  'repository-creation-templates',
] as const;
export type Read = (typeof READS)[number];

/**
 * What a rule judges: one repository, one project, a project's service role, or one registry-level resource
 * (its `resource`: REGISTRY_RESOURCE_TYPES).
 */
export const SCOPE_RESOURCE_TYPES = {
  repository: 'AWS::ECR::Repository',
  project: 'AWS::CodeBuild::Project',
  'service-role': 'AWS::IAM::Role',
} as const satisfies Record<string, ResourceType>;
export type Scope = keyof typeof SCOPE_RESOURCE_TYPES | 'registry';

/**
 * The registry-level resources a `registry` rule judges (buildwarden identifiers: registry-settings.ts), and
 * the resource type of their findings.
 */
export const REGISTRY_RESOURCE_TYPES = {
  'replication-configuration': 'AWS::ECR::ReplicationConfiguration',
  'registry-policy': 'AWS::ECR::RegistryPolicy',
  'pull-through-cache-rule': 'AWS::ECR::PullThroughCacheRule',
  'repository-creation-template': 'AWS::ECR::RepositoryCreationTemplate',
} as const satisfies Record<RegistryResource, ResourceType>;

/**
 * How a service-role rule meets the projects (the project → role → repository join in evaluate.ts): once per
 * role from the role itself (`role`), once per role with every project using it (`projects`), or once per
 * role and target repository of its image-building projects (`target-repository`). A role's findings come
 * out in this order, and in registry order within one join.
 */
export const ROLE_JOINS = ['role', 'projects', 'target-repository'] as const;
export type RoleJoin = (typeof ROLE_JOINS)[number];

export interface RoleSubject {
  role: Role;
  /** The projects whose service role it is (for `target-repository`: those pushing to that repository). */
  projects: readonly Project[];
  /** The first managed policy of the role (attached, or the boundary) that could not be read, as an outcome. */
  unreadablePolicy?: RuleOutcome;
}
export interface RoleProjectsSubject extends RoleSubject {
  /** The repositories the role's image-building projects push to, where known. */
  targetRepositoryArns: readonly string[];
}
export interface RoleTargetSubject extends RoleSubject {
  repositoryArn: string;
  /** The repository, when the account view holds it. */
  repository?: Repository;
}
export interface RoleSubjects {
  role: RoleSubject;
  projects: RoleProjectsSubject;
  'target-repository': RoleTargetSubject;
}

/** What a registry rule judges, by resource: the resource as read, with its identifier. */
export interface RegistrySubjects {
  'replication-configuration': {
    resource: 'replication-configuration';
    arn: string;
    /** `rules: []` when the registry replicates nothing. */
    configuration: ReplicationConfiguration;
  };
  'registry-policy': {
    resource: 'registry-policy';
    arn: string;
    /** null: the registry has no policy. */
    policyText: string | null;
  };
  'pull-through-cache-rule': { resource: 'pull-through-cache-rule'; arn: string; rule: PullThroughCacheRule };
  'repository-creation-template': {
    resource: 'repository-creation-template';
    arn: string;
    /** The template's prefix, or the namespace a missing template should have. */
    prefix: string;
    /** Absent: no template of this prefix exists. */
    template?: RepositoryCreationTemplate;
    /** The creation paths in use that this template covers (the most specific one applying to each). */
    serves: CreationNeed[];
    /** The creation paths in use for this namespace that no template covers. */
    misses: CreationNeed[];
  };
}
export type RegistrySubject = RegistrySubjects[RegistryResource];

/** A rule's answer to one violation: the write that fixes it, or why the fix is refused. */
export interface ProposedFix {
  write?: RemediationWrite;
  refused?: string;
  before: unknown;
  after: unknown;
}

export interface PlanContext {
  guardrails: Guardrails;
  now: Date;
  registryScanning?: RegistryScanningConfiguration;
}

export interface Remediation<R> {
  /** Every write type `plan` may emit: the change handler is granted exactly their IAM actions. */
  writes: readonly WriteType[];
  /** The fix for one violation on the resource's current state (refused, or nothing, when none is safe). */
  plan: (resource: R, finding: Finding, ctx: PlanContext) => ProposedFix | readonly ProposedFix[] | undefined;
  /**
   * The fix addresses only part of what the rule reports, so its findings are not `remediable`; it is planned
   * for every violation when the rule's mode is `remediate`.
   */
  partial?: boolean;
}

/** The options every rule has; a rule's own options follow them. */
type CommonOptions = {
  mode: z.ZodDefault<z.ZodEnum<{ [M in Mode]: M }>>;
  severity: z.ZodDefault<z.ZodEnum<{ [S in Severity]: S }>>;
  dryRun: z.ZodDefault<z.ZodBoolean>;
};
type OptionsObject<Shape extends z.ZodRawShape> = z.ZodObject<
  { -readonly [K in keyof (CommonOptions & Shape)]: (CommonOptions & Shape)[K] },
  z.core.$strict
>;
export type RuleConfigSchema<Shape extends z.ZodRawShape> = z.ZodPrefault<OptionsObject<Shape>>;

/** What every definition holds. */
interface RuleCore<Id extends string, Config extends z.ZodType> {
  id: Id;
  /** Default severity of its findings. */
  severity: Severity;
  /** Default mode. `remediate` is allowed only for a rule with a remediation. */
  mode: Mode;
  /** The rule's part of the guardrails schema (`rules.<id>`): mode, severity, dryRun and its own options. */
  config: Config;
  reads: readonly Read[];
  /** What the rule requires, one line (the README's rule table). */
  summary: string;
  /** What its remediation does, one line; for a rule without one, why not. */
  remediates: string;
  /** What the rule checks, worded so it reads for a passed finding too (Security Hub's Title; ≤ 256). */
  title: string;
  /** What to do about a violation (reports, Security Hub's Remediation.Recommendation.Text; ≤ 512). */
  recommendation: string;
  /** The AWS documentation of what the rule checks. */
  documentationUrl: string;
}

/** A rule judging `Subject`s of one scope; its remediation writes to the scope's resource. */
interface ScopedRuleDefinition<
  S extends keyof typeof SCOPE_RESOURCE_TYPES,
  Subject,
  Resource,
  Id extends string,
  Config extends z.ZodType,
> extends RuleCore<Id, Config> {
  scope: S;
  resourceType: (typeof SCOPE_RESOURCE_TYPES)[S];
  evaluate: (subject: Subject, ctx: RuleContext) => RuleOutcome;
  remediation?: Remediation<Resource>;
}

export type RepositoryRuleDefinition<
  Id extends string = string,
  Config extends z.ZodType = z.ZodType,
> = ScopedRuleDefinition<'repository', Repository, Repository, Id, Config>;

export type ProjectRuleDefinition<
  Id extends string = string,
  Config extends z.ZodType = z.ZodType,
> = ScopedRuleDefinition<'project', Project, Project, Id, Config>;

export interface ServiceRoleRuleDefinition<
  Id extends string = string,
  Config extends z.ZodType = z.ZodType,
  J extends RoleJoin = RoleJoin,
> extends ScopedRuleDefinition<'service-role', RoleSubjects[J], Role, Id, Config> {
  join: J;
}

/** A rule over one registry-level resource of kind `K` (a registry's replication, policy, cache rule, template). */
export interface RegistryRuleDefinition<
  Id extends string = string,
  Config extends z.ZodType = z.ZodType,
  K extends RegistryResource = RegistryResource,
> extends RuleCore<Id, Config> {
  scope: 'registry';
  resource: K;
  resourceType: (typeof REGISTRY_RESOURCE_TYPES)[K];
  evaluate: (subject: RegistrySubjects[K], ctx: RuleContext) => RuleOutcome;
  remediation?: Remediation<RegistrySubjects[K]>;
}

/** Any registry rule, narrowed by its `resource`. */
export type AnyRegistryRule<Id extends string = string> = {
  [K in RegistryResource]: RegistryRuleDefinition<Id, z.ZodType, K>;
}[RegistryResource];

/** Any service-role rule, narrowed by its `join`. */
export type AnyServiceRoleRule<Id extends string = string> = {
  [J in RoleJoin]: ServiceRoleRuleDefinition<Id, z.ZodType, J>;
}[RoleJoin];
export type AnyRuleDefinition<Id extends string = string> =
  RepositoryRuleDefinition<Id> | ProjectRuleDefinition<Id> | AnyServiceRoleRule<Id> | AnyRegistryRule<Id>;

/** What a rule module writes: the definition without what the helpers derive, plus its own options. */
type Spec<D, Shape extends z.ZodRawShape> = Omit<D, 'scope' | 'resourceType' | 'config'> & {
  /**
   * The rule's own options (zod), after the common `mode`, `severity` and `dryRun`: a function, called when the
   * rule's schema is first built, so that loading the rule builds no schema.
   */
  options?: () => Shape;
  /** Checks across the rule's options (paths relative to the rule's key). */
  refineOptions?: (schema: OptionsObject<Shape>) => OptionsObject<Shape>;
};
type NoOptions = Record<never, z.ZodType>;

/** The definition of a spec: its options folded into `config`, its scope and resource type added. */
function define<
  S extends Scope,
  T extends ResourceType,
  D extends RuleCore<string, z.ZodType>,
  Shape extends z.ZodRawShape,
>(
  scope: S,
  resourceType: T,
  spec: Spec<D, Shape> & { remediation?: unknown },
): Omit<Spec<D, Shape>, 'options' | 'refineOptions'> & {
  scope: S;
  resourceType: T;
  config: RuleConfigSchema<Shape>;
} {
  const { options, refineOptions, ...rest } = spec;
  const build = (): RuleConfigSchema<Shape> => {
    const mode = z.enum(MODES).default(spec.mode);
    const object = z.strictObject({
      mode: spec.remediation
        ? mode
        : mode.refine((m) => m !== 'remediate', {
            message: `${spec.id} has no safe automatic fix: use off or report`,
          }),
      severity: z.enum(SEVERITIES).default(spec.severity),
      dryRun: z.boolean().default(false),
      ...((options?.() ?? {}) as Shape),
    }) as OptionsObject<Shape>;
    const refined = refineOptions ? refineOptions(object) : object;
    // Every option has a default, so an absent rule key means "all defaults".
    return refined.prefault({} as z.input<OptionsObject<Shape>>);
  };
  // Built when first read: only what validates a guardrails file reads it (the functions get their guardrails
  // validated at package time), so their cold starts do not build every rule's schema.
  let config: RuleConfigSchema<Shape> | undefined;
  return {
    ...rest,
    scope,
    resourceType,
    get config() {
      return (config ??= build());
    },
  };
}

/** A rule over one ECR repository (a DescribeRepositories item with its details). */
export function repositoryRule<Id extends string, Shape extends z.ZodRawShape = NoOptions>(
  spec: Spec<RepositoryRuleDefinition<Id>, Shape>,
): RepositoryRuleDefinition<Id, RuleConfigSchema<Shape>> {
  return define<'repository', 'AWS::ECR::Repository', RepositoryRuleDefinition<Id>, Shape>(
    'repository',
    SCOPE_RESOURCE_TYPES.repository,
    spec,
  );
}

/** A rule over one CodeBuild project (a BatchGetProjects item). */
export function projectRule<Id extends string, Shape extends z.ZodRawShape = NoOptions>(
  spec: Spec<ProjectRuleDefinition<Id>, Shape>,
): ProjectRuleDefinition<Id, RuleConfigSchema<Shape>> {
  return define<'project', 'AWS::CodeBuild::Project', ProjectRuleDefinition<Id>, Shape>(
    'project',
    SCOPE_RESOURCE_TYPES.project,
    spec,
  );
}

/** A rule over a project's service role, joined with its projects as `join` says. */
export function serviceRoleRule<
  Id extends string,
  J extends RoleJoin,
  Shape extends z.ZodRawShape = NoOptions,
>(
  spec: Spec<ServiceRoleRuleDefinition<Id, z.ZodType, J>, Shape>,
): ServiceRoleRuleDefinition<Id, RuleConfigSchema<Shape>, J> {
  return define<'service-role', 'AWS::IAM::Role', ServiceRoleRuleDefinition<Id, z.ZodType, J>, Shape>(
    'service-role',
    SCOPE_RESOURCE_TYPES['service-role'],
    spec,
  );
}

/** A rule over one registry-level resource of kind `resource` (registry-settings.ts). */
export function registryRule<
  Id extends string,
  K extends RegistryResource,
  Shape extends z.ZodRawShape = NoOptions,
>(
  spec: Spec<RegistryRuleDefinition<Id, z.ZodType, K>, Shape>,
): RegistryRuleDefinition<Id, RuleConfigSchema<Shape>, K> {
  return define<
    'registry',
    (typeof REGISTRY_RESOURCE_TYPES)[K],
    RegistryRuleDefinition<Id, z.ZodType, K>,
    Shape
  >('registry', REGISTRY_RESOURCE_TYPES[spec.resource], spec);
}

// Option types several rules share (built when a rule's options are).
export const positiveInt = () =>
  z
    .number({ error: 'expected positive integer' })
    .int('expected positive integer')
    .positive('expected positive integer');
/** Name patterns (`*` matches any run of characters). */
export const namePatterns = () => z.array(z.string().min(1)).default([]);

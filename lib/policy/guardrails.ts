/**
 * The guardrails file (`guardrails.yml`): which rules run, in which mode, with which options, and what is
 * exempt. One schema; every field has a default, so an absent file means "all defaults".
 */
import * as z from 'zod';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Severity } from './findings';
import { SEVERITIES } from './findings';
import { InvalidInputError, formatIssues } from './validation';
import { valueNestingProblem, yamlNestingProblem } from './nesting';
import { scanGateSchema } from './scan/scan-gate-config';

export const MODES = ['off', 'report', 'remediate'] as const;
export type Mode = (typeof MODES)[number];

const mode = (fallback: Mode) => z.enum(MODES).default(fallback);
const reportOnlyMode = (rule: string) =>
  z
    .enum(MODES)
    .default('report')
    .refine((m) => m !== 'remediate', { message: `${rule} has no safe automatic fix: use off or report` });
const severity = (fallback: Severity) => z.enum(SEVERITIES).default(fallback);
const positiveInt = z
  .number({ error: 'expected positive integer' })
  .int('expected positive integer')
  .positive('expected positive integer');
const namePatterns = z.array(z.string().min(1)).default([]);
const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const organizationId = z.string().regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id (o-…)');

const common = { dryRun: z.boolean().default(false) };

const ruleSchemas = {
  'ecr.lifecycle-policy': z
    .strictObject({
      mode: mode('remediate'),
      severity: severity('medium'),
      ...common,
      /** Untagged images must expire within this many days of push … */
      maxUntaggedAgeDays: positiveInt.default(14),
      /** … or the policy keeps at most this many untagged images (off when absent). */
      maxUntaggedCount: positiveInt.optional(),
      /** Optional cap on tagged images: the policy must expire tagged images by count or by age. */
      taggedImages: z
        .strictObject({ maxCount: positiveInt.optional(), maxAgeDays: positiveInt.optional() })
        .optional(),
      /** Remediation refuses a policy that would expire more than this share of a repository's images at once. */
      maxExpireShare: z.number().min(0).max(1).default(0.25),
    })
    .prefault({}),
  'ecr.scan-on-push': z
    .strictObject({
      mode: mode('remediate'),
      severity: severity('high'),
      ...common,
      /** Where remediation turns scanning on: the repository's scanOnPush, or a registry scanning rule. */
      level: z.enum(['repository', 'registry']).default('repository'),
    })
    .prefault({}),
  'ecr.tag-immutability': z
    .strictObject({
      mode: mode('remediate'),
      severity: severity('medium'),
      ...common,
      allowedModes: z
        .array(z.enum(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE', 'MUTABLE_WITH_EXCLUSION']))
        .min(1)
        .default(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION']),
    })
    .prefault({}),
  'ecr.encryption': z
    .strictObject({
      mode: reportOnlyMode('ecr.encryption'),
      severity: severity('medium'),
      ...common,
      /** When non-empty, the repository's KMS key must be one of these ARNs. */
      kmsKeyArns: z.array(z.string().startsWith('arn:', 'expected a KMS key ARN')).default([]),
    })
    .prefault({}),
  'ecr.repository-policy': z
    .strictObject({
      mode: mode('remediate'),
      severity: severity('critical'),
      ...common,
      /** Other accounts that may be granted access (the repository's own account always may). */
      allowedAccounts: z.array(accountId).default([]),
      /**
       * Organization ids (`o-…`) besides the account's own whose organization conditions make a `*` principal
       * acceptable.
       */
      allowedOrganizations: z.array(organizationId).default([]),
      /** Organizations never acceptable, not even the own one: remediation removes statements limited to them. */
      deniedOrganizations: z.array(organizationId).default([]),
      /** Remediation also removes statements limited to organizations neither own nor allowed (default: report). */
      removeUnknownOrganizations: z.boolean().default(false),
    })
    .refine((o) => !o.allowedOrganizations.some((id) => o.deniedOrganizations.includes(id)), {
      message: 'an organization cannot be both in allowedOrganizations and deniedOrganizations',
      path: ['deniedOrganizations'],
    })
    .prefault({}),
  'codebuild.privileged-mode': z
    .strictObject({
      mode: reportOnlyMode('codebuild.privileged-mode'),
      severity: severity('high'),
      ...common,
      /** Project-name patterns (`*` wildcard) allowed to run privileged, besides the docker-build tag. */
      dockerBuildProjects: namePatterns,
    })
    .prefault({}),
  'codebuild.plaintext-credentials': z
    .strictObject({
      mode: reportOnlyMode('codebuild.plaintext-credentials'),
      severity: severity('critical'),
      ...common,
    })
    .prefault({}),
  'codebuild.logging': z
    .strictObject({ mode: reportOnlyMode('codebuild.logging'), severity: severity('medium'), ...common })
    .prefault({}),
  'codebuild.artifact-encryption': z
    .strictObject({
      mode: reportOnlyMode('codebuild.artifact-encryption'),
      severity: severity('medium'),
      ...common,
    })
    .prefault({}),
  'codebuild.source-credentials': z
    .strictObject({
      mode: reportOnlyMode('codebuild.source-credentials'),
      severity: severity('critical'),
      ...common,
    })
    .prefault({}),
  /** Remediation makes a PUBLIC_READ project PRIVATE: opt in, since it takes public build pages away. */
  'codebuild.project-visibility': z
    .strictObject({ mode: mode('report'), severity: severity('high'), ...common })
    .prefault({}),
  'codebuild.role-can-push': z
    .strictObject({
      mode: mode('remediate'),
      severity: severity('high'),
      ...common,
      /** Also require ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (`docker build --cache-from` pulls). */
      requireCachePull: z.boolean().default(false),
    })
    .prefault({}),
  'codebuild.role-least-privilege': z
    .strictObject({
      mode: mode('report'),
      severity: severity('high'),
      ...common,
      /** Managed policies treated as administrator-class (in addition to the built-in list). */
      forbiddenManagedPolicies: z.array(z.string()).default([]),
    })
    .prefault({}),
  'codebuild.role-trust-policy': z
    .strictObject({
      mode: reportOnlyMode('codebuild.role-trust-policy'),
      severity: severity('high'),
      ...common,
    })
    .prefault({}),
} as const;

export type RuleId = keyof typeof ruleSchemas;
export const RULE_IDS = Object.keys(ruleSchemas) as RuleId[];
export type RuleConfig<R extends RuleId> = z.infer<(typeof ruleSchemas)[R]>;

const exemptionSchema = z.strictObject({
  /** Repository-name patterns (`*` matches any run of characters, including `/`). */
  repositories: namePatterns,
  /** CodeBuild project-name patterns. */
  projects: namePatterns,
  /** Rule ids this exemption covers; `*` for all. */
  rules: z
    .array(z.union([z.literal('*'), z.enum(RULE_IDS as [RuleId, ...RuleId[]])]))
    .min(1)
    .default(['*']),
  reason: z.string().min(1, 'say why the exemption exists'),
});
export type Exemption = z.infer<typeof exemptionSchema>;

/** `{name}` in a provisioning namespace stands for the CodeBuild project's name. */
export const PROJECT_NAME_PLACEHOLDER = '{name}';

/**
 * A namespace prefix: characters the service allows in names, plus `{name}`. It must end with `/`, or
 * `/ci/app` would also cover another project's `/ci/app-prod/…`; wildcards are never allowed.
 */
const namespacePrefix = (what: string, allowed: { pattern: RegExp; text: string }, rooted: boolean) =>
  z.string({ error: `expected a ${what} prefix` }).superRefine((prefix, ctx) => {
    const problems: string[] = [];
    if (/[*?]/.test(prefix)) problems.push('must not contain a wildcard (* or ?)');
    else if (!allowed.pattern.test(prefix.replaceAll(PROJECT_NAME_PLACEHOLDER, 'x'))) {
      problems.push(`may hold only ${allowed.text} and {name}`);
    }
    if (rooted && !prefix.startsWith('/')) {
      problems.push('must start with / (parameters in a hierarchy are named from the root)');
    }
    if (!prefix.endsWith('/'))
      problems.push('must end with /, so that it names a whole level of the hierarchy');
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
  });
/** SSM parameter names: a-zA-Z0-9_.- and / between levels (PutParameter, Name). */
const PARAMETER_CHARACTERS = { pattern: /^[A-Za-z0-9_.\-/]+$/, text: 'letters, digits and _ . - /' };
/** Secrets Manager names: letters, digits and /_+=.@- (CreateSecret, Name). */
const SECRET_CHARACTERS = { pattern: /^[A-Za-z0-9/_+=.@-]+$/, text: 'letters, digits and / _ + = . @ -' };

const sourceBucket = z.string({ error: 'expected an S3 bucket name' }).superRefine((bucket, ctx) => {
  const problems: string[] = [];
  if (/[*?]/.test(bucket)) problems.push('must not contain a wildcard (* or ?)');
  else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket.replaceAll(PROJECT_NAME_PLACEHOLDER, 'x'))) {
    problems.push('expected an S3 bucket name: 3 to 63 of a-z 0-9 . - (and {name})');
  }
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
});

/**
 * What a provisioning request may reference, per project (`{name}` = the CodeBuild project name): SSM
 * parameters under `parameterPrefixes`, Secrets Manager secrets under `secretPrefixes`, S3 sources in
 * `sourceBuckets`. The audit holds every project to the same namespaces.
 */
const provisioningSchema = z
  .strictObject({
    parameterPrefixes: z
      .array(namespacePrefix('parameter name', PARAMETER_CHARACTERS, true))
      .default(['/ci/{name}/']),
    secretPrefixes: z.array(namespacePrefix('secret name', SECRET_CHARACTERS, false)).default(['ci/{name}/']),
    sourceBuckets: z.array(sourceBucket).default([]),
  })
  .prefault({});
export type ProvisioningConfig = z.infer<typeof provisioningSchema>;

export const guardrailsSchema = z.strictObject({
  version: z.literal(1).default(1),
  /** Global dry run: remediation plans are computed, logged and notified, but nothing is written. */
  dryRun: z.boolean().default(false),
  rules: z.strictObject(ruleSchemas).prefault({}),
  exemptions: z.array(exemptionSchema).default([]),
  /** Image scan gate (verdict thresholds, CVE allowlist) and build notifications. */
  scanGate: scanGateSchema,
  targetRepository: z
    .strictObject({
      /** Environment variables of a CodeBuild project that name the ECR repository it pushes to. */
      environmentVariables: z
        .array(z.string().min(1))
        .default([
          'IMAGE_REPO_NAME',
          'REPOSITORY_URI',
          'ECR_REPOSITORY',
          'ECR_REPOSITORY_URI',
          'IMAGE_REPOSITORY',
        ]),
    })
    .prefault({}),
  /** The namespaces provisioned (and audited) projects may read parameters, secrets and sources from. */
  provisioning: provisioningSchema,
});
export type Guardrails = z.infer<typeof guardrailsSchema>;

export const defaultGuardrails = (): Guardrails => guardrailsSchema.parse({});

/** Parses guardrails YAML (JSON is YAML too). An empty text means all defaults. */
export function parseGuardrails(text: string, source = 'guardrails'): Guardrails {
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) throw new InvalidInputError(source, [tooDeep]);
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new InvalidInputError(source, [
      `not valid YAML${where}: ${(error as Error).message.split('\n')[0]}`,
    ]);
  }
  const deepValue = valueNestingProblem(raw);
  if (deepValue) throw new InvalidInputError(source, [deepValue]);
  const result = guardrailsSchema.safeParse(raw);
  if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
  return result.data;
}

export function isRuleId(id: string): id is RuleId {
  return (RULE_IDS as string[]).includes(id);
}

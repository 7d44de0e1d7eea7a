/**
 * The guardrails file (`guardrails.yml`): which rules run, in which mode, with which options, and what is
 * exempt. One schema; every field has a default, so an absent file means "all defaults".
 */
import * as z from 'zod';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PROJECT_NAME_PLACEHOLDER } from './references';
import { namePatterns } from './rules/definition';
import { RULE_IDS, ruleSchemas, type RuleId, type RuleSchemas } from './rules/index';
import { InvalidInputError, formatIssues } from './validation';
import { valueNestingProblem, yamlNestingProblem } from './nesting';
import { scanGateSchema } from './scan/scan-gate-config';

export { MODES, type Mode } from './rules/definition';
export { isRuleId, RULE_IDS, type RuleId } from './rules/index';

/** Each rule's options (mode, severity, dryRun and its own), as parsed. */
export type RuleConfig<R extends RuleId> = z.infer<RuleSchemas[R]>;

const exemptionSchema = z.strictObject({
  /** Repository-name patterns (`*` matches any run of characters, including `/`). */
  repositories: namePatterns(),
  /** CodeBuild project-name patterns. */
  projects: namePatterns(),
  /** Rule ids this exemption covers; `*` for all. */
  rules: z
    .array(z.union([z.literal('*'), z.enum(RULE_IDS as [RuleId, ...RuleId[]])]))
    .min(1)
    .default(['*']),
  reason: z.string().min(1, 'say why the exemption exists'),
});
export type Exemption = z.infer<typeof exemptionSchema>;

export { PROJECT_NAME_PLACEHOLDER };

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
  /** One key per rule of the registry (lib/policy/rules/index.ts), each with its own options. */
  rules: z.strictObject(ruleSchemas()).prefault({}),
  exemptions: z.array(exemptionSchema).default([]),
  /** Image scan gate (verdict thresholds, CVE allowlist) and build notifications. */
  scanGate: scanGateSchema(),
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

/**
 * The settings of buildwarden, for the Lambda functions and the CLI alike: one zod schema over the environment,
 * one variable name per setting (all `BUILDWARDEN_*`). Parsed once — at a function's cold start, when a CLI
 * command starts — and a missing or malformed value fails fast with a message naming the variable. Which
 * settings are required depends on the front door: each function requires what its ports need
 * (lib/runtime/compose.ts), the CLI only what a command uses.
 *
 * The only module that reads `process.env`; the environment the CLI is given is parsed with the same schema
 * (lib/cli/inputs.ts `settingsOf`).
 */
import * as z from 'zod';
import { ConfigError } from './errors';
import { formatIssues } from './policy/validation';
import { DEFAULT_REMEDIABLE_ROLES } from './policy/remediable-roles';

export { ConfigError } from './errors';

/** An ARN, or unset; an empty value (a template parameter left blank) means unset. */
const optionalArn = (service: 'kms' | 'iam', message: string) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), message)
      .optional(),
  );

/** A comma-separated list of values matching `pattern`; empty or absent means unset. */
const commaList = (pattern: RegExp, message: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .transform((v) => v.split(',').map((item) => item.trim()))
      .pipe(z.array(z.string().regex(pattern, message)).min(1))
      .optional(),
  );

/** `true` or `false`; absent means false. */
const booleanSetting = z
  .enum(['true', 'false'], { error: 'expected true or false' })
  .default('false')
  .transform((v) => v === 'true');

export const settingsSchema = z.object({
  /** The deployment stage (`prod`, `local` …). */
  BUILDWARDEN_STAGE: z.string().min(1).optional(),
  /** Where notifications go. */
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'expected an SNS topic ARN')
    .optional(),
  /**
   * The guardrails file (absent means built-in defaults): a packaged function runs with it compiled into its
   * bundle at package time (lib/runtime/lambda.ts); for the CLI the default of `--config` (then
   * ./guardrails.yml, then the defaults).
   */
  BUILDWARDEN_CONFIG: z.string().min(1).optional(),
  /** How many worst offenders the audit summary names. */
  BUILDWARDEN_AUDIT_TOP_OFFENDERS: z.coerce.number().int().min(1).max(100).default(10),
  /** Per-repository reads of an audit in flight at once (the CLI's `--concurrency` default). */
  BUILDWARDEN_AUDIT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  /** DynamoDB tables of the scan gate: verdicts by image, builds by repository, idempotency records. */
  BUILDWARDEN_VERDICTS_TABLE: z.string().min(3).optional(),
  BUILDWARDEN_BUILDS_TABLE: z.string().min(3).optional(),
  BUILDWARDEN_IDEMPOTENCY_TABLE: z.string().min(3).optional(),
  /** The findings state table (one record per account, region, resource and rule). */
  BUILDWARDEN_FINDINGS_TABLE: z.string().min(3).optional(),
  /** Findings also go to AWS Security Hub (the template's `securityHub`). */
  BUILDWARDEN_SECURITY_HUB: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** Days a resolved finding is kept in the findings table (the template's `findingsRetentionDays`). */
  BUILDWARDEN_FINDINGS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** The bucket the scheduled audit keeps its HTML report and JSON findings in (the stack's `ReportsBucket`). */
  BUILDWARDEN_REPORTS_BUCKET: z
    .string()
    .regex(
      /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'expected an S3 bucket name (3 to 63 of a-z, 0-9, dot and hyphen)',
    )
    .optional(),
  /** The functions emit CloudWatch metrics (embedded metric format, namespace `buildwarden`). */
  BUILDWARDEN_METRICS: booleanSetting,
  /** The functions trace with AWS X-Ray (Powertools Tracer, every SDK client captured). */
  BUILDWARDEN_TRACING: booleanSetting,
  /** Provisioning: the KMS key of new repositories (default: AWS managed) and the build roles' boundary. */
  BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: optionalArn('kms', 'expected a KMS key ARN'),
  BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN: optionalArn('iam', 'expected an IAM policy ARN'),
  /**
   * Organization mode (README "Organizations"): the regions guarded in every member account (comma-separated;
   * default the deployment's own region), the member role the hub assumes there and its external id, and the
   * accounts (comma-separated ids; default every ACTIVE account of the organization) or organizational units
   * (comma-separated `ou-…`/`r-…`; default the whole organization) to guard.
   */
  BUILDWARDEN_REGIONS: commaList(
    /^[a-z]{2}(?:-[a-z]+)+-\d+$/,
    'expected AWS regions such as us-east-1,eu-west-1',
  ),
  BUILDWARDEN_MEMBER_ROLE_NAME: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, 'expected an IAM role name')
    .default('buildwarden-member'),
  // Empty (the template parameter left blank) means unset: organization mode is off.
  BUILDWARDEN_MEMBER_EXTERNAL_ID: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, 'expected an external id (2 to 1224 of A-Za-z0-9+=,.@:/-_)')
      .optional(),
  ),
  BUILDWARDEN_ACCOUNTS: commaList(/^\d{12}$/, 'expected 12-digit account ids separated by commas'),
  BUILDWARDEN_ORGANIZATIONAL_UNITS: commaList(
    /^(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
    'expected organizational unit ids (ou-…) or the root id (r-…) separated by commas',
  ),
  /**
   * The organization-wide audit (README "Organizations"): the bucket its runs are kept in (findings as JSON lines
   * under `runs/<run id>/`), how many account-regions it audits at once (the Map state's MaxConcurrency), the
   * share of account-regions whose audit may fail before the run fails (ToleratedFailurePercentage), and how
   * many pages of repositories (1,000 each) one invocation of the shard function reads before it hands the rest
   * to the next.
   */
  BUILDWARDEN_RUNS_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
    .optional(),
  BUILDWARDEN_ORG_AUDIT_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(10),
  BUILDWARDEN_ORG_AUDIT_TOLERATED_FAILURE_PERCENTAGE: z.coerce.number().int().min(0).max(100).default(10),
  BUILDWARDEN_ORG_AUDIT_PAGE_BUDGET: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * Stage `local` only: the functions run against the SIMULATED sandbox account kept in this snapshot file, or,
   * for the organization audit's functions, against the fleet in this directory (lib/sandbox/fleet.ts).
   */
  BUILDWARDEN_SANDBOX_FILE: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  /**
   * The roles the change handler may write to: path and name after `role/` of the role ARN, `*` any run of
   * characters (the template's `remediableRoles`, also the resource of its IAM grant). Checked in code too.
   */
  BUILDWARDEN_REMEDIABLE_ROLES: z
    .string()
    .min(1, 'expected a role path/name pattern such as service-role/*')
    .default(DEFAULT_REMEDIABLE_ROLES),
  /**
   * Customer managed policies the change handler may detach from build roles besides the administrator-class
   * AWS managed ones (the template's `detachablePolicyArns`, also the `iam:PolicyARN` condition of its grant).
   * Checked in code too: a detach the grant would deny is refused and reported instead of retried.
   */
  BUILDWARDEN_DETACHABLE_POLICY_ARNS: commaList(
    /^arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy\/.+$/,
    'expected IAM policy ARNs separated by commas',
  ),
  /** The change handler's own role: events it causes are skipped so remediation never loops. */
  BUILDWARDEN_REMEDIATION_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'expected an IAM role ARN')
    .optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof Settings;
/** Every setting, in the schema's order. */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];

/** Every Lambda function needs these, whatever its ports. */
export const LAMBDA_SETTINGS: readonly SettingName[] = ['BUILDWARDEN_STAGE'];

/** The process environment; read here and nowhere else. */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}

/** Unset settings among `names`, as problems naming each. */
function missing(values: Record<string, unknown>, names: readonly SettingName[]): string[] {
  return [...new Set(names)]
    .filter((name) => values[name] === undefined)
    .map((name) => `${name}: required by this function`);
}

/**
 * The settings in `env`, every problem named at once: a malformed value, and any of `required` that is unset.
 */
export function parseSettings(
  env: Record<string, string | undefined>,
  required: readonly SettingName[] = [],
): Settings {
  const parsed = settingsSchema.safeParse(env);
  const problems = [...missing(env, required), ...(parsed.success ? [] : formatIssues(parsed.error))];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Fails, naming each, when any of `names` is unset. */
export function requireSettings(settings: Settings, names: readonly SettingName[]): void {
  const problems = missing(settings, names);
  if (problems.length > 0) throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
}

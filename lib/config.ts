/**
 * Runtime configuration of the Lambda functions: parsed once at cold start from the environment with one
 * schema. A missing or malformed value fails fast with a message naming the variable.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { DomainError } from './errors';
import { defaultGuardrails, parseGuardrails, type Guardrails } from './policy/guardrails';
import { formatIssues, InvalidInputError } from './policy/validation';
import { DEFAULT_REMEDIABLE_ROLES } from './policy/remediable-roles';

/** An ARN, or unset; an empty value (a template parameter left blank) means unset. */
const optionalArn = (service: 'kms' | 'iam', message: string) =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), message)
      .optional(),
  );

const envSchema = z.object({
  STAGE: z.string().min(1),
  NOTIFICATION_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'expected an SNS topic ARN'),
  /** Path of the guardrails file inside the deployment package; absent means built-in defaults. */
  GUARDRAILS_FILE: z.string().min(1).optional(),
  /** How many worst offenders the audit summary names. */
  AUDIT_TOP_OFFENDERS: z.coerce.number().int().min(1).max(100).default(10),
  AUDIT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  /** DynamoDB tables of the scan gate: verdicts by image, builds by repository, idempotency records. */
  VERDICTS_TABLE: z.string().min(3).optional(),
  BUILDS_TABLE: z.string().min(3).optional(),
  IDEMPOTENCY_TABLE: z.string().min(3).optional(),
  /** Provisioning: the KMS key of new repositories (default: AWS managed) and the build roles' boundary. */
  PROVISIONING_KMS_KEY_ARN: optionalArn('kms', 'expected a KMS key ARN'),
  PROVISIONING_PERMISSIONS_BOUNDARY_ARN: optionalArn('iam', 'expected an IAM policy ARN'),
  /** Stage `local` only: run against the SIMULATED sandbox account kept in this snapshot file. */
  BUILDWARDEN_SANDBOX_FILE: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  /**
   * The roles the change handler may write to: path and name after `role/` of the role ARN, `*` any run of
   * characters (the template's `remediableRoles`, also the resource of its IAM grant). Checked in code too.
   */
  REMEDIABLE_ROLES: z
    .string()
    .min(1, 'expected a role path/name pattern such as service-role/*')
    .default(DEFAULT_REMEDIABLE_ROLES),
  /** The change handler's own role: events it causes are skipped so remediation never loops. */
  REMEDIATION_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'expected an IAM role ARN')
    .optional(),
});
export type RuntimeConfig = z.infer<typeof envSchema> & { guardrails: Guardrails };

/** The deployment's configuration is wrong: a defect of the deployment, never the caller's (kind internal). */
export class ConfigError extends DomainError {
  readonly kind = 'internal';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid environment: ${formatIssues(parsed.error).join('; ')}`);
  }
  let guardrails = defaultGuardrails();
  if (parsed.data.GUARDRAILS_FILE) {
    let text: string;
    try {
      text = readFileSync(parsed.data.GUARDRAILS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `GUARDRAILS_FILE: cannot read ${parsed.data.GUARDRAILS_FILE}: ${(error as Error).message}`,
      );
    }
    try {
      guardrails = parseGuardrails(text, `GUARDRAILS_FILE (${parsed.data.GUARDRAILS_FILE})`);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new ConfigError(error.message);
      throw error;
    }
  }
  return { ...parsed.data, guardrails };
}

/** A variable only some functions need; its absence is a configuration error naming it. */
export function required<K extends 'VERDICTS_TABLE' | 'BUILDS_TABLE' | 'IDEMPOTENCY_TABLE'>(
  config: RuntimeConfig,
  key: K,
): string {
  const value = config[key];
  if (!value) throw new ConfigError(`${key} is required by this function`);
  return value;
}

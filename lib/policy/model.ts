/**
 * The resources buildwarden reasons about, in the shape and field names of the AWS API responses they come
 * from (see snapshot-format: a snapshot is a bag of these). Schemas are loose: unknown fields are kept and
 * ignored, so a snapshot assembled from AWS CLI output parses as-is. Dates are ISO 8601 strings.
 */
import * as z from 'zod';
import { lazy } from './lazy';

/**
 * A date: ISO 8601 text, or epoch seconds as the AWS CLI prints some of them (BatchGetProjects `created`);
 * numbers are normalised to ISO text.
 */
export const isoDate = lazy(() =>
  z.union([
    z.iso.datetime({ offset: true }),
    z.iso.datetime({ local: true }),
    z.iso.date(),
    z
      .number()
      .nonnegative()
      .transform((seconds) => new Date(seconds * 1000).toISOString()),
  ]),
);

export const tagSchema = lazy(() => z.looseObject({ Key: z.string(), Value: z.string() }));

/**
 * Why an object's details could not be read: the call that failed (an IAM action name such as
 * `ecr:GetRepositoryPolicy`) and its error (name and message), or the call whose answer buildwarden could not
 * use and the field at fault. An object carrying it is judged `not-visible`, never compliant. `object` keeps
 * what the call returned when it was not usable (never for projects, whose raw answer may hold secrets).
 */
export const unreadableSchema = lazy(() =>
  z.looseObject({
    call: z.string().optional(),
    error: z.string(),
    object: z.unknown().optional(),
  }),
);
export type Unreadable = z.infer<ReturnType<typeof unreadableSchema>>;

/** `call: error`, or the error alone when the call is not known. */
export function describeUnreadable(unreadable: Unreadable): string {
  return unreadable.call ? `${unreadable.call}: ${unreadable.error}` : unreadable.error;
}
export type Tag = z.infer<ReturnType<typeof tagSchema>>;

export const TAG_MUTABILITY = [
  'MUTABLE',
  'IMMUTABLE',
  'MUTABLE_WITH_EXCLUSION',
  'IMMUTABLE_WITH_EXCLUSION',
] as const;
export type TagMutability = (typeof TAG_MUTABILITY)[number];

export const imageDetailSchema = lazy(() =>
  z.looseObject({
    registryId: z.string().optional(),
    repositoryName: z.string().optional(),
    imageDigest: z.string(),
    imageTags: z.array(z.string()).optional(),
    imageSizeInBytes: z.number().optional(),
    imagePushedAt: isoDate().optional(),
    lastRecordedPullTime: isoDate().optional(),
    imageStatus: z.string().optional(),
    lastArchivedAt: isoDate().optional(),
    lastActivatedAt: isoDate().optional(),
    imageManifestMediaType: z.string().optional(),
    artifactMediaType: z.string().optional(),
  }),
);
export type ImageDetail = z.infer<ReturnType<typeof imageDetailSchema>>;

export const repositorySchema = lazy(() =>
  z.looseObject({
    repositoryArn: z.string().min(1),
    registryId: z.string().optional(),
    repositoryName: z.string().min(1),
    repositoryUri: z.string().optional(),
    createdAt: isoDate().optional(),
    imageTagMutability: z.enum(TAG_MUTABILITY).optional(),
    imageTagMutabilityExclusionFilters: z
      .array(z.looseObject({ filterType: z.string(), filter: z.string() }))
      .optional(),
    imageScanningConfiguration: z.looseObject({ scanOnPush: z.boolean().optional() }).optional(),
    encryptionConfiguration: z
      .looseObject({ encryptionType: z.enum(['AES256', 'KMS', 'KMS_DSSE']), kmsKey: z.string().optional() })
      .optional(),
    // Joined from other read APIs.
    lifecyclePolicyText: z.string().optional(),
    repositoryPolicyText: z.string().optional(),
    tags: z.array(tagSchema()).optional(),
    images: z.array(imageDetailSchema()).optional(),
    scanFindings: z.record(z.string(), z.looseObject({})).optional(),
    unreadable: unreadableSchema().optional(),
  }),
);
export type Repository = z.infer<ReturnType<typeof repositorySchema>>;

export const SCAN_FREQUENCY = ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN', 'MANUAL'] as const;
export const registryScanningConfigurationSchema = lazy(() =>
  z.looseObject({
    scanType: z.enum(['BASIC', 'ENHANCED']),
    rules: z
      .array(
        z.looseObject({
          scanFrequency: z.enum(SCAN_FREQUENCY),
          repositoryFilters: z.array(
            z.looseObject({ filter: z.string(), filterType: z.literal('WILDCARD') }),
          ),
        }),
      )
      .default([]),
  }),
);
export type RegistryScanningConfiguration = z.infer<ReturnType<typeof registryScanningConfigurationSchema>>;

const environmentVariableSchema = lazy(() =>
  z.looseObject({
    name: z.string(),
    value: z.string(),
    type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']).optional(),
  }),
);
const artifactsSchema = lazy(() =>
  z.looseObject({
    type: z.string(),
    location: z.string().optional(),
    encryptionDisabled: z.boolean().optional(),
    artifactIdentifier: z.string().optional(),
  }),
);
const sourceSchema = lazy(() =>
  z.looseObject({
    type: z.string(),
    location: z.string().optional(),
    buildspec: z.string().optional(),
    sourceIdentifier: z.string().optional(),
  }),
);

/** BatchGetProjects .projects item. */
export const projectSchema = lazy(() =>
  z.looseObject({
    name: z.string().min(1),
    arn: z.string().min(1),
    description: z.string().optional(),
    source: sourceSchema().optional(),
    secondarySources: z.array(sourceSchema()).optional(),
    artifacts: artifactsSchema().optional(),
    secondaryArtifacts: z.array(artifactsSchema()).optional(),
    environment: z
      .looseObject({
        type: z.string().optional(),
        image: z.string().optional(),
        computeType: z.string().optional(),
        privilegedMode: z.boolean().optional(),
        environmentVariables: z.array(environmentVariableSchema()).optional(),
      })
      .optional(),
    serviceRole: z.string().optional(),
    encryptionKey: z.string().optional(),
    tags: z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional(),
    logsConfig: z
      .looseObject({
        cloudWatchLogs: z
          .looseObject({ status: z.enum(['ENABLED', 'DISABLED']), groupName: z.string().optional() })
          .optional(),
        s3Logs: z
          .looseObject({ status: z.enum(['ENABLED', 'DISABLED']), location: z.string().optional() })
          .optional(),
      })
      .optional(),
    created: isoDate().optional(),
    lastModified: isoDate().optional(),
    /** PUBLIC_READ | PRIVATE; absent means PRIVATE. Kept as text so a value AWS adds later is not a parse error. */
    projectVisibility: z.string().optional(),
    publicProjectAlias: z.string().optional(),
    unreadable: unreadableSchema().optional(),
  }),
);
export type Project = z.infer<ReturnType<typeof projectSchema>>;

/** BatchGetBuilds .builds item (only what buildwarden reads is typed; the rest is kept). */
export const buildSchema = lazy(() =>
  z.looseObject({
    id: z.string(),
    arn: z.string().optional(),
    buildNumber: z.number().optional(),
    projectName: z.string().optional(),
    buildStatus: z.string().optional(),
    startTime: isoDate().optional(),
    endTime: isoDate().optional(),
    sourceVersion: z.string().optional(),
    resolvedSourceVersion: z.string().optional(),
    initiator: z.string().optional(),
  }),
);
export type Build = z.infer<ReturnType<typeof buildSchema>>;

/**
 * An IAM policy document. The raw IAM API returns it URL-encoded; GetAccountAuthorizationDetails through the
 * CLI returns it decoded. Both are accepted and normalised to an object by `policyDocumentSchema()`.
 */
export const policyDocumentSchema = lazy(() =>
  z.preprocess(
    (value, ctx) => {
      if (typeof value !== 'string') return value;
      let text = value;
      if (!text.trimStart().startsWith('{')) {
        try {
          text = decodeURIComponent(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'policy document is neither JSON nor URL-encoded JSON' });
          return z.NEVER;
        }
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'policy document is not valid JSON' });
        return z.NEVER;
      }
    },
    z.looseObject({ Version: z.string().optional(), Statement: z.unknown() }),
  ),
);
export type PolicyDocument = z.infer<ReturnType<typeof policyDocumentSchema>>;

export const roleSchema = lazy(() =>
  z.looseObject({
    RoleName: z.string().min(1),
    Arn: z.string().min(1),
    Path: z.string().optional(),
    RoleId: z.string().optional(),
    AssumeRolePolicyDocument: policyDocumentSchema().optional(),
    RolePolicyList: z
      .array(z.looseObject({ PolicyName: z.string(), PolicyDocument: policyDocumentSchema() }))
      .default([]),
    AttachedManagedPolicies: z
      .array(z.looseObject({ PolicyName: z.string(), PolicyArn: z.string() }))
      .default([]),
    PermissionsBoundary: z
      .looseObject({ PermissionsBoundaryType: z.string().optional(), PermissionsBoundaryArn: z.string() })
      .optional(),
    Tags: z.array(tagSchema()).optional(),
    unreadable: unreadableSchema().optional(),
  }),
);
export type Role = z.infer<ReturnType<typeof roleSchema>>;

export const managedPolicySchema = lazy(() =>
  z.looseObject({
    PolicyName: z.string(),
    Arn: z.string(),
    DefaultVersionId: z.string().optional(),
    PolicyVersionList: z
      .array(
        z.looseObject({
          Document: policyDocumentSchema(),
          VersionId: z.string().optional(),
          IsDefaultVersion: z.boolean().optional(),
        }),
      )
      .default([]),
    unreadable: unreadableSchema().optional(),
  }),
);
export type ManagedPolicy = z.infer<ReturnType<typeof managedPolicySchema>>;

/** The default version's document of a managed policy, or undefined when no version is visible. */
export function defaultPolicyDocument(policy: ManagedPolicy): PolicyDocument | undefined {
  const byFlag = policy.PolicyVersionList.find((v) => v.IsDefaultVersion);
  const byId = policy.PolicyVersionList.find((v) => v.VersionId === policy.DefaultVersionId);
  return (byFlag ?? byId ?? (policy.PolicyVersionList.length === 1 ? policy.PolicyVersionList[0] : undefined))
    ?.Document;
}

/** One line naming each field at fault, for a message or a table cell (never a multi-line validation dump). */
export function oneLineProblems(error: z.ZodError, limit = 300): string {
  const text = error.issues
    .map((issue) => {
      const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
      return `${path.replace(/^\./, '') || '(root)'}: ${issue.message}`;
    })
    .join('; ')
    .replace(/\s+/g, ' ');
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function stringField(value: unknown, key: string): string | undefined {
  const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/**
 * A live-read role that does not fit the schema, kept by name and ARN with the problem (and the raw answer):
 * the role rules then say not-visible for it instead of the whole read failing.
 */
export function unreadableRole(raw: unknown, call: string, error: z.ZodError): Role {
  return {
    RoleName: stringField(raw, 'RoleName') ?? '',
    Arn: stringField(raw, 'Arn') ?? '',
    RolePolicyList: [],
    AttachedManagedPolicies: [],
    unreadable: { call, error: oneLineProblems(error), object: raw },
  };
}

/** A live-read managed policy that does not fit the schema: roles using it are not-visible, naming the field. */
export function unreadableManagedPolicy(raw: unknown, call: string, error: z.ZodError): ManagedPolicy {
  const name = stringField(raw, 'PolicyName');
  return {
    PolicyName: name ?? '',
    Arn: stringField(raw, 'Arn') ?? '',
    PolicyVersionList: [],
    unreadable: { call, error: oneLineProblems(error), object: raw },
  };
}

/** A live-read project that does not fit the schema: its rules say not-visible (its raw answer is not kept). */
export function unreadableProject(raw: unknown, call: string, error: z.ZodError): Project {
  return {
    name: stringField(raw, 'name') ?? '',
    arn: stringField(raw, 'arn') ?? '',
    unreadable: { call, error: oneLineProblems(error) },
  };
}

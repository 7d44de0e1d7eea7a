/**
 * The resources buildwarden reasons about, in the shape and field names of the AWS API responses they come
 * from (see snapshot-format: a snapshot is a bag of these). Schemas are loose: unknown fields are kept and
 * ignored, so a snapshot assembled from AWS CLI output parses as-is. Dates are ISO 8601 strings.
 */
import * as z from 'zod';

/**
 * A date: ISO 8601 text, or epoch seconds as the AWS CLI prints some of them (BatchGetProjects `created`);
 * numbers are normalised to ISO text.
 */
export const isoDate = z.union([
  z.iso.datetime({ offset: true }),
  z.iso.datetime({ local: true }),
  z.iso.date(),
  z
    .number()
    .nonnegative()
    .transform((seconds) => new Date(seconds * 1000).toISOString()),
]);

export const tagSchema = z.looseObject({ Key: z.string(), Value: z.string() });
export type Tag = z.infer<typeof tagSchema>;

export const TAG_MUTABILITY = [
  'MUTABLE',
  'IMMUTABLE',
  'MUTABLE_WITH_EXCLUSION',
  'IMMUTABLE_WITH_EXCLUSION',
] as const;
export type TagMutability = (typeof TAG_MUTABILITY)[number];

export const imageDetailSchema = z.looseObject({
  registryId: z.string().optional(),
  repositoryName: z.string().optional(),
  imageDigest: z.string(),
  imageTags: z.array(z.string()).optional(),
  imageSizeInBytes: z.number().optional(),
  imagePushedAt: isoDate.optional(),
  lastRecordedPullTime: isoDate.optional(),
  imageStatus: z.string().optional(),
  lastArchivedAt: isoDate.optional(),
  lastActivatedAt: isoDate.optional(),
  imageManifestMediaType: z.string().optional(),
  artifactMediaType: z.string().optional(),
});
export type ImageDetail = z.infer<typeof imageDetailSchema>;

export const repositorySchema = z.looseObject({
  repositoryArn: z.string().min(1),
  registryId: z.string().optional(),
  repositoryName: z.string().min(1),
  repositoryUri: z.string().optional(),
  createdAt: isoDate.optional(),
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
  tags: z.array(tagSchema).optional(),
  images: z.array(imageDetailSchema).optional(),
  scanFindings: z.record(z.string(), z.looseObject({})).optional(),
});
export type Repository = z.infer<typeof repositorySchema>;

export const SCAN_FREQUENCY = ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN', 'MANUAL'] as const;
export const registryScanningConfigurationSchema = z.looseObject({
  scanType: z.enum(['BASIC', 'ENHANCED']),
  rules: z
    .array(
      z.looseObject({
        scanFrequency: z.enum(SCAN_FREQUENCY),
        repositoryFilters: z.array(z.looseObject({ filter: z.string(), filterType: z.literal('WILDCARD') })),
      }),
    )
    .default([]),
});
export type RegistryScanningConfiguration = z.infer<typeof registryScanningConfigurationSchema>;

const environmentVariableSchema = z.looseObject({
  name: z.string(),
  value: z.string(),
  type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']).optional(),
});
const artifactsSchema = z.looseObject({
  type: z.string(),
  location: z.string().optional(),
  encryptionDisabled: z.boolean().optional(),
  artifactIdentifier: z.string().optional(),
});
const sourceSchema = z.looseObject({
  type: z.string(),
  location: z.string().optional(),
  buildspec: z.string().optional(),
  sourceIdentifier: z.string().optional(),
});

/** BatchGetProjects .projects item. */
export const projectSchema = z.looseObject({
  name: z.string().min(1),
  arn: z.string().min(1),
  description: z.string().optional(),
  source: sourceSchema.optional(),
  secondarySources: z.array(sourceSchema).optional(),
  artifacts: artifactsSchema.optional(),
  secondaryArtifacts: z.array(artifactsSchema).optional(),
  environment: z
    .looseObject({
      type: z.string().optional(),
      image: z.string().optional(),
      computeType: z.string().optional(),
      privilegedMode: z.boolean().optional(),
      environmentVariables: z.array(environmentVariableSchema).optional(),
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
  created: isoDate.optional(),
  lastModified: isoDate.optional(),
  /** PUBLIC_READ | PRIVATE; absent means PRIVATE. Kept as text so a value AWS adds later is not a parse error. */
  projectVisibility: z.string().optional(),
  publicProjectAlias: z.string().optional(),
});
export type Project = z.infer<typeof projectSchema>;

/** BatchGetBuilds .builds item (only what buildwarden reads is typed; the rest is kept). */
export const buildSchema = z.looseObject({
  id: z.string(),
  arn: z.string().optional(),
  buildNumber: z.number().optional(),
  projectName: z.string().optional(),
  buildStatus: z.string().optional(),
  startTime: isoDate.optional(),
  endTime: isoDate.optional(),
  sourceVersion: z.string().optional(),
  resolvedSourceVersion: z.string().optional(),
  initiator: z.string().optional(),
});
export type Build = z.infer<typeof buildSchema>;

/**
 * An IAM policy document. The raw IAM API returns it URL-encoded; GetAccountAuthorizationDetails through the
 * CLI returns it decoded. Both are accepted and normalised to an object by `policyDocumentSchema`.
 */
export const policyDocumentSchema = z.preprocess(
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
);
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

export const roleSchema = z.looseObject({
  RoleName: z.string().min(1),
  Arn: z.string().min(1),
  Path: z.string().optional(),
  RoleId: z.string().optional(),
  AssumeRolePolicyDocument: policyDocumentSchema.optional(),
  RolePolicyList: z
    .array(z.looseObject({ PolicyName: z.string(), PolicyDocument: policyDocumentSchema }))
    .default([]),
  AttachedManagedPolicies: z
    .array(z.looseObject({ PolicyName: z.string(), PolicyArn: z.string() }))
    .default([]),
  PermissionsBoundary: z
    .looseObject({ PermissionsBoundaryType: z.string().optional(), PermissionsBoundaryArn: z.string() })
    .optional(),
  Tags: z.array(tagSchema).optional(),
});
export type Role = z.infer<typeof roleSchema>;

export const managedPolicySchema = z.looseObject({
  PolicyName: z.string(),
  Arn: z.string(),
  DefaultVersionId: z.string().optional(),
  PolicyVersionList: z
    .array(
      z.looseObject({
        Document: policyDocumentSchema,
        VersionId: z.string().optional(),
        IsDefaultVersion: z.boolean().optional(),
      }),
    )
    .default([]),
});
export type ManagedPolicy = z.infer<typeof managedPolicySchema>;

/** The default version's document of a managed policy, or undefined when no version is visible. */
export function defaultPolicyDocument(policy: ManagedPolicy): PolicyDocument | undefined {
  const byFlag = policy.PolicyVersionList.find((v) => v.IsDefaultVersion);
  const byId = policy.PolicyVersionList.find((v) => v.VersionId === policy.DefaultVersionId);
  return (byFlag ?? byId ?? (policy.PolicyVersionList.length === 1 ? policy.PolicyVersionList[0] : undefined))
    ?.Document;
}

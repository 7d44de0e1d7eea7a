/**
 * The account snapshot file (`buildwarden-snapshot/1`): one account, one region, every object in the shape
 * of the AWS API response it came from. Parsed with one schema; errors name the JSON path.
 */
import * as z from 'zod';
import { lazy } from './lazy';
import { ACCOUNT_ID, partitionOf } from './aws-facts';
import {
  buildSchema,
  describeUnreadable,
  isoDate,
  managedPolicySchema,
  projectSchema,
  registryScanningConfigurationSchema,
  repositorySchema,
  roleSchema,
  unreadableSchema,
} from './model';
import {
  known,
  pullThroughCacheRuleSchema,
  replicationConfigurationSchema,
  repositoryCreationTemplateSchema,
  unknown,
  type Known,
  type RegistrySettings,
} from './registry-settings';
import type { AccountView } from './rules/types';
import { findingRecordSchema } from './finding-state';
import { parseJsonText } from './nesting';
import { InvalidInputError, formatIssues, formatPath } from './validation';

export const SNAPSHOT_FORMAT = 'buildwarden-snapshot/1';

/**
 * A section of the snapshot: its keys are buildwarden's, so an unknown key is an error (a typo such as
 * `repositoriez` must not read as an empty, clean account); the AWS objects inside stay loose (AWS adds fields).
 */
function section<Shape extends z.ZodRawShape>(shape: Shape) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown key (expected one of: ${expected})`;
      if (issue.input === undefined) return `required section is missing (keys: ${expected})`;
      return `expected an object (keys: ${expected})`;
    },
  });
}

/** A list a snapshot must state, even empty: a missing list would read as "nothing there". */
function required<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, {
    error: (issue) =>
      issue.input === undefined ? `required (${what}; [] when there are none)` : 'expected an array',
  });
}

/**
 * Required: `format`, `accountId`, `region`, and the lists `ecr.repositories`, `codebuild.projects`,
 * `iam.roles`, `iam.policies` (each may be empty). Everything else is optional.
 */
export const snapshotSchema = lazy(() =>
  section({
    format: z.literal(SNAPSHOT_FORMAT, { error: `expected "${SNAPSHOT_FORMAT}"` }),
    accountId: z.string().regex(ACCOUNT_ID, 'expected a 12-digit account id'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1'),
    capturedAt: isoDate().optional(),
    /**
     * DescribeOrganization .Organization.Id: the account's organization; null when the account is in none;
     * absent when it was not captured (rules then say the own organization could not be determined).
     */
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id (o-…) or null')
      .nullable()
      .optional(),
    ecr: section({
      registryScanningConfiguration: registryScanningConfigurationSchema().optional(),
      repositories: required(repositorySchema(), 'DescribeRepositories items'),
      /** GetRegistryScanningConfiguration failed when the snapshot was taken (the sandbox fails it the same way). */
      unreadable: unreadableSchema().optional(),
      // Registry-level settings, each in the shape of its API answer; absent: not captured (never "none").
      /** DescribeRegistry .replicationConfiguration (`{ rules: [] }` when the registry replicates nothing). */
      replicationConfiguration: replicationConfigurationSchema().optional(),
      /** GetRegistryPolicy .policyText; null when the registry has no policy. */
      registryPolicyText: z.string().nullable().optional(),
      /** DescribePullThroughCacheRules .pullThroughCacheRules (every page). */
      pullThroughCacheRules: z.array(pullThroughCacheRuleSchema()).optional(),
      /** DescribeRepositoryCreationTemplates .repositoryCreationTemplates (every page). */
      repositoryCreationTemplates: z.array(repositoryCreationTemplateSchema()).optional(),
    }),
    codebuild: section({
      projects: required(projectSchema(), 'BatchGetProjects items'),
      builds: z.array(buildSchema()).default([]),
    }),
    iam: section({
      roles: required(roleSchema(), 'GetAccountAuthorizationDetails RoleDetailList items'),
      policies: required(managedPolicySchema(), 'GetAccountAuthorizationDetails Policies items'),
      /** GetAccountAuthorizationDetails failed when the snapshot was taken (roles and policies are then empty). */
      unreadable: unreadableSchema().optional(),
    }),
    /** State buildwarden itself keeps (the verdict store and the build ledger) when the sandbox plays the account. */
    buildwarden: section({
      verdicts: z.array(z.looseObject({ repositoryName: z.string(), imageDigest: z.string() })).default([]),
      builds: z
        .array(z.looseObject({ id: z.string(), projectName: z.string(), startTime: z.string() }))
        .default([]),
      /** The findings state (lib/policy/finding-state.ts): one record per account, region, resource and rule. */
      findings: z.array(findingRecordSchema()).optional(),
    }).optional(),
    sns: section({
      topics: z
        .array(
          z.looseObject({
            TopicArn: z.string(),
            messages: z.array(z.looseObject({})).default([]),
          }),
        )
        .default([]),
    }).optional(),
  }),
);
export type Snapshot = z.infer<ReturnType<typeof snapshotSchema>>;

/** Parses snapshot text; a file that is not JSON or breaks the schema throws InvalidInputError naming the path. */
export function parseSnapshot(text: string, source = 'snapshot'): Snapshot {
  const raw = parseJsonText(text, source);
  const result = snapshotSchema().safeParse(raw);
  if (!result.success) throw new InvalidInputError(source, snapshotIssues(result.error));
  const duplicates = findDuplicates(result.data.ecr.repositories.map((r) => r.repositoryName));
  if (duplicates.length > 0) {
    throw new InvalidInputError(
      source,
      duplicates.map((n) => `ecr.repositories: repository "${n}" appears twice`),
    );
  }
  return result.data;
}

/** Schema problems by path; an unknown key is named by its own path (`ecr.repositoriez`), not its parent's. */
function snapshotIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${issue.message}`)
      : formatIssues(new z.ZodError([issue])),
  );
}

function findDuplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const n of names) (seen.has(n) ? twice : seen).add(n);
  return [...twice];
}

/** Why a snapshot without `organizationId` leaves the own organization unknown. */
export const ORGANIZATION_NOT_CAPTURED = 'the snapshot does not record it (organizationId)';

/** An account view with nothing read yet, for the account and region given; `partial` fills in what was read. */
export function accountViewFor(
  account: { accountId: string; region: string },
  partial: Partial<AccountView> = {},
): AccountView {
  return {
    accountId: account.accountId,
    region: account.region,
    partition: partitionOf(account.region),
    repositories: [],
    projects: [],
    roles: [],
    policies: [],
    ...partial,
  };
}

export function viewOfSnapshot(snapshot: Snapshot): AccountView {
  return {
    accountId: snapshot.accountId,
    region: snapshot.region,
    partition: partitionOf(snapshot.region),
    ...(snapshot.organizationId !== undefined
      ? { organizationId: snapshot.organizationId }
      : { organizationUnreadable: ORGANIZATION_NOT_CAPTURED }),
    ...(snapshot.ecr.registryScanningConfiguration
      ? { registryScanning: snapshot.ecr.registryScanningConfiguration }
      : {}),
    ...(snapshot.ecr.unreadable ? { registryScanningUnreadable: true } : {}),
    repositories: snapshot.ecr.repositories,
    projects: snapshot.codebuild.projects,
    roles: snapshot.iam.roles,
    ...(snapshot.iam.unreadable ? { rolesUnreadable: describeUnreadable(snapshot.iam.unreadable) } : {}),
    policies: snapshot.iam.policies,
    registrySettings: registrySettingsOfSnapshot(snapshot.ecr),
  };
}

/** Why a registry setting absent from a snapshot is not known (an older snapshot did not capture it). */
export const REGISTRY_SETTING_NOT_CAPTURED = 'the snapshot does not record it';

/** The registry settings a snapshot records; a key it lacks was not captured, which is not "none". */
export function registrySettingsOfSnapshot(ecr: Snapshot['ecr']): RegistrySettings {
  const of = <T>(value: T | undefined): Known<T> =>
    value === undefined ? unknown<T>(REGISTRY_SETTING_NOT_CAPTURED) : known(value);
  return {
    replicationConfiguration: of(ecr.replicationConfiguration),
    registryPolicyText: of(ecr.registryPolicyText),
    pullThroughCacheRules: of(ecr.pullThroughCacheRules),
    repositoryCreationTemplates: of(ecr.repositoryCreationTemplates),
  };
}

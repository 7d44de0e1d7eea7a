/**
 * The account snapshot file (`buildwarden-snapshot/1`): one account, one region, every object in the shape
 * of the AWS API response it came from. Parsed with one schema; errors name the JSON path.
 */
import * as z from 'zod';
import {
  buildSchema,
  isoDate,
  managedPolicySchema,
  projectSchema,
  registryScanningConfigurationSchema,
  repositorySchema,
  roleSchema,
} from './model';
import type { AccountView } from './rules/types';
import { parseJsonText } from './nesting';
import { InvalidInputError, formatIssues } from './validation';

export const SNAPSHOT_FORMAT = 'buildwarden-snapshot/1';

export const snapshotSchema = z.looseObject({
  format: z.literal(SNAPSHOT_FORMAT, { error: `expected "${SNAPSHOT_FORMAT}"` }),
  accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1'),
  capturedAt: isoDate.optional(),
  ecr: z
    .looseObject({
      registryScanningConfiguration: registryScanningConfigurationSchema.optional(),
      repositories: z.array(repositorySchema).default([]),
    })
    .prefault({}),
  codebuild: z
    .looseObject({ projects: z.array(projectSchema).default([]), builds: z.array(buildSchema).default([]) })
    .prefault({}),
  iam: z
    .looseObject({
      roles: z.array(roleSchema).default([]),
      policies: z.array(managedPolicySchema).default([]),
    })
    .prefault({}),
  /** State buildwarden itself keeps (the verdict store and the build ledger) when the sandbox plays the account. */
  buildwarden: z
    .looseObject({
      verdicts: z.array(z.looseObject({ repositoryName: z.string(), imageDigest: z.string() })).default([]),
      builds: z
        .array(z.looseObject({ id: z.string(), projectName: z.string(), startTime: z.string() }))
        .default([]),
    })
    .optional(),
  sns: z
    .looseObject({
      topics: z
        .array(
          z.looseObject({
            TopicArn: z.string(),
            messages: z.array(z.looseObject({})).default([]),
          }),
        )
        .default([]),
    })
    .optional(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/** Parses snapshot text; a file that is not JSON or breaks the schema throws InvalidInputError naming the path. */
export function parseSnapshot(text: string, source = 'snapshot'): Snapshot {
  const raw = parseJsonText(text, source);
  const result = snapshotSchema.safeParse(raw);
  if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
  const duplicates = findDuplicates(result.data.ecr.repositories.map((r) => r.repositoryName));
  if (duplicates.length > 0) {
    throw new InvalidInputError(
      source,
      duplicates.map((n) => `ecr.repositories: repository "${n}" appears twice`),
    );
  }
  return result.data;
}

function findDuplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const n of names) (seen.has(n) ? twice : seen).add(n);
  return [...twice];
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

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
    ...(snapshot.ecr.registryScanningConfiguration
      ? { registryScanning: snapshot.ecr.registryScanningConfiguration }
      : {}),
    repositories: snapshot.ecr.repositories,
    projects: snapshot.codebuild.projects,
    roles: snapshot.iam.roles,
    policies: snapshot.iam.policies,
  };
}

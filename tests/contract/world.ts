/**
 * The account the contract suites run in, built from the official AWS samples (tests/fixtures/aws-samples):
 * repositories, images, tags, projects, roles and managed policies, each moved into the test account and region.
 * A suite states the world it needs; both implementations are loaded with a copy of it.
 */
import type { ImageDetail, ManagedPolicy, Project, Repository, Role } from '../../lib/policy/model';
import { imageDetailSchema, managedPolicySchema, projectSchema, roleSchema } from '../../lib/policy/model';
import { parseSnapshot, type Snapshot } from '../../lib/policy/snapshot';
import { ACCOUNT, REGION, repository as repositoryBuilder } from '../fixtures/builders';
import { awsSample } from '../fixtures/load';

export { ACCOUNT, REGION };

export interface WorldParts {
  /** The account's region (us-east-1 unless given). */
  region?: string;
  repositories?: Repository[];
  registryScanningConfiguration?: Snapshot['ecr']['registryScanningConfiguration'];
  ecrUnreadable?: Snapshot['ecr']['unreadable'];
  /** The registry-level settings, under their snapshot keys (absent: not captured). */
  registrySettings?: Pick<
    Snapshot['ecr'],
    | 'replicationConfiguration'
    | 'registryPolicyText'
    | 'pullThroughCacheRules'
    | 'repositoryCreationTemplates'
  >;
  projects?: Project[];
  roles?: Role[];
  policies?: ManagedPolicy[];
  iamUnreadable?: Snapshot['iam']['unreadable'];
  /** An id, null (in no organization) or absent (not readable). */
  organizationId?: string | null;
}

/** An account snapshot holding `parts`, checked by the snapshot schema as any snapshot file is. */
export function world(parts: WorldParts = {}): Snapshot {
  return parseSnapshot(
    JSON.stringify({
      format: 'buildwarden-snapshot/1',
      accountId: ACCOUNT,
      region: parts.region ?? REGION,
      ...(parts.organizationId !== undefined ? { organizationId: parts.organizationId } : {}),
      ecr: {
        ...(parts.registryScanningConfiguration
          ? { registryScanningConfiguration: parts.registryScanningConfiguration }
          : {}),
        ...(parts.ecrUnreadable ? { unreadable: parts.ecrUnreadable } : {}),
        repositories: parts.repositories ?? [],
        ...parts.registrySettings,
      },
      codebuild: { projects: parts.projects ?? [] },
      iam: {
        roles: parts.roles ?? [],
        policies: parts.policies ?? [],
        ...(parts.iamUnreadable ? { unreadable: parts.iamUnreadable } : {}),
      },
    }),
  );
}

/** The documented describe-repositories item in the test account (a compliant baseline; see builders.ts). */
export function repository(name: string, overrides: Partial<Repository> = {}): Repository {
  return repositoryBuilder(name, { createdAt: '2026-01-05T10:00:00.000Z', ...overrides });
}

/** The documented list-tags-for-resource answer. */
export function documentedTags(): { Key: string; Value: string }[] {
  return awsSample<{ tags: { Key: string; Value: string }[] }>('api-ecr-list-tags-for-resource.aws-cli.json')
    .tags;
}

/** The documented describe-images item, moved to `repositoryName` with the given digest. */
export function image(repositoryName: string, imageDigest: string, imageTags: string[] = []): ImageDetail {
  const [sample] = awsSample<{ imageDetails: Record<string, unknown>[] }>(
    'api-ecr-describe-images.aws-cli.json',
  ).imageDetails;
  return imageDetailSchema().parse({
    ...sample,
    registryId: ACCOUNT,
    repositoryName,
    imageDigest,
    imageTags,
  });
}

/** `n` images with distinct digests (`sha256:` and 64 hex digits). */
export function images(repositoryName: string, n: number): ImageDetail[] {
  return Array.from({ length: n }, (_, i) =>
    image(repositoryName, `sha256:${i.toString(16).padStart(64, '0')}`, [`v${i}`]),
  );
}

/** The first documented batch-get-projects item, named `name`, with `serviceRole`. */
export function project(name: string, overrides: Partial<Project> = {}): Project {
  const [sample] = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects;
  return projectSchema().parse({
    ...sample,
    name,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`,
    ...overrides,
  });
}

export const roleArn = (name: string, path = '/service-role/') =>
  `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
export const policyArn = (name: string) => `arn:aws:iam::${ACCOUNT}:policy/${name}`;

/**
 * A CodeBuild service role as GetAccountAuthorizationDetails lists it: the documented trust policy, and the
 * documented ECR push statement as its one inline policy.
 */
export function role(name: string, overrides: Partial<Role> = {}): Role {
  return roleSchema().parse({
    RoleName: name,
    Path: '/service-role/',
    Arn: roleArn(name),
    AssumeRolePolicyDocument: awsSample('codebuild-service-role-trust-policy.json'),
    RolePolicyList: [
      {
        PolicyName: 'ecr-push',
        PolicyDocument: awsSample('codebuild-service-role-ecr-push-statement.current-docs.json'),
      },
    ],
    AttachedManagedPolicies: [],
    Tags: [],
    ...overrides,
  });
}

/** A customer managed policy whose one (default) version is the documented get-policy-version document. */
export function managedPolicy(name: string): ManagedPolicy {
  const { PolicyVersion } = awsSample<{ PolicyVersion: { Document: unknown; VersionId: string } }>(
    'api-iam-get-policy-version.aws-cli.json',
  );
  return managedPolicySchema().parse({
    PolicyName: name,
    Arn: policyArn(name),
    DefaultVersionId: PolicyVersion.VersionId,
    PolicyVersionList: [
      { Document: PolicyVersion.Document, VersionId: PolicyVersion.VersionId, IsDefaultVersion: true },
    ],
  });
}

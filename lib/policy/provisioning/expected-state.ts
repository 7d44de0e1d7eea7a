/**
 * The state the read APIs report right after a plan's calls. Pure: tests run the audit on it to prove that a
 * plan is compliant by construction, and the use case compares it with what it reads back.
 */
import { buildArn } from '../aws-facts';
import {
  projectSchema,
  repositorySchema,
  roleSchema,
  type ManagedPolicy,
  type Project,
  type Repository,
  type Role,
} from '../model';
import type { ProvisioningPlan } from './plan';

export interface ExpectedState {
  repository: Repository;
  role: Role;
  /** Managed policies buildwarden creates for the project: none (a permissions boundary is the caller's). */
  policies: ManagedPolicy[];
  project: Project;
}

/**
 * The repository (DescribeRepositories joined with GetLifecyclePolicy and ListTagsForResource), the role
 * (GetAccountAuthorizationDetails' RoleDetail) and the project (BatchGetProjects) as they read right after
 * the plan's calls, with the defaults the services fill in. Not known in advance and so left out: creation
 * times, the RoleId, and the AWS managed KMS key's ARN when no key is given.
 */
export function expectedState(plan: ProvisioningPlan): ExpectedState {
  const { accountId, region, partition } = plan.account;
  const { createRepository, createRole, putRolePolicy, createProject, resources } = plan;
  const repository = repositorySchema().parse({
    repositoryArn: resources.repositoryArn,
    registryId: accountId,
    repositoryName: createRepository.repositoryName,
    repositoryUri: resources.repositoryUri,
    imageTagMutability: createRepository.imageTagMutability,
    imageScanningConfiguration: createRepository.imageScanningConfiguration,
    encryptionConfiguration: createRepository.encryptionConfiguration,
    lifecyclePolicyText: plan.putLifecyclePolicy.lifecyclePolicyText,
    tags: createRepository.tags,
  });
  const role = roleSchema().parse({
    RoleName: createRole.RoleName,
    Arn: resources.roleArn,
    Path: createRole.Path,
    AssumeRolePolicyDocument: JSON.parse(createRole.AssumeRolePolicyDocument),
    RolePolicyList: [
      { PolicyName: putRolePolicy.PolicyName, PolicyDocument: JSON.parse(putRolePolicy.PolicyDocument) },
    ],
    AttachedManagedPolicies: [],
    ...(createRole.PermissionsBoundary !== undefined
      ? {
          PermissionsBoundary: {
            PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
            PermissionsBoundaryArn: createRole.PermissionsBoundary,
          },
        }
      : {}),
    Tags: createRole.Tags,
  });
  const project = projectSchema().parse({
    name: createProject.name,
    arn: resources.projectArn,
    source: { ...createProject.source, insecureSsl: false },
    ...(createProject.sourceVersion !== undefined ? { sourceVersion: createProject.sourceVersion } : {}),
    secondarySources: [],
    secondarySourceVersions: [],
    artifacts: createProject.artifacts,
    secondaryArtifacts: [],
    cache: { type: 'NO_CACHE' },
    environment: createProject.environment,
    serviceRole: createProject.serviceRole,
    timeoutInMinutes: 60,
    queuedTimeoutInMinutes: 480,
    encryptionKey: buildArn({ partition, service: 'kms', region, accountId, resource: 'alias/aws/s3' }),
    tags: createProject.tags,
    badge: { badgeEnabled: false },
    logsConfig: {
      cloudWatchLogs: createProject.logsConfig.cloudWatchLogs,
      s3Logs: { status: 'DISABLED', encryptionDisabled: false },
    },
  });
  return { repository, role, policies: [] as ManagedPolicy[], project };
}

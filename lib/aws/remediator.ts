/** Applies remediation writes to ECR, IAM and CodeBuild. Each write is a single idempotent API call. */
import {
  CreateRepositoryCreationTemplateCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryPolicyCommand,
  type ECRClient,
  type ImageTagMutabilityExclusionFilter,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryPolicyCommand,
  PutRegistryScanningConfigurationCommand,
  PutReplicationConfigurationCommand,
  type RepositoryFilterType,
  SetRepositoryPolicyCommand,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { UpdateProjectVisibilityCommand, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DetachRolePolicyCommand, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { Remediator } from '../ports';
import type { RemediationWrite, TemplateRequest, WriteType } from '../policy/writes';
import { codebuildClient, ecrClient, iamClient, processClients, type AwsClients } from './clients';
import { isAwsError } from './common';
import { translated } from './errors';

/**
 * The IAM action each remediation write calls. A function that applies writes is granted the actions of the
 * write types its rules declare (`remediation.writes`, lib/runtime/actions.ts); a new write type without an
 * entry here fails the typecheck.
 */
export const WRITE_ACTIONS = {
  PutLifecyclePolicy: 'ecr:PutLifecyclePolicy',
  PutImageScanningConfiguration: 'ecr:PutImageScanningConfiguration',
  PutRegistryScanningConfiguration: 'ecr:PutRegistryScanningConfiguration',
  PutImageTagMutability: 'ecr:PutImageTagMutability',
  SetRepositoryPolicy: 'ecr:SetRepositoryPolicy',
  DeleteRepositoryPolicy: 'ecr:DeleteRepositoryPolicy',
  PutRolePolicy: 'iam:PutRolePolicy',
  DetachRolePolicy: 'iam:DetachRolePolicy',
  UpdateProjectVisibility: 'codebuild:UpdateProjectVisibility',
  PutReplicationConfiguration: 'ecr:PutReplicationConfiguration',
  PutRegistryPolicy: 'ecr:PutRegistryPolicy',
  DeleteRegistryPolicy: 'ecr:DeleteRegistryPolicy',
  CreateRepositoryCreationTemplate: 'ecr:CreateRepositoryCreationTemplate',
  UpdateRepositoryCreationTemplate: 'ecr:UpdateRepositoryCreationTemplate',
} as const satisfies Record<WriteType, string>;

/**
 * Actions IAM also checks for a write, beyond its own (Amazon ECR User Guide, "IAM permissions for creating
 * repository creation templates": managing a template also needs `ecr:CreateRepository`, and
 * `ecr:PutLifecyclePolicy` when the template holds a lifecycle policy, which the templates buildwarden writes
 * do). A template with a `customRoleArn` would also need `iam:PassRole`, which no function is granted: the change
 * handler refuses those writes instead (confineToGrantedTemplateWrites).
 */
export const DEPENDENT_ACTIONS: Partial<Record<WriteType, readonly string[]>> = {
  CreateRepositoryCreationTemplate: ['ecr:CreateRepository', 'ecr:PutLifecyclePolicy'],
  UpdateRepositoryCreationTemplate: ['ecr:CreateRepository', 'ecr:PutLifecyclePolicy'],
};

/** Every action the remediator can call or needs granted for a call. */
export const remediatorActions: readonly string[] = [
  ...new Set([...Object.values(WRITE_ACTIONS), ...Object.values(DEPENDENT_ACTIONS).flat()]),
];

/** The IAM actions of these write types (their own, then those IAM also checks), each once, in order. */
export function writeActions(writes: Iterable<WriteType>): string[] {
  return [
    ...new Set([...writes].flatMap((write) => [WRITE_ACTIONS[write], ...(DEPENDENT_ACTIONS[write] ?? [])])),
  ];
}

export class AwsRemediator implements Remediator {
  /**
   * Clients given are used; the others are those of `clients` (default: the process's shared ones), created
   * when a write needs them.
   */
  constructor(
    private readonly givenEcr?: ECRClient,
    private readonly givenIam?: IAMClient,
    private readonly givenCodebuild?: CodeBuildClient,
    private readonly clients: AwsClients = processClients,
  ) {}

  /** The remediator of a scope's clients (each created when a write needs it). */
  static over(clients: AwsClients): AwsRemediator {
    return new AwsRemediator(undefined, undefined, undefined, clients);
  }

  private get ecrClient(): ECRClient {
    return this.givenEcr ?? ecrClient(this.clients);
  }

  private get iamClient(): IAMClient {
    return this.givenIam ?? iamClient(this.clients);
  }

  private get codebuildClient(): CodeBuildClient {
    return this.givenCodebuild ?? codebuildClient(this.clients);
  }

  /** A resource deleted meanwhile is a NotFoundError (lib/aws/errors.ts): the change handler treats it as fixed. */
  async apply(write: RemediationWrite): Promise<void> {
    return translated(() => this.send(write));
  }

  private async send(write: RemediationWrite): Promise<void> {
    switch (write.type) {
      case 'PutLifecyclePolicy':
        await this.ecrClient.send(new PutLifecyclePolicyCommand(withoutType(write)));
        return;
      case 'PutImageScanningConfiguration':
        await this.ecrClient.send(
          new PutImageScanningConfigurationCommand({
            repositoryName: write.repositoryName,
            registryId: write.registryId,
            imageScanningConfiguration: { scanOnPush: write.scanOnPush },
          }),
        );
        return;
      case 'PutRegistryScanningConfiguration':
        await this.ecrClient.send(new PutRegistryScanningConfigurationCommand(withoutType(write)));
        return;
      case 'PutImageTagMutability':
        await this.ecrClient.send(
          new PutImageTagMutabilityCommand({
            ...withoutType(write),
            imageTagMutabilityExclusionFilters: write.imageTagMutabilityExclusionFilters?.map((f) => ({
              filterType: 'WILDCARD' as const,
              filter: f.filter,
            })),
          }),
        );
        return;
      case 'SetRepositoryPolicy':
        await this.ecrClient.send(new SetRepositoryPolicyCommand(withoutType(write)));
        return;
      case 'DeleteRepositoryPolicy':
        try {
          await this.ecrClient.send(new DeleteRepositoryPolicyCommand(withoutType(write)));
        } catch (error) {
          // Already gone: the desired state holds.
          if (!isAwsError(error, 'RepositoryPolicyNotFoundException')) throw error;
        }
        return;
      case 'PutRolePolicy':
        await this.iamClient.send(
          new PutRolePolicyCommand({
            RoleName: write.roleName,
            PolicyName: write.policyName,
            PolicyDocument: write.policyDocument,
          }),
        );
        return;
      case 'DetachRolePolicy':
        try {
          await this.iamClient.send(
            new DetachRolePolicyCommand({ RoleName: write.roleName, PolicyArn: write.policyArn }),
          );
        } catch (error) {
          if (!isAwsError(error, 'NoSuchEntityException')) throw error;
        }
        return;
      case 'UpdateProjectVisibility':
        await this.codebuildClient.send(
          new UpdateProjectVisibilityCommand({
            projectArn: write.projectArn,
            projectVisibility: write.projectVisibility,
          }),
        );
        return;
      case 'PutReplicationConfiguration':
        await this.ecrClient.send(
          new PutReplicationConfigurationCommand({
            replicationConfiguration: {
              rules: write.replicationConfiguration.rules.map((rule) => ({
                destinations: rule.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
                ...(rule.repositoryFilters
                  ? {
                      repositoryFilters: rule.repositoryFilters.map((f) => ({
                        filter: f.filter,
                        filterType: f.filterType as RepositoryFilterType,
                      })),
                    }
                  : {}),
              })),
            },
          }),
        );
        return;
      case 'PutRegistryPolicy':
        await this.ecrClient.send(new PutRegistryPolicyCommand({ policyText: write.policyText }));
        return;
      case 'DeleteRegistryPolicy':
        try {
          await this.ecrClient.send(new DeleteRegistryPolicyCommand({}));
        } catch (error) {
          // Already gone: the desired state holds.
          if (!isAwsError(error, 'RegistryPolicyNotFoundException')) throw error;
        }
        return;
      case 'CreateRepositoryCreationTemplate':
        await this.ecrClient.send(new CreateRepositoryCreationTemplateCommand(templateRequest(write)));
        return;
      case 'UpdateRepositoryCreationTemplate':
        await this.ecrClient.send(new UpdateRepositoryCreationTemplateCommand(templateRequest(write)));
        return;
    }
  }
}

/** A template write as the request: the fields it holds, each as the SDK types it. */
function templateRequest(write: TemplateRequest & { type: string }) {
  const { type: _type, imageTagMutabilityExclusionFilters, resourceTags, ...rest } = write;
  return {
    ...rest,
    ...(resourceTags ? { resourceTags: resourceTags.map((t) => ({ Key: t.Key, Value: t.Value })) } : {}),
    ...(imageTagMutabilityExclusionFilters
      ? {
          imageTagMutabilityExclusionFilters: imageTagMutabilityExclusionFilters.map(
            (f) => ({ filter: f.filter, filterType: f.filterType }) as ImageTagMutabilityExclusionFilter,
          ),
        }
      : {}),
  };
}

function withoutType<T extends { type: string }>(write: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = write;
  return rest;
}

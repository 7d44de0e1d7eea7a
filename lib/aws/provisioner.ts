/** Creates, repairs and deletes the resources of managed build projects (ECR, IAM, CodeBuild). */
import {
  type CodeBuildClient,
  CreateProjectCommand,
  DeleteProjectCommand,
  UpdateProjectCommand,
} from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  type ECRClient,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from '@aws-sdk/client-iam';
import { ECR_PAGE_MAX } from '../policy/aws-facts';
import type { ProjectUpdate } from '../policy/convergence';
import type { RegistryScanningConfiguration } from '../policy/model';
import type { Provisioner } from '../ports';
import type { ProvisioningPlan } from '../policy/provisioning/plan';
import { codebuildClient, ecrClient, iamClient, processClients, type AwsClients } from './clients';
import { isAwsError } from './common';
import { translated } from './errors';

export const provisionerActions = [
  'ecr:CreateRepository',
  'ecr:TagResource',
  'ecr:PutLifecyclePolicy',
  'ecr:PutImageTagMutability',
  'ecr:PutImageScanningConfiguration',
  'ecr:PutRegistryScanningConfiguration',
  'ecr:DeleteRepository',
  'ecr:DescribeImages',
  'iam:CreateRole',
  'iam:TagRole',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:ListRolePolicies',
  'iam:DeleteRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:DetachRolePolicy',
  'iam:DeleteRole',
  'iam:PassRole',
  'codebuild:CreateProject',
  'codebuild:UpdateProject',
  'codebuild:DeleteProject',
  // Not called directly: ECR calls KMS on the caller's behalf when CreateRepository asks for KMS encryption.
  'kms:CreateGrant',
  'kms:RetireGrant',
  'kms:DescribeKey',
] as const;

export class AwsProvisioner implements Provisioner {
  private readonly clients: {
    readonly ecr: ECRClient;
    readonly iam: IAMClient;
    readonly codebuild: CodeBuildClient;
  };

  /**
   * Clients given are used; the others are those of `scope` (default: the process's shared ones), created when
   * a call needs them.
   */
  constructor(
    given: { ecr?: ECRClient; iam?: IAMClient; codebuild?: CodeBuildClient } = {},
    scope: AwsClients = processClients,
  ) {
    this.clients = {
      get ecr() {
        return given.ecr ?? ecrClient(scope);
      },
      get iam() {
        return given.iam ?? iamClient(scope);
      },
      get codebuild() {
        return given.codebuild ?? codebuildClient(scope);
      },
    };
  }

  /** The provisioner of a scope's clients (each created when a call needs it). */
  static over(clients: AwsClients): AwsProvisioner {
    return new AwsProvisioner({}, clients);
  }

  /** A create that meets a resource of that name throws AlreadyExistsError (lib/aws/errors.ts). */
  async createRepository(input: ProvisioningPlan['createRepository']): Promise<void> {
    await translated(() => this.clients.ecr.send(new CreateRepositoryCommand(input)));
  }

  async putLifecyclePolicy(input: ProvisioningPlan['putLifecyclePolicy']): Promise<void> {
    await this.clients.ecr.send(new PutLifecyclePolicyCommand(input));
  }

  async putImageTagMutability(repositoryName: string, imageTagMutability: 'IMMUTABLE'): Promise<void> {
    await this.clients.ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability }));
  }

  async putImageScanningConfiguration(repositoryName: string, scanOnPush: true): Promise<void> {
    await this.clients.ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush },
      }),
    );
  }

  async putRegistryScanningConfiguration(configuration: RegistryScanningConfiguration): Promise<void> {
    await this.clients.ecr.send(
      new PutRegistryScanningConfigurationCommand({
        scanType: configuration.scanType,
        rules: configuration.rules,
      }),
    );
  }

  async createRole(input: ProvisioningPlan['createRole']): Promise<void> {
    await translated(() => this.clients.iam.send(new CreateRoleCommand(input)));
  }

  async putRolePolicy(input: ProvisioningPlan['putRolePolicy']): Promise<void> {
    await this.clients.iam.send(new PutRolePolicyCommand(input));
  }

  async updateAssumeRolePolicy(roleName: string, policyDocument: string): Promise<void> {
    await this.clients.iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: policyDocument }),
    );
  }

  async putRolePermissionsBoundary(roleName: string, permissionsBoundaryArn: string): Promise<void> {
    await this.clients.iam.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: roleName,
        PermissionsBoundary: permissionsBoundaryArn,
      }),
    );
  }

  /** A service role IAM has not propagated yet throws RoleNotAssumableYetError (lib/aws/errors.ts). */
  async createProject(input: ProvisioningPlan['createProject']): Promise<void> {
    await translated(() => this.clients.codebuild.send(new CreateProjectCommand(input)));
  }

  async updateProject(input: ProjectUpdate): Promise<void> {
    await translated(() => this.clients.codebuild.send(new UpdateProjectCommand(input)));
  }

  async deleteProject(name: string): Promise<void> {
    await this.clients.codebuild.send(new DeleteProjectCommand({ name }));
  }

  /**
   * IAM refuses DeleteRole (DeleteConflict) while managed policies are attached or inline policies remain:
   * both go first. A role that is already gone counts as deleted, so a retry finishes a partial delete.
   */
  async deleteRole(roleName: string): Promise<void> {
    try {
      const attached: string[] = [];
      for await (const page of paginateListAttachedRolePolicies(
        { client: this.clients.iam },
        { RoleName: roleName },
      )) {
        for (const policy of page.AttachedPolicies ?? [])
          if (policy.PolicyArn) attached.push(policy.PolicyArn);
      }
      for (const PolicyArn of attached) {
        try {
          await this.clients.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn }));
        } catch (error) {
          // Detached meanwhile: carry on.
          if (!isAwsError(error, 'NoSuchEntityException')) throw error;
        }
      }
      for await (const page of paginateListRolePolicies(
        { client: this.clients.iam },
        { RoleName: roleName },
      )) {
        for (const PolicyName of page.PolicyNames ?? []) {
          try {
            await this.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName }));
          } catch (error) {
            // That policy is already gone: carry on to the role.
            if (!isAwsError(error, 'NoSuchEntityException')) throw error;
          }
        }
      }
      await this.clients.iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    } catch (error) {
      // Already gone: the desired state holds.
      if (!isAwsError(error, 'NoSuchEntityException')) throw error;
    }
  }

  async deleteRepository(repositoryName: string, force: boolean): Promise<void> {
    try {
      await this.clients.ecr.send(new DeleteRepositoryCommand({ repositoryName, force }));
    } catch (error) {
      if (!isAwsError(error, 'RepositoryNotFoundException')) throw error;
    }
  }

  async imageCount(repositoryName: string): Promise<number> {
    let count = 0;
    for await (const page of paginateDescribeImages(
      { client: this.clients.ecr, pageSize: ECR_PAGE_MAX },
      { repositoryName },
    )) {
      count += page.imageDetails?.length ?? 0;
    }
    return count;
  }
}

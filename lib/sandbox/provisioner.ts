/** The sandbox's Provisioner: managed projects' resources created, repaired and deleted in the snapshot. */
import { translated } from '../aws/errors';
import type { ProjectUpdate } from '../policy/convergence';
import {
  projectSchema,
  repositorySchema,
  roleSchema,
  type RegistryScanningConfiguration,
  type Role,
} from '../policy/model';
import type { ProvisioningPlan } from '../policy/provisioning/plan';
import { projectArnOf, repositoryArnOf, repositoryUriOf, roleArnOf } from '../policy/aws-facts';
import type { Provisioner } from '../ports';
import { simulatedAwsError, type SandboxState } from './state';
import { applyWrite } from './writes';

/** Creates and deletes as the AWS APIs do, including their "already exists" errors. */
export class SandboxProvisioner implements Provisioner {
  constructor(private readonly state: SandboxState) {}

  async createRepository(input: ProvisioningPlan['createRepository']): Promise<void> {
    return translated(() => this.createRepositoryAsEcr(input));
  }

  private async createRepositoryAsEcr(input: ProvisioningPlan['createRepository']): Promise<void> {
    await this.state.call('ecr:CreateRepository');
    if (this.state.findRepository(input.repositoryName)) {
      throw simulatedAwsError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${input.repositoryName}' already exists`,
      );
    }
    this.state.snapshot.ecr.repositories.push(
      repositorySchema().parse({
        repositoryArn: repositoryArnOf(this.state.scope, input.repositoryName),
        registryId: this.state.snapshot.accountId,
        repositoryName: input.repositoryName,
        repositoryUri: repositoryUriOf(this.state.scope, input.repositoryName),
        createdAt: new Date().toISOString(),
        imageTagMutability: input.imageTagMutability,
        imageScanningConfiguration: input.imageScanningConfiguration,
        encryptionConfiguration: input.encryptionConfiguration,
        tags: input.tags,
        images: [],
      }),
    );
  }

  async putLifecyclePolicy(input: ProvisioningPlan['putLifecyclePolicy']): Promise<void> {
    await applyWrite(this.state, { type: 'PutLifecyclePolicy', ...input });
  }

  async putImageTagMutability(repositoryName: string, imageTagMutability: 'IMMUTABLE'): Promise<void> {
    await applyWrite(this.state, { type: 'PutImageTagMutability', repositoryName, imageTagMutability });
  }

  async putImageScanningConfiguration(repositoryName: string, scanOnPush: true): Promise<void> {
    await applyWrite(this.state, { type: 'PutImageScanningConfiguration', repositoryName, scanOnPush });
  }

  async putRegistryScanningConfiguration(configuration: RegistryScanningConfiguration): Promise<void> {
    await applyWrite(this.state, {
      type: 'PutRegistryScanningConfiguration',
      scanType: configuration.scanType,
      rules: configuration.rules,
    });
  }

  async createRole(input: ProvisioningPlan['createRole']): Promise<void> {
    return translated(() => this.createRoleAsIam(input));
  }

  private async createRoleAsIam(input: ProvisioningPlan['createRole']): Promise<void> {
    await this.state.call('iam:CreateRole');
    if (this.state.snapshot.iam.roles.some((r) => r.RoleName === input.RoleName)) {
      throw simulatedAwsError(
        'EntityAlreadyExistsException',
        `Role with name ${input.RoleName} already exists.`,
      );
    }
    this.state.snapshot.iam.roles.push(
      roleSchema().parse({
        RoleName: input.RoleName,
        Path: input.Path,
        Arn: roleArnOf(this.state.scope, input.Path, input.RoleName),
        AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
        RolePolicyList: [],
        AttachedManagedPolicies: [],
        ...(input.PermissionsBoundary
          ? {
              PermissionsBoundary: {
                PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
                PermissionsBoundaryArn: input.PermissionsBoundary,
              },
            }
          : {}),
        Tags: input.Tags,
      }),
    );
  }

  async putRolePolicy(input: ProvisioningPlan['putRolePolicy']): Promise<void> {
    await applyWrite(this.state, {
      type: 'PutRolePolicy',
      roleName: input.RoleName,
      policyName: input.PolicyName,
      policyDocument: input.PolicyDocument,
    });
  }

  async updateAssumeRolePolicy(roleName: string, policyDocument: string): Promise<void> {
    await this.state.call('iam:UpdateAssumeRolePolicy');
    const role = this.existingRole(roleName);
    role.AssumeRolePolicyDocument = JSON.parse(policyDocument) as Role['AssumeRolePolicyDocument'];
  }

  async putRolePermissionsBoundary(roleName: string, permissionsBoundaryArn: string): Promise<void> {
    await this.state.call('iam:PutRolePermissionsBoundary');
    const role = this.existingRole(roleName);
    role.PermissionsBoundary = {
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: permissionsBoundaryArn,
    };
  }

  private existingRole(roleName: string): Role {
    const role = this.state.snapshot.iam.roles.find((r) => r.RoleName === roleName);
    if (!role)
      throw simulatedAwsError('NoSuchEntityException', `The role with name ${roleName} cannot be found.`);
    return role;
  }

  async createProject(input: ProvisioningPlan['createProject']): Promise<void> {
    return translated(() => this.createProjectAsCodeBuild(input));
  }

  private async createProjectAsCodeBuild(input: ProvisioningPlan['createProject']): Promise<void> {
    await this.state.call('codebuild:CreateProject');
    if (this.state.snapshot.codebuild.projects.some((p) => p.name === input.name)) {
      throw simulatedAwsError('ResourceAlreadyExistsException', `Project already exists: ${input.name}`);
    }
    const role = this.state.snapshot.iam.roles.find((r) => r.Arn === input.serviceRole);
    if (!role) {
      throw simulatedAwsError(
        'InvalidInputException',
        'CodeBuild is not authorized to perform: sts:AssumeRole on service role',
      );
    }
    const now = new Date().toISOString();
    this.state.snapshot.codebuild.projects.push(
      projectSchema().parse({
        ...structuredClone(input),
        arn: projectArnOf(this.state.scope, input.name),
        created: now,
        lastModified: now,
      }),
    );
  }

  /** As UpdateProject: each structure given replaces the project's; tags, when given, replace its tags. */
  async updateProject(input: ProjectUpdate): Promise<void> {
    return translated(() => this.updateProjectAsCodeBuild(input));
  }

  private async updateProjectAsCodeBuild(input: ProjectUpdate): Promise<void> {
    await this.state.call('codebuild:UpdateProject');
    const projects = this.state.snapshot.codebuild.projects;
    const index = projects.findIndex((p) => p.name === input.name);
    if (index < 0)
      throw simulatedAwsError('ResourceNotFoundException', `Project cannot be found: ${input.name}`);
    projects[index] = projectSchema().parse({
      ...projects[index],
      ...structuredClone(input),
      lastModified: new Date().toISOString(),
    });
  }

  async deleteProject(name: string): Promise<void> {
    await this.state.call('codebuild:DeleteProject');
    // DeleteProject succeeds for a project that does not exist.
    this.state.snapshot.codebuild.projects = this.state.snapshot.codebuild.projects.filter(
      (p) => p.name !== name,
    );
  }

  /**
   * As the AWS adapter does it: detach the managed policies, delete the inline ones, then DeleteRole, which
   * IAM refuses (DeleteConflict) while any policy remains. A role already gone counts as deleted.
   */
  async deleteRole(roleName: string): Promise<void> {
    await this.state.call('iam:ListAttachedRolePolicies');
    const role = this.state.snapshot.iam.roles.find((r) => r.RoleName === roleName);
    if (!role) return;
    for (const attached of [...role.AttachedManagedPolicies]) {
      await this.state.call('iam:DetachRolePolicy');
      role.AttachedManagedPolicies = role.AttachedManagedPolicies.filter(
        (p) => p.PolicyArn !== attached.PolicyArn,
      );
    }
    await this.state.call('iam:ListRolePolicies');
    for (const inline of [...role.RolePolicyList]) {
      await this.state.call('iam:DeleteRolePolicy');
      role.RolePolicyList = role.RolePolicyList.filter((p) => p.PolicyName !== inline.PolicyName);
    }
    await this.state.call('iam:DeleteRole');
    if (role.AttachedManagedPolicies.length > 0 || role.RolePolicyList.length > 0) {
      throw simulatedAwsError(
        'DeleteConflictException',
        'Cannot delete entity, must detach all policies first.',
      );
    }
    this.state.snapshot.iam.roles = this.state.snapshot.iam.roles.filter((r) => r.RoleName !== roleName);
  }

  /** A repository already gone counts as deleted, as in the AWS adapter. */
  async deleteRepository(repositoryName: string, force: boolean): Promise<void> {
    await this.state.call('ecr:DeleteRepository');
    const repository = this.state.findRepository(repositoryName);
    if (!repository) return;
    if (!force && (repository.images?.length ?? 0) > 0) {
      throw simulatedAwsError(
        'RepositoryNotEmptyException',
        `The repository '${repositoryName}' cannot be deleted because it still contains images`,
      );
    }
    this.state.snapshot.ecr.repositories = this.state.snapshot.ecr.repositories.filter(
      (r) => r.repositoryName !== repositoryName,
    );
  }

  async imageCount(repositoryName: string): Promise<number> {
    await this.state.call('ecr:DescribeImages');
    return this.state.findRepository(repositoryName)?.images?.length ?? 0;
  }
}

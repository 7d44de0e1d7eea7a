/**
 * The writes the sandbox's remediator and provisioner share (PutLifecyclePolicy, PutRolePolicy …), each
 * changing the snapshot as the AWS API changes the account and raising the AWS error the API would raise.
 */
import type { RemediationWrite } from '../policy/remediation';
import type { Role } from '../policy/model';
import { normalPrefix } from '../policy/registry-settings';
import { simulatedAwsError, type SandboxState } from './state';

/** One remediation or provisioning write, failing with the AWS error the API would raise. */
export async function applyWrite(state: SandboxState, write: RemediationWrite): Promise<void> {
  const service =
    write.type === 'UpdateProjectVisibility' ? 'codebuild' : 'roleName' in write ? 'iam' : 'ecr';
  await state.call(`${service}:${write.type}`);
  if (write.type === 'UpdateProjectVisibility') {
    const project = state.snapshot.codebuild.projects.find((p) => p.arn === write.projectArn);
    if (!project) {
      throw simulatedAwsError('ResourceNotFoundException', `Project not found: ${write.projectArn}`);
    }
    project.projectVisibility = write.projectVisibility;
    return;
  }
  if (write.type === 'PutRegistryScanningConfiguration') {
    state.snapshot.ecr.registryScanningConfiguration = {
      scanType: write.scanType,
      rules: structuredClone(write.rules),
    };
    return;
  }
  if (applyRegistryWrite(state, write)) return;
  if (write.type === 'PutRolePolicy' || write.type === 'DetachRolePolicy') {
    const role = state.snapshot.iam.roles.find((r) => r.RoleName === write.roleName);
    // As the AWS adapter does: detaching from a role that is gone leaves what the write wants.
    if (!role && write.type === 'DetachRolePolicy') return;
    if (!role)
      throw simulatedAwsError(
        'NoSuchEntityException',
        `The role with name ${write.roleName} cannot be found.`,
      );
    if (write.type === 'PutRolePolicy') {
      const document = JSON.parse(write.policyDocument) as Role['RolePolicyList'][number]['PolicyDocument'];
      const existing = role.RolePolicyList.find((p) => p.PolicyName === write.policyName);
      if (existing) existing.PolicyDocument = document;
      else role.RolePolicyList.push({ PolicyName: write.policyName, PolicyDocument: document });
    } else {
      role.AttachedManagedPolicies = role.AttachedManagedPolicies.filter(
        (p) => p.PolicyArn !== write.policyArn,
      );
    }
    return;
  }
  if (!('repositoryName' in write)) return;
  const repository = state.findRepository(write.repositoryName);
  if (!repository) {
    throw simulatedAwsError(
      'RepositoryNotFoundException',
      `The repository '${write.repositoryName}' does not exist`,
    );
  }
  switch (write.type) {
    case 'PutLifecyclePolicy':
      repository.lifecyclePolicyText = write.lifecyclePolicyText;
      break;
    case 'PutImageScanningConfiguration':
      repository.imageScanningConfiguration = { scanOnPush: write.scanOnPush };
      break;
    case 'PutImageTagMutability':
      repository.imageTagMutability = write.imageTagMutability;
      // As ECR does: the filters sent replace the old ones (none sent, none kept).
      if (write.imageTagMutabilityExclusionFilters) {
        repository.imageTagMutabilityExclusionFilters = structuredClone(
          write.imageTagMutabilityExclusionFilters,
        );
      } else {
        delete repository.imageTagMutabilityExclusionFilters;
      }
      break;
    case 'SetRepositoryPolicy':
      repository.repositoryPolicyText = write.policyText;
      break;
    case 'DeleteRepositoryPolicy':
      delete repository.repositoryPolicyText;
      break;
  }
}

/**
 * The writes to registry-level settings, as ECR applies them (each replaces its document; a template is
 * found by its prefix); false for any other write.
 */
function applyRegistryWrite(state: SandboxState, write: RemediationWrite): boolean {
  const ecr = state.snapshot.ecr;
  switch (write.type) {
    case 'PutReplicationConfiguration':
      ecr.replicationConfiguration = structuredClone(write.replicationConfiguration);
      return true;
    case 'PutRegistryPolicy':
      ecr.registryPolicyText = write.policyText;
      return true;
    case 'DeleteRegistryPolicy':
      // As the AWS adapter does: a policy already gone leaves what the write wants.
      ecr.registryPolicyText = null;
      return true;
    case 'CreateRepositoryCreationTemplate':
    case 'UpdateRepositoryCreationTemplate': {
      const { type, ...template } = write;
      const templates = (ecr.repositoryCreationTemplates ??= []);
      const index = templates.findIndex((t) => normalPrefix(t.prefix) === normalPrefix(write.prefix));
      if (type === 'CreateRepositoryCreationTemplate') {
        if (index >= 0) {
          throw simulatedAwsError(
            'TemplateAlreadyExistsException',
            `The repository creation template with prefix '${write.prefix}' already exists in the registry with id '${state.snapshot.accountId}'`,
          );
        }
        templates.push(structuredClone(template));
      } else {
        if (index < 0) {
          throw simulatedAwsError(
            'TemplateNotFoundException',
            `The repository creation template with prefix '${write.prefix}' does not exist in the registry with id '${state.snapshot.accountId}'`,
          );
        }
        templates[index] = { ...templates[index], ...structuredClone(template) };
      }
      return true;
    }
    default:
      return false;
  }
}

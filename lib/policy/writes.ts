/**
 * The writes remediation may make to the account: one AWS API call each. Rules name the write types their
 * remediation may emit (rules/definition.ts, `remediation.writes`); the remediator adapter maps each type to
 * the IAM action it calls, so a function's IAM grant follows from the rules it runs.
 */
import type { CreationPath } from './aws-facts';
import type { RegistryScanningConfiguration } from './model';
import type { ReplicationConfiguration, RepositoryCreationTemplate } from './registry-settings';

/**
 * The request of CreateRepositoryCreationTemplate and UpdateRepositoryCreationTemplate: the whole template
 * (an update sends every field, so nothing depends on how the API treats an omitted one).
 */
export type TemplateRequest = Pick<
  RepositoryCreationTemplate,
  | 'prefix'
  | 'description'
  | 'encryptionConfiguration'
  | 'resourceTags'
  | 'imageTagMutability'
  | 'imageTagMutabilityExclusionFilters'
  | 'repositoryPolicy'
  | 'lifecyclePolicy'
  | 'customRoleArn'
> & { appliedFor: CreationPath[] };

/** One write to the account. Field names follow the AWS API request parameters. */
export type RemediationWrite =
  | { type: 'PutLifecyclePolicy'; repositoryName: string; registryId?: string; lifecyclePolicyText: string }
  | { type: 'PutImageScanningConfiguration'; repositoryName: string; registryId?: string; scanOnPush: true }
  | {
      type: 'PutRegistryScanningConfiguration';
      scanType: 'BASIC' | 'ENHANCED';
      rules: RegistryScanningConfiguration['rules'];
    }
  | {
      type: 'PutImageTagMutability';
      repositoryName: string;
      registryId?: string;
      imageTagMutability: 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION';
      imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
    }
  | { type: 'SetRepositoryPolicy'; repositoryName: string; registryId?: string; policyText: string }
  | { type: 'DeleteRepositoryPolicy'; repositoryName: string; registryId?: string }
  | { type: 'PutRolePolicy'; roleName: string; policyName: string; policyDocument: string }
  | { type: 'DetachRolePolicy'; roleName: string; policyArn: string }
  | { type: 'UpdateProjectVisibility'; projectArn: string; projectVisibility: 'PRIVATE' }
  // Registry-level settings: each one document per registry, replaced whole.
  | { type: 'PutReplicationConfiguration'; replicationConfiguration: ReplicationConfiguration }
  | { type: 'PutRegistryPolicy'; policyText: string }
  | { type: 'DeleteRegistryPolicy' }
  | ({ type: 'CreateRepositoryCreationTemplate' } & TemplateRequest)
  | ({ type: 'UpdateRepositoryCreationTemplate' } & TemplateRequest);

export type WriteType = RemediationWrite['type'];

/**
 * How each port is built on AWS, as a Need of compose() (lib/runtime/compose.ts): the port, the settings the
 * adapter reads, and the adapter. A front door lists the needs it uses; a bundle keeps only the adapters (and
 * SDK clients) of the needs its entry point references. Each adapter is built with the SDK clients of its scope
 * (`clients`): the process's own, or those of a member account (lib/runtime/members.ts). The ports kept in DynamoDB tables are in
 * lib/runtime/tables.ts: the DynamoDB document client cannot be dropped from a bundle that merely imports it.
 */
import { codebuildClient, ecrClient, iamClient, organizationsClient, snsClient } from '../aws/clients';
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { EcrImages } from '../aws/images';
import { EcrLifecyclePreviewer } from '../aws/lifecycle-preview';
import { AwsOrganization, AwsTargetLister } from '../aws/organizations';
import { AwsProvisioner } from '../aws/provisioner';
import { AwsRemediator } from '../aws/remediator';
import { S3Reports } from '../aws/reports';
import { S3RunStore } from '../aws/run-store';
import { EcrScanFindings } from '../aws/scan-findings';
import { SecurityHubFindings } from '../aws/securityhub';
import { SnsNotifier } from '../aws/sns';
import type { Need } from './compose';

/** ECR, read side. */
export const ecrRegistry: Need<'registry'> = {
  port: 'registry',
  settings: [],
  aws: (_settings, clients) => new EcrRegistry(ecrClient(clients)),
};

/** CodeBuild, read side. */
export const codebuildProjects: Need<'projects'> = {
  port: 'projects',
  settings: [],
  aws: (_settings, clients) => new CodeBuildProjects(codebuildClient(clients)),
};

/** IAM, read side. */
export const iamIdentity: Need<'identity'> = {
  port: 'identity',
  settings: [],
  aws: (_settings, clients) => new IamIdentity(iamClient(clients)),
};

/** The account's organization, read once per scope (a function's process, a CLI command). */
export const awsOrganization: Need<'organization'> = {
  port: 'organization',
  settings: [],
  aws: (_settings, clients) => new AwsOrganization(organizationsClient(clients)),
};

/** Remediation writes to ECR, IAM and CodeBuild. */
export const awsRemediator: Need<'remediator'> = {
  port: 'remediator',
  settings: [],
  aws: (_settings, clients) => AwsRemediator.over(clients),
};

/** Notifications to the SNS topic. */
export const snsNotifier: Need<'notifier'> = {
  port: 'notifier',
  settings: ['BUILDWARDEN_NOTIFICATION_TOPIC_ARN'],
  aws: (settings, clients) =>
    new SnsNotifier(settings.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!, snsClient(clients)),
};

/** DescribeImageScanFindings. */
export const ecrScanFindings: Need<'findings'> = {
  port: 'findings',
  settings: [],
  aws: (_settings, clients) => new EcrScanFindings(ecrClient(clients)),
};

/** Whether an image still exists. */
export const ecrImages: Need<'images'> = {
  port: 'images',
  settings: [],
  aws: (_settings, clients) => new EcrImages(ecrClient(clients)),
};

/** Creates, repairs and deletes managed projects. */
export const awsProvisioner: Need<'provisioner'> = {
  port: 'provisioner',
  settings: [],
  aws: (_settings, clients) => AwsProvisioner.over(clients),
};

/**
 * Organization mode: the accounts and Regions the deployment guards, and their names (AWS Organizations, from
 * the hub: the management account or a delegated administrator).
 */
export const organizationTargets: Need<'targets'> = {
  port: 'targets',
  settings: [],
  aws: (settings, clients) =>
    new AwsTargetLister({
      client: organizationsClient(clients),
      regions: settings.BUILDWARDEN_REGIONS,
      accounts: settings.BUILDWARDEN_ACCOUNTS,
      organizationalUnits: settings.BUILDWARDEN_ORGANIZATIONAL_UNITS,
    }),
};

/** ECR's own lifecycle policy preview (the CLI's `lifecycle preview --compare-aws`; no function needs it). */
export const ecrLifecyclePreview: Need<'lifecyclePreviewer'> = {
  port: 'lifecyclePreviewer',
  settings: [],
  aws: () => new EcrLifecyclePreviewer(),
};

/** Findings to AWS Security Hub (used only when BUILDWARDEN_SECURITY_HUB is true). */
export const securityHubFindings: Need<'securityHub'> = {
  port: 'securityHub',
  settings: [],
  aws: () => new SecurityHubFindings(),
};

/** The reports bucket. */
export const s3Reports: Need<'reports'> = {
  port: 'reports',
  settings: ['BUILDWARDEN_REPORTS_BUCKET'],
  aws: (settings) => new S3Reports(settings.BUILDWARDEN_REPORTS_BUCKET!),
};

/** The organization audit's runs, in the stack's bucket. */
export const s3Runs: Need<'runs'> = {
  port: 'runs',
  settings: ['BUILDWARDEN_RUNS_BUCKET'],
  aws: (settings) => new S3RunStore(settings.BUILDWARDEN_RUNS_BUCKET!),
};

/**
 * How each port is built on AWS, as a Need of compose() (lib/runtime/compose.ts): the port, the settings the
 * adapter reads, and the adapter. A front door lists the needs it uses; a bundle keeps only the adapters (and
 * SDK clients) of the needs its entry point references.
 */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { EcrImages } from '../aws/images';
import { AwsOrganization } from '../aws/organizations';
import { AwsProvisioner } from '../aws/provisioner';
import { DynamoProvisioningClaims } from '../aws/provisioning-claims';
import { AwsRemediator } from '../aws/remediator';
import { EcrScanFindings } from '../aws/scan-findings';
import { SnsNotifier } from '../aws/sns';
import { DynamoVerdictStore } from '../aws/verdicts';
import type { Need } from './compose';

/** ECR, read side. */
export const ecrRegistry: Need<'registry'> = {
  port: 'registry',
  settings: [],
  aws: () => new EcrRegistry(),
};

/** CodeBuild, read side. */
export const codebuildProjects: Need<'projects'> = {
  port: 'projects',
  settings: [],
  aws: () => new CodeBuildProjects(),
};

/** IAM, read side. */
export const iamIdentity: Need<'identity'> = {
  port: 'identity',
  settings: [],
  aws: () => new IamIdentity(),
};

/** The account's organization, read once per scope (a function's process, a CLI command). */
export const awsOrganization: Need<'organization'> = {
  port: 'organization',
  settings: [],
  aws: () => new AwsOrganization(),
};

/** Remediation writes to ECR, IAM and CodeBuild. */
export const awsRemediator: Need<'remediator'> = {
  port: 'remediator',
  settings: [],
  aws: () => new AwsRemediator(),
};

/** Notifications to the SNS topic. */
export const snsNotifier: Need<'notifier'> = {
  port: 'notifier',
  settings: ['BUILDWARDEN_NOTIFICATION_TOPIC_ARN'],
  aws: (settings) => new SnsNotifier(settings.BUILDWARDEN_NOTIFICATION_TOPIC_ARN!),
};

/** DescribeImageScanFindings. */
export const ecrScanFindings: Need<'findings'> = {
  port: 'findings',
  settings: [],
  aws: () => new EcrScanFindings(),
};

/** Whether an image still exists. */
export const ecrImages: Need<'images'> = {
  port: 'images',
  settings: [],
  aws: () => new EcrImages(),
};

/** The verdict store; the build ledger only when its table is set (the gate reads verdicts only). */
export const dynamoVerdicts: Need<'verdicts'> = {
  port: 'verdicts',
  settings: ['BUILDWARDEN_VERDICTS_TABLE'],
  aws: (settings) =>
    new DynamoVerdictStore({
      verdicts: settings.BUILDWARDEN_VERDICTS_TABLE!,
      ...(settings.BUILDWARDEN_BUILDS_TABLE ? { builds: settings.BUILDWARDEN_BUILDS_TABLE } : {}),
    }),
};

/** The verdict store with the build ledger, for the functions that record or look up builds. */
export const dynamoVerdictsAndBuilds: Need<'verdicts'> = {
  port: 'verdicts',
  settings: ['BUILDWARDEN_VERDICTS_TABLE', 'BUILDWARDEN_BUILDS_TABLE'],
  aws: (settings) =>
    new DynamoVerdictStore({
      verdicts: settings.BUILDWARDEN_VERDICTS_TABLE!,
      builds: settings.BUILDWARDEN_BUILDS_TABLE!,
    }),
};

/** Creates, repairs and deletes managed projects. */
export const awsProvisioner: Need<'provisioner'> = {
  port: 'provisioner',
  settings: [],
  aws: () => new AwsProvisioner(),
};

/** Claims on project names, in the idempotency table. */
export const dynamoClaims: Need<'claims'> = {
  port: 'claims',
  settings: ['BUILDWARDEN_IDEMPOTENCY_TABLE'],
  aws: (settings) => new DynamoProvisioningClaims(settings.BUILDWARDEN_IDEMPOTENCY_TABLE!),
};

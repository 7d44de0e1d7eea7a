/**
 * How each port is built on AWS, as a Need of compose() (lib/runtime/compose.ts): the port, the settings the
 * adapter reads, and the adapter. A front door lists the needs it uses; a bundle keeps only the adapters (and
 * SDK clients) of the needs its entry point references. The ports kept in DynamoDB tables are in
 * lib/runtime/tables.ts: the DynamoDB document client cannot be dropped from a bundle that merely imports it.
 */
import { CodeBuildProjects } from '../aws/codebuild';
import { EcrRegistry } from '../aws/ecr';
import { IamIdentity } from '../aws/iam';
import { EcrImages } from '../aws/images';
import { AwsOrganization } from '../aws/organizations';
import { AwsProvisioner } from '../aws/provisioner';
import { AwsRemediator } from '../aws/remediator';
import { S3RunStore } from '../aws/run-store';
import { EcrScanFindings } from '../aws/scan-findings';
import { SnsNotifier } from '../aws/sns';
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

/** Creates, repairs and deletes managed projects. */
export const awsProvisioner: Need<'provisioner'> = {
  port: 'provisioner',
  settings: [],
  aws: () => new AwsProvisioner(),
};

/** The organization audit's runs, in the stack's bucket. */
export const s3Runs: Need<'runs'> = {
  port: 'runs',
  settings: ['BUILDWARDEN_RUNS_BUCKET'],
  aws: (settings) => new S3RunStore(settings.BUILDWARDEN_RUNS_BUCKET!),
};

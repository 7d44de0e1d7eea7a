/**
 * The SDK clients of a process, each created on first use and then shared by every adapter that calls that
 * service. Nothing is created when a module is loaded: a function's cold start pays only for the clients its
 * first invocation uses (an ECR change event never creates the IAM client), and a bundle keeps only the
 * clients its adapters reference.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { clientConfig } from './common';

let codebuild: CodeBuildClient | undefined;
let ecr: ECRClient | undefined;
let iam: IAMClient | undefined;
let organizations: OrganizationsClient | undefined;
let s3: S3Client | undefined;
let sns: SNSClient | undefined;
let sts: STSClient | undefined;

export const codebuildClient = (): CodeBuildClient => (codebuild ??= new CodeBuildClient(clientConfig));
export const ecrClient = (): ECRClient => (ecr ??= new ECRClient(clientConfig));
export const iamClient = (): IAMClient => (iam ??= new IAMClient(clientConfig));
export const organizationsClient = (): OrganizationsClient =>
  (organizations ??= new OrganizationsClient(clientConfig));
export const s3Client = (): S3Client => (s3 ??= new S3Client(clientConfig));
export const snsClient = (): SNSClient => (sns ??= new SNSClient(clientConfig));
export const stsClient = (): STSClient => (sts ??= new STSClient(clientConfig));

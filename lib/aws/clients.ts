/**
 * The SDK clients of a process, each created on first use and then shared by every adapter that calls that
 * service. Nothing is created when a module is loaded: a function's cold start pays only for the clients its
 * first invocation uses (an ECR change event never creates the IAM client), and a bundle keeps only the
 * clients its adapters reference (a client class is named only by its accessor below, `ecrClient` …). Each is
 * instrumented when created (lib/aws/instrument.ts): its calls are counted and, when tracing is on, captured by
 * the tracer.
 *
 * Organization mode adds client sets of member accounts (`targetClients`): the clients of one account and
 * Region, signed with its member role's credentials, for the services whose resources live in that account
 * (ECR, CodeBuild, IAM). What stays in the hub — its topic, its tables, its own identity, the organization — is
 * reached through the process's clients whichever account an adapter works for.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { clientConfig } from './common';
import { instrumented } from './instrument';

/** What SDK clients accept as `credentials`: a provider asked before signing (the SDK keeps what it answers). */
export type CredentialsProvider = () => Promise<Awaited<ReturnType<STSClient['config']['credentials']>>>;

/** The configuration buildwarden gives a client: the shared retry settings, and a Region and credentials. */
export type ClientOptions = typeof clientConfig & { region?: string; credentials?: CredentialsProvider };

/** An SDK client class. */
export type ClientClass<C> = new (options: ClientOptions) => C;

/** Where a scope's adapters get their SDK clients: each client created when first asked for, then kept. */
export interface AwsClients {
  /** A client of the account and Region the scope works in (a member account's: its member role's). */
  target<C>(Client: ClientClass<C>): C;
  /** A client of the hub's own services (its topic, identity, organization): always the process's. */
  hub<C>(Client: ClientClass<C>): C;
}

/** Clients of `options`, one per class, each created on first use. */
function clientCache(options: ClientOptions): <C>(Client: ClientClass<C>) => C {
  const made = new Map<unknown, unknown>();
  return <C>(Client: ClientClass<C>): C => {
    if (!made.has(Client)) made.set(Client, instrumented(new Client(options) as object));
    return made.get(Client) as C;
  };
}

const processClient = clientCache(clientConfig);

/** The process's own clients: its credentials, its Region. */
export const processClients: AwsClients = { target: processClient, hub: processClient };

/** The clients of one account and Region: those of its resources signed with `credentials`, the hub's its own. */
export function targetClients(region: string, credentials: CredentialsProvider): AwsClients {
  return { target: clientCache({ ...clientConfig, region, credentials }), hub: processClient };
}

// The services, each on the side it lives: ECR, CodeBuild and IAM in the account worked in; Organizations,
// S3, SNS and STS in the hub. Without `clients`, the process's.
export const codebuildClient = (clients: AwsClients = processClients): CodeBuildClient =>
  clients.target(CodeBuildClient);
export const ecrClient = (clients: AwsClients = processClients): ECRClient => clients.target(ECRClient);
export const iamClient = (clients: AwsClients = processClients): IAMClient => clients.target(IAMClient);
export const organizationsClient = (clients: AwsClients = processClients): OrganizationsClient =>
  clients.hub(OrganizationsClient);
export const s3Client = (clients: AwsClients = processClients): S3Client => clients.hub(S3Client);
export const snsClient = (clients: AwsClients = processClients): SNSClient => clients.hub(SNSClient);
export const stsClient = (clients: AwsClients = processClients): STSClient => clients.hub(STSClient);

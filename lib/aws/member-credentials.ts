/**
 * Organization mode: the credentials of a member account's role, from sts:AssumeRole with the deployment's
 * external id (README "Organizations"), kept per role until shortly before they expire. The SDK clients of a
 * member account (lib/aws/clients.ts, `targetClients`) ask for them before signing; a denied call in a member
 * account is a ForbiddenError naming the member role, so an answer says which grant is missing.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { ForbiddenError } from '../errors';
import { partitionOf } from '../policy/aws-facts';
import { stsClient, targetClients, type AwsClients, type CredentialsProvider } from './clients';

/** Declared for the functions that act in member accounts, on the member role's ARN only (serverless.yml). */
export const memberCredentialsActions = ['sts:AssumeRole'] as const;

/** Credentials are asked for again this long before they expire, so no call is signed with expiring ones. */
export const MEMBER_CREDENTIALS_REFRESH_MS = 5 * 60_000;

/** The session name of the hub in member accounts: CloudTrail records `assumed-role/<member role>/<this>`. */
export const MEMBER_SESSION_NAME = 'buildwarden';

/** The member role of an account: `arn:<partition>:iam::<account>:role/<name>` (partition of the Region). */
export function memberRoleArn(accountId: string, region: string, roleName: string): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`;
}

/** AWS's answers to a call its caller's policies do not allow (STS, IAM, ECR, CodeBuild). */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

type Credentials = Awaited<ReturnType<CredentialsProvider>>;

export interface MemberCredentialsOptions {
  /** The hub's STS client. Default: the process's. */
  client?: STSClient;
  /** Epoch milliseconds. */
  now?: () => number;
}

/** Credentials of member roles, one AssumeRole per role until they are about to expire. */
export class MemberCredentials {
  private readonly kept = new Map<string, Promise<Credentials>>();
  private readonly now: () => number;

  constructor(private readonly options: MemberCredentialsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** A provider of the role's credentials, assuming it when none are kept or they are about to expire. */
  provider(roleArn: string, externalId: string): CredentialsProvider {
    return () => this.credentials(roleArn, externalId);
  }

  private async credentials(roleArn: string, externalId: string): Promise<Credentials> {
    const key = `${roleArn}\n${externalId}`;
    const kept = this.kept.get(key);
    if (kept) {
      const credentials = await kept.catch(() => undefined);
      const expires = credentials?.expiration?.getTime();
      if (credentials && (expires === undefined || expires - MEMBER_CREDENTIALS_REFRESH_MS > this.now()))
        return credentials;
      if (this.kept.get(key) === kept) this.kept.delete(key);
    }
    const assumed = this.assume(roleArn, externalId);
    this.kept.set(key, assumed);
    assumed.catch(() => {
      if (this.kept.get(key) === assumed) this.kept.delete(key); // a failure is not kept
    });
    return assumed;
  }

  private async assume(roleArn: string, externalId: string): Promise<Credentials> {
    const client = this.options.client ?? stsClient();
    let answer;
    try {
      answer = await client.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          ExternalId: externalId,
          RoleSessionName: MEMBER_SESSION_NAME,
        }),
      );
    } catch (error) {
      if (error instanceof Error && DENIED.has(error.name)) {
        throw new ForbiddenError(
          `the hub may not assume ${roleArn}: is the member stack deployed in that account, with this hub and external id?`,
          { cause: error },
        );
      }
      throw error;
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new Error(`AssumeRole on ${roleArn} returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  }
}

/** The credentials of the process's member roles. */
export const processMemberCredentials = new MemberCredentials();

/** A middleware turning a denied call into a ForbiddenError naming the member role and the account. */
function deniedNamesMemberRole(client: unknown, roleArn: string, isHub: () => Promise<boolean>): void {
  const stack = (client as { middlewareStack?: { add: (mw: unknown, options: unknown) => void } })
    .middlewareStack;
  stack?.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        try {
          return await next(args);
        } catch (error) {
          if (error instanceof Error && DENIED.has(error.name) && !(await isHub())) {
            throw new ForbiddenError(
              `the member role ${roleArn} does not allow ${context.commandName?.replace(/Command$/, '') ?? 'this call'}` +
                ' (for provisioning: is the member stack deployed with provisioning enabled?)',
              { cause: error },
            );
          }
          throw error;
        }
      },
    { step: 'initialize', name: 'buildwardenMemberDenied' },
  );
}

/**
 * The SDK clients of a member account and Region: each signed with the member role's credentials (assumed
 * with the external id, kept until shortly before they expire); a denied call names the member role. When
 * `hubAccount` answers the target's own account, the process's credentials sign instead (the hub never
 * assumes a role in its own account), in the target's Region.
 */
export function memberClients(
  target: { accountId: string; region: string },
  role: { roleName: string; externalId: () => string },
  options: { credentials?: MemberCredentials; hubAccount?: () => Promise<string> } = {},
): AwsClients {
  const roleArn = memberRoleArn(target.accountId, target.region, role.roleName);
  const credentials = options.credentials ?? processMemberCredentials;
  const isHub = async () => (options.hubAccount ? (await options.hubAccount()) === target.accountId : false);
  const provider: CredentialsProvider = async () =>
    (await isHub()) ? stsClient().config.credentials() : credentials.provider(roleArn, role.externalId())();
  const base = targetClients(target.region, provider);
  const decorated = new WeakSet<object>();
  return {
    hub: base.hub,
    target: (Client) => {
      const client = base.target(Client);
      if (!decorated.has(client as object)) {
        decorated.add(client as object);
        deniedNamesMemberRole(client, roleArn, isHub);
      }
      return client;
    },
  };
}

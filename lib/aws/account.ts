/** Which account and region the credentials in use point at. */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AccountInfo } from '../ports';
import { stsClient } from './clients';

/** sts:GetCallerIdentity needs no IAM permission; it is declared so the least-privilege test sees every call. */
export const stsActions = ['sts:GetCallerIdentity'] as const;

export async function currentAccount(client: STSClient = stsClient()): Promise<AccountInfo> {
  const [identity, region] = await Promise.all([
    client.send(new GetCallerIdentityCommand({})),
    client.config.region(),
  ]);
  if (!identity.Account) throw new Error('GetCallerIdentity returned no account id');
  return { accountId: identity.Account, region };
}

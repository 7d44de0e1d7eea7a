import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { currentAccount, stsActions } from '../../../lib/aws/account';

const stsMock = mockClient(STSClient);

/** GetCallerIdentity as documented for `aws sts get-caller-identity` (an IAM user in account 123456789012). */
const callerIdentity = () => ({
  UserId: 'AIDASAMPLEUSERID',
  Account: '123456789012',
  Arn: 'arn:aws:iam::123456789012:user/DevAdmin',
});

beforeEach(() => {
  stsMock.reset();
});

describe('currentAccount', () => {
  it('names the account GetCallerIdentity reports', async () => {
    // Prepare
    stsMock.on(GetCallerIdentityCommand).resolves(callerIdentity());

    // Act
    const account = await currentAccount(new STSClient({ region: 'eu-central-1' }));

    // Assess
    expect(account.accountId).toBe('123456789012');
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(GetCallerIdentityCommand, {});
  });

  it("names the region the client is configured for, not one from the caller's ARN", async () => {
    // Prepare
    stsMock.on(GetCallerIdentityCommand).resolves(callerIdentity());

    // Act
    const account = await currentAccount(new STSClient({ region: 'eu-central-1' }));

    // Assess
    expect(account).toEqual({ accountId: '123456789012', region: 'eu-central-1' });
  });

  it('falls back to the region of the environment for the default client', async () => {
    // Prepare: tests/setup-env.ts sets AWS_REGION (us-east-1 unless the caller chose one)
    stsMock.on(GetCallerIdentityCommand).resolves(callerIdentity());

    // Act
    const account = await currentAccount();

    // Assess
    expect(account.region).toBe(process.env.AWS_REGION);
  });

  it('fails when GetCallerIdentity returns no account id', async () => {
    // Prepare
    stsMock.on(GetCallerIdentityCommand).resolves({ UserId: 'AIDASAMPLEUSERID' });

    // Act
    const reading = currentAccount(new STSClient({ region: 'eu-central-1' }));

    // Assess
    await expect(reading).rejects.toThrow('GetCallerIdentity returned no account id');
  });

  it('declares the one STS action it sends', async () => {
    // Prepare
    stsMock.on(GetCallerIdentityCommand).resolves(callerIdentity());

    // Act
    await currentAccount(new STSClient({ region: 'eu-central-1' }));

    // Assess
    const sent = stsMock
      .calls()
      .map((call) => `sts:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`);
    expect([...new Set(sent)]).toEqual([...stsActions]);
  });
});

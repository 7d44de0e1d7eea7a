/**
 * Member role credentials over a mocked STS: AssumeRole on the member role of the target's partition with the
 * external id, kept per role until shortly before they expire (an injected clock), a denial named; and the SDK
 * clients of a member account signed with them, in the target's Region.
 */
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ecrClient } from '../../../lib/aws/clients';
import {
  MEMBER_CREDENTIALS_REFRESH_MS,
  MEMBER_SESSION_NAME,
  MemberCredentials,
  memberClients,
  memberRoleArn,
} from '../../../lib/aws/member-credentials';
import { ForbiddenError } from '../../../lib/errors';

const stsMock = mockClient(STSClient);

const T0 = Date.parse('2026-12-07T10:00:00Z');
const HOUR = 3_600_000;
const ROLE = 'arn:aws:iam::444455556666:role/buildwarden-member';

/** An AssumeRole answer as documented (STS API Reference), expiring `expiresAt`. */
function assumed(key: string, expiresAt: number) {
  return {
    Credentials: {
      AccessKeyId: key,
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      SessionToken: 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW',
      Expiration: new Date(expiresAt),
    },
    AssumedRoleUser: {
      Arn: `arn:aws:sts::444455556666:assumed-role/buildwarden-member/${MEMBER_SESSION_NAME}`,
      AssumedRoleId: 'ARO123EXAMPLE123:buildwarden',
    },
  };
}

beforeEach(() => {
  stsMock.reset();
});

describe('memberRoleArn', () => {
  test('names the role in the partition of the Region', () => {
    expect(memberRoleArn('444455556666', 'eu-west-1', 'buildwarden-member')).toBe(ROLE);
    expect(memberRoleArn('444455556666', 'cn-north-1', 'bw')).toBe('arn:aws-cn:iam::444455556666:role/bw');
  });
});

describe('MemberCredentials', () => {
  test('assumes the member role with the external id and the buildwarden session name', async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed('ASIAFIRST', T0 + HOUR));
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => T0 });

    const got = await credentials.provider(ROLE, 'org-external-id')();

    expect(got.accessKeyId).toBe('ASIAFIRST');
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: ROLE,
      ExternalId: 'org-external-id',
      RoleSessionName: MEMBER_SESSION_NAME,
    });
  });

  test('keeps the credentials of a role: a second call assumes nothing', async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed('ASIAFIRST', T0 + HOUR));
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => T0 });

    await credentials.provider(ROLE, 'x-id')();
    const again = await credentials.provider(ROLE, 'x-id')();

    expect(again.accessKeyId).toBe('ASIAFIRST');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  test('assumes again shortly before the kept credentials expire', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(assumed('ASIAFIRST', T0 + HOUR))
      .resolvesOnce(assumed('ASIASECOND', T0 + 2 * HOUR));
    let now = T0;
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => now });
    await credentials.provider(ROLE, 'x-id')();

    now = T0 + HOUR - MEMBER_CREDENTIALS_REFRESH_MS + 1;
    const refreshed = await credentials.provider(ROLE, 'x-id')();

    expect(refreshed.accessKeyId).toBe('ASIASECOND');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  test('keeps credentials per role: another account assumes its own', async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed('ASIAFIRST', T0 + HOUR));
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => T0 });

    await credentials.provider(ROLE, 'x-id')();
    await credentials.provider('arn:aws:iam::777788889999:role/buildwarden-member', 'x-id')();

    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  test('a denied AssumeRole is a ForbiddenError naming the role, and is not kept', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
      name: 'AccessDenied',
    });
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(denied)
      .resolvesOnce(assumed('ASIAFIRST', T0 + HOUR));
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => T0 });

    const first = credentials.provider(ROLE, 'x-id')();
    await expect(first).rejects.toBeInstanceOf(ForbiddenError);
    await expect(first).rejects.toThrow(ROLE);
    await expect(credentials.provider(ROLE, 'x-id')()).resolves.toMatchObject({ accessKeyId: 'ASIAFIRST' });
  });
});

describe('memberClients', () => {
  test('a member account’s ECR client works in the target’s Region with the member role’s credentials', async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed('ASIAMEMBER', T0 + HOUR));
    const credentials = new MemberCredentials({ client: new STSClient({}), now: () => T0 });
    const clients = memberClients(
      { accountId: '444455556666', region: 'eu-west-1' },
      { roleName: 'buildwarden-member', externalId: () => 'x-id' },
      { credentials, hubAccount: async () => '111122223333' },
    );

    const ecr = ecrClient(clients);

    expect(ecr).toBeInstanceOf(ECRClient);
    await expect(ecr.config.region()).resolves.toBe('eu-west-1');
    await expect(ecr.config.credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAMEMBER' });
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: ROLE, ExternalId: 'x-id' });
  });

  test('a call the member role does not allow is a ForbiddenError naming the role and the call', async () => {
    // Prepare: ECR answers AccessDeniedException (thrown where the request is built, before it is sent)
    stsMock.on(AssumeRoleCommand).resolves(assumed('ASIAMEMBER', Date.now() + HOUR));
    const clients = memberClients(
      { accountId: '444455556666', region: 'eu-west-1' },
      { roleName: 'buildwarden-member', externalId: () => 'x-id' },
      {
        credentials: new MemberCredentials({ client: new STSClient({}) }),
        hubAccount: async () => '111122223333',
      },
    );
    const ecr = ecrClient(clients);
    ecr.middlewareStack.add(
      () => () => {
        throw Object.assign(new Error('not authorized to perform: ecr:CreateRepository'), {
          name: 'AccessDeniedException',
        });
      },
      { step: 'build', name: 'deniedForTest' },
    );

    // Act
    const sent = ecr.send(new CreateRepositoryCommand({ repositoryName: 'payments/ledger' }));

    // Assess
    await expect(sent).rejects.toBeInstanceOf(ForbiddenError);
    await expect(sent).rejects.toThrow(`the member role ${ROLE} does not allow CreateRepository`);
  });

  test('the hub’s own account in another Region assumes nothing', async () => {
    const clients = memberClients(
      { accountId: '111122223333', region: 'eu-west-1' },
      {
        roleName: 'buildwarden-member',
        externalId: () => {
          throw new Error('no external id is needed in the hub account');
        },
      },
      { hubAccount: async () => '111122223333' },
    );

    await ecrClient(clients).config.region();
    await ecrClient(clients)
      .config.credentials()
      .catch(() => undefined); // the process's own chain: no credentials on this machine is fine

    expect(stsMock).not.toHaveReceivedCommand(AssumeRoleCommand);
  });
});

/**
 * `audit --org` and `snapshot --org` on a "live" organization: the SDK clients mocked at the class. The
 * credentials are those of the management account (111111111111, the AWS CLI example's ListAccounts); every
 * other account is read through its member role, assumed with the external id. The ECR mock resolves the
 * credentials each call would be signed with, so each account answers with its own repositories.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeAccountCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { cli } from '../fixtures/cli';
import { awsSample } from '../fixtures/load';
import { answerAsRepositoriesOnly } from '../fixtures/live-account';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const codebuild = mockClient(CodeBuildClient);
const iam = mockClient(IAMClient);
const organizations = mockClient(OrganizationsClient);

const MANAGEMENT = '111111111111';
/** The account whose member role cannot be assumed (no member stack, or an SCP). */
const UNREACHABLE = '444444444444';
const REGION = 'us-east-1';
const EXTERNAL_ID = 'org-external-id';

/** The account the credentials of a call belong to: the management account's own, or a member role's. */
async function accountOf(client: ECRClient): Promise<string> {
  const { accessKeyId } = await client.config.credentials();
  return accessKeyId.startsWith('ASIA') ? accessKeyId.slice(4) : MANAGEMENT;
}

beforeEach(() => {
  for (const m of [ecr, sts, codebuild, iam, organizations]) m.reset();
  answerAsRepositoriesOnly({ ecr, codebuild, iam, organizations });
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: MANAGEMENT, Arn: `arn:aws:iam::${MANAGEMENT}:user/security-admin` });
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(input.RoleArn)![1]!;
    if (account === UNREACHABLE) {
      throw new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: {},
        message: `User is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
      });
    }
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}`,
        SecretAccessKey: 'member-secret',
        SessionToken: 'member-token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  });
  organizations
    .on(ListAccountsCommand)
    .resolves(awsSample('api-organizations-list-accounts.aws-cli-example.json'));
  organizations.on(DescribeAccountCommand).resolves({});
  ecr.on(DescribeRepositoriesCommand).callsFake(async (_input, getClient) => {
    const account = await accountOf(getClient() as ECRClient);
    return {
      repositories: [
        {
          repositoryArn: `arn:aws:ecr:${REGION}:${account}:repository/app-${account}`,
          registryId: account,
          repositoryName: `app-${account}`,
          repositoryUri: `${account}.dkr.ecr.${REGION}.amazonaws.com/app-${account}`,
          createdAt: new Date('2026-01-05T10:00:00Z'),
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfiguration: { encryptionType: 'AES256' },
        },
      ],
    };
  });
});

interface OrgJson {
  targets: { accountId: string; region: string }[];
  findings: { accountId: string; region: string; status: string; ruleId: string; resourceArn: string }[];
  summary: { byAccount: Record<string, { name?: string; byStatus: Record<string, number> }> };
}

const RULES = ['--rules', 'ecr.tag-immutability'];

describe('buildwarden audit --org on the live organization', () => {
  test('audits every ACTIVE account of ListAccounts in the region of the credentials', async () => {
    // Act
    const result = await cli(['audit', '--org', '--format', 'json', ...RULES], {
      BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    });

    // Assess
    const report = JSON.parse(result.stdout) as OrgJson;
    expect(report.targets).toEqual(
      ['111111111111', '222222222222', '333333333333', UNREACHABLE].map((accountId) => ({
        accountId,
        region: REGION,
      })),
    );
    expect(report.summary.byAccount['222222222222']?.name).toBe('Production Account');
    expect(result.stderr).toContain('auditing 4 account-regions');
  });

  test('assumes each member account’s role with the external id, never the management account’s', async () => {
    // Act
    await cli(['audit', '--org', '--format', 'json', ...RULES], {
      BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    });

    // Assess
    const assumed = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assumed.map((input) => input.RoleArn).sort()).toEqual([
      'arn:aws:iam::222222222222:role/buildwarden-member',
      'arn:aws:iam::333333333333:role/buildwarden-member',
      `arn:aws:iam::${UNREACHABLE}:role/buildwarden-member`,
    ]);
    expect(assumed.every((input) => input.ExternalId === EXTERNAL_ID)).toBe(true);
  });

  test('reads each account with its own credentials: its findings name its own repositories', async () => {
    // Act
    const result = await cli(['audit', '--org', '--format', 'json', ...RULES], {
      BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    });

    // Assess
    const report = JSON.parse(result.stdout) as OrgJson;
    for (const account of [MANAGEMENT, '222222222222', '333333333333']) {
      expect(
        report.findings.filter((f) => f.ruleId === 'ecr.tag-immutability' && f.accountId === account),
      ).toEqual([
        expect.objectContaining({
          status: 'violation',
          resourceArn: `arn:aws:ecr:${REGION}:${account}:repository/app-${account}`,
        }),
      ]);
    }
  });

  test('an account whose role cannot be assumed is one not-visible finding and the run goes on', async () => {
    // Act
    const result = await cli(['audit', '--org', '--format', 'json', ...RULES], {
      BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    });

    // Assess
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as OrgJson;
    const unreachable = report.findings.filter((f) => f.accountId === UNREACHABLE);
    expect(unreachable).toEqual([
      expect.objectContaining({ ruleId: 'organization.account-audited', status: 'not-visible' }),
    ]);
    expect(result.stderr).toMatch(
      new RegExp(`account ${UNREACHABLE} ${REGION}: not audited \\(AccessDenied: .*sts:AssumeRole.*\\)`),
    );
  });

  test('--external-id, --role-name, --accounts and --regions override the settings', async () => {
    // Act
    const result = await cli(
      [
        'audit',
        '--org',
        '--format',
        'json',
        ...RULES,
        '--external-id',
        'from-the-flag',
        '--role-name',
        'audit-reader',
        '--accounts',
        '222222222222',
        '--regions',
        'eu-west-1',
      ],
      { BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID, BUILDWARDEN_REGIONS: 'us-east-1' },
    );

    // Assess
    expect((JSON.parse(result.stdout) as OrgJson).targets).toEqual([
      { accountId: '222222222222', region: 'eu-west-1' },
    ]);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/audit-reader',
      ExternalId: 'from-the-flag',
    });
  });

  test('without an external id it exits 2 naming the flag and the setting, before any call', async () => {
    // Act
    const result = await cli(['audit', '--org']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--external-id ID or \$BUILDWARDEN_MEMBER_EXTERNAL_ID/);
    expect(organizations.calls()).toHaveLength(0);
  });

  test('a malformed --role-name exits 2 naming the flag', async () => {
    // Act
    const result = await cli(['audit', '--org', '--role-name', 'no spaces allowed'], {
      BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--role-name');
  });
});

describe('buildwarden snapshot --org on the live organization', () => {
  test('writes one snapshot per reachable account-region, each read through its own credentials', async () => {
    // Prepare
    const out = mkdtempSync(path.join(tmpdir(), 'bw-org-snap-'));

    // Act
    const result = await cli(
      ['snapshot', '--org', '--out', out, '--accounts', `222222222222,${MANAGEMENT}`],
      {
        BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
      },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      `${MANAGEMENT}.${REGION}.json`,
      `222222222222.${REGION}.json`,
      'fleet.json',
    ]);
    const member = parseSnapshot(readFileSync(path.join(out, `222222222222.${REGION}.json`), 'utf8'));
    expect(member.accountId).toBe('222222222222');
    expect(member.ecr.repositories.map((r) => r.repositoryName)).toEqual(['app-222222222222']);
  });

  test('leaves out an account whose role cannot be assumed, with a warning, and writes the others', async () => {
    // Prepare
    const out = mkdtempSync(path.join(tmpdir(), 'bw-org-snap-'));

    // Act
    const result = await cli(
      ['snapshot', '--org', '--out', out, '--accounts', `222222222222,${UNREACHABLE}`],
      {
        BUILDWARDEN_MEMBER_EXTERNAL_ID: EXTERNAL_ID,
      },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warning: account ${UNREACHABLE} ${REGION} left out`));
    expect(readdirSync(out).sort()).toEqual([`222222222222.${REGION}.json`, 'fleet.json']);
  });
});

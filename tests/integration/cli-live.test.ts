/**
 * The CLI against a "live" account: the SDK adapters with every client mocked at the class (no network).
 * Checks what only the live path does: progress on stderr, read-only calls, a snapshot file that round-trips.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import {
  AccessDeniedException,
  DescribeOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { cli, tempFile } from '../fixtures/cli';
import { describeRepositoriesSample, getLifecyclePolicySample } from '../fixtures/ecr/sdk-responses';
import { answerAsRepositoriesOnly } from '../fixtures/live-account';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const codebuild = mockClient(CodeBuildClient);
const iam = mockClient(IAMClient);
const organizations = mockClient(OrganizationsClient);

beforeEach(() => {
  for (const m of [ecr, sts, codebuild, iam, organizations]) m.reset();
  answerAsRepositoriesOnly({ ecr, codebuild, iam, organizations }, '012345678910');
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '012345678910', Arn: 'arn:aws:iam::012345678910:user/ci' });
  ecr.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());
  ecr.on(GetLifecyclePolicyCommand, { repositoryName: 'ubuntu' }).resolves(getLifecyclePolicySample());
});

/** The SDK takes the region from the process environment (tests/setup-env.ts sets us-east-1). */
const env = {};

describe('buildwarden audit on a live account', () => {
  test('prints progress on stderr and the findings on stdout', async () => {
    const result = await cli(
      ['audit', '--format', 'json', '--rules', 'ecr.lifecycle-policy,ecr.scan-on-push'],
      env,
    );

    expect(result.stderr).toMatch(/^listed 2 repositories$/m);
    expect(result.stderr).toMatch(/^reading repositories 2\/2$/m);
    const { findings } = JSON.parse(result.stdout) as {
      findings: { resourceArn: string; ruleId: string; status: string }[];
    };
    expect(
      findings.find((f) => f.resourceArn.endsWith('/test') && f.ruleId === 'ecr.lifecycle-policy')?.status,
    ).toBe('violation');
    expect(result.code).toBe(1);
  });

  test('makes read calls only', async () => {
    await cli(['audit', '--format', 'json'], env);

    const sent = [ecr, sts, codebuild, iam, organizations].flatMap((m) =>
      m.calls().map((c) => (c.args[0] as object).constructor.name),
    );
    expect(sent.filter((name) => !/^(Describe|Get|List|BatchGet)/.test(name))).toEqual([]);
  });
});

describe('buildwarden snapshot', () => {
  test('writes a snapshot file that parses and names the account of the credentials', async () => {
    const out = tempFile('snap.json', '');

    const result = await cli(['snapshot', '--out', out], env);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/wrote .*snap\.json: 2 repositories/);
    const snapshot = parseSnapshot(readFileSync(out, 'utf8'));
    expect(snapshot).toMatchObject({ accountId: '012345678910', region: process.env.AWS_REGION });
    expect(snapshot.ecr.repositories.map((r) => r.repositoryName).sort()).toEqual(['test', 'ubuntu']);
  });

  test('records the organization of the account', async () => {
    const out = tempFile('snap.json', '');

    await cli(['snapshot', '--out', out], env);

    expect(parseSnapshot(readFileSync(out, 'utf8')).organizationId).toBe('o-exampleorgid');
  });

  test('warns and leaves organizationId out when the organization cannot be read', async () => {
    organizations.on(DescribeOrganizationCommand).rejects(
      new AccessDeniedException({
        message: 'You don’t have permissions to access this resource.',
        $metadata: {},
      }),
    );
    const out = tempFile('snap.json', '');

    const result = await cli(['snapshot', '--out', out], env);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: could not read the account's organization \(organizationId left out\): AccessDeniedException/m,
    );
    expect(parseSnapshot(readFileSync(out, 'utf8')).organizationId).toBeUndefined();
  });
});

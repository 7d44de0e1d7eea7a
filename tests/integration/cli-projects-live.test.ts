/**
 * `buildwarden projects create` against a "live" account (the SDK adapters, every client mocked at the class,
 * no network): the name is claimed in the deployed stack's idempotency table when one is named, as the API
 * claims it, so a CLI request never builds a project another request is building.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, tempFile } from '../fixtures/cli';
import { awsSample, REPO_ROOT } from '../fixtures/load';

const ecr = mockClient(ECRClient);
const codebuild = mockClient(CodeBuildClient);
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const organizations = mockClient(OrganizationsClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const body = tempFile('body.json', readFileSync(path.join(REPO_ROOT, 'demo/new-project.json'), 'utf8'));
const HELD = {
  id: 'buildwarden-provisioning#payments-ledger',
  name: 'payments-ledger',
  token: 'another-request',
  specHash: 'another-spec',
  state: 'in-progress',
  expiresAt: Date.now() + 10 * 60_000,
};

beforeEach(() => {
  for (const m of [ecr, codebuild, iam, sts, organizations, dynamo]) m.reset();
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ops' });
  organizations
    .on(DescribeOrganizationCommand)
    .resolves(awsSample('api-organizations-describe-organization.botocore-example.json'));
  dynamo
    .on(PutCommand)
    .rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    );
  dynamo.on(GetCommand).resolves({ Item: HELD });
});

const create = (...extra: string[]) =>
  cli(['projects', 'create', '--file', body, '--config', 'demo/guardrails.yml', ...extra]);

describe('buildwarden projects create on a live account', () => {
  test('with --claims-table, a name another request holds is refused (exit 1) before anything is created', async () => {
    // Act
    const result = await create('--claims-table', 'bw-idempotency');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('project payments/ledger is being changed by another request');
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'bw-idempotency',
      Item: { id: 'buildwarden-provisioning#payments-ledger', state: 'in-progress' },
    });
    const writes = [...ecr.calls(), ...codebuild.calls(), ...iam.calls()]
      .map((c) => (c.args[0] as object).constructor.name)
      .filter((name) => !/^(Describe|Get|List|BatchGet)/.test(name));
    expect(writes).toEqual([]);
  });

  test('takes the table from BUILDWARDEN_IDEMPOTENCY_TABLE when no flag names one', async () => {
    // Act
    const result = await cli(['projects', 'create', '--file', body, '--config', 'demo/guardrails.yml'], {
      BUILDWARDEN_IDEMPOTENCY_TABLE: 'stack-idempotency',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input.TableName).toBe('stack-idempotency');
  });

  test('--claims-table with --snapshot is a usage error (the sandbox plays the claims)', async () => {
    // Act
    const result = await create('--claims-table', 'bw-idempotency', '--snapshot', 'demo/account.json');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--claims-table goes without --snapshot');
    expect(dynamo.calls()).toEqual([]);
  });
});

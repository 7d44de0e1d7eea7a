/**
 * Small things a CLI user trips over: command groups list their subcommands, messages name flags as they are
 * typed, a missing verdicts table is named. The CLI runs in process; DynamoDB is mocked at the class.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { cli } from '../fixtures/cli';

const dynamo = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);

beforeEach(() => {
  dynamo.reset();
  sts.reset();
  // The gate asks for the image of the credentials' own account and region.
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
});

describe('command groups', () => {
  it.each([
    ['projects', ['create', 'list', 'show', 'delete']],
    ['lifecycle', ['validate', 'preview']],
    ['config', ['validate']],
  ])('buildwarden %s --help lists its subcommands, exit 0', async (group, subcommands) => {
    // Act
    const result = await cli([group, '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: buildwarden ${group} <subcommand>`));
    const listed = result.stdout
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l))
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(subcommands);
  });

  it('-h works as --help', async () => {
    // Act
    const result = await cli(['projects', '-h']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Subcommands:/);
  });

  it('a group without a subcommand exits 2 listing them', async () => {
    // Act
    const result = await cli(['projects']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/projects needs a subcommand/);
    expect(result.stderr).toMatch(/^ {2}create /m);
  });

  it('a subcommand still shows its own help', async () => {
    // Act
    const result = await cli(['projects', 'delete', '--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: buildwarden projects delete NAME \[--force\]/);
  });
});

describe('messages name flags as typed', () => {
  it('an unknown rule id names --rules', async () => {
    // Act
    const result = await cli(['audit', '--snapshot', 'demo/account.json', '--rules', 'ecr.nope']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--rules: unknown rule id\(s\): ecr\.nope/);
  });
});

describe('buildwarden verdict --table on a table that does not exist', () => {
  it('exits 2 naming the table (DynamoDB says only "Requested resource not found")', async () => {
    // Prepare
    dynamo
      .on(GetCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    // Act
    const result = await cli(
      ['verdict', 'web/frontend', `sha256:${'a'.repeat(64)}`, '--table', 'buildwarden-prod-verdictz'],
      { AWS_REGION: 'us-east-1' },
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the verdicts table buildwarden-prod-verdictz does not exist in us-east-1/);
    expect(result.stdout).toBe('');
  });

  it('names the table given by $BUILDWARDEN_VERDICTS_TABLE too', async () => {
    // Prepare
    dynamo
      .on(GetCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    // Act
    const result = await cli(['verdict', 'web/frontend', `sha256:${'a'.repeat(64)}`], {
      BUILDWARDEN_VERDICTS_TABLE: 'from-env',
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the verdicts table from-env does not exist/);
  });
});

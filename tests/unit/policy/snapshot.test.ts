import { parseSnapshot, viewOfSnapshot } from '../../../lib/policy/snapshot';
import { InvalidInputError } from '../../../lib/policy/validation';
import { awsSample } from '../../fixtures/load';

/** The smallest valid snapshot (every required list stated, empty), with sections merged from `overrides`. */
function minimal(overrides: Record<string, unknown> = {}) {
  const { ecr, codebuild, iam, ...rest } = overrides as Record<string, Record<string, unknown> | undefined>;
  return {
    format: 'buildwarden-snapshot/1',
    accountId: '123456789012',
    region: 'us-east-1',
    ecr: { repositories: [], ...ecr },
    codebuild: { projects: [], ...codebuild },
    iam: { roles: [], policies: [], ...iam },
    ...rest,
  };
}

function problemsOf(text: string): string[] {
  try {
    parseSnapshot(text, 'snap.json');
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the snapshot to be rejected');
}

describe('snapshot parsing', () => {
  test('a minimal snapshot parses with empty collections', () => {
    const snapshot = parseSnapshot(JSON.stringify(minimal()));

    expect(snapshot.ecr.repositories).toEqual([]);
    expect(snapshot.codebuild.projects).toEqual([]);
    expect(snapshot.iam.roles).toEqual([]);
  });

  test('text that is not JSON is rejected', () => {
    expect(problemsOf('{ nope')[0]).toMatch(/^not valid JSON/);
  });

  test('another format is rejected', () => {
    expect(problemsOf(JSON.stringify(minimal({ format: 'other/2' })))).toEqual([
      'format: expected "buildwarden-snapshot/1"',
    ]);
  });

  test('a bad field is reported with its JSON path', () => {
    const repositories = [0, 1, 2, 3].map((i) => ({
      repositoryArn: `arn:aws:ecr:us-east-1:123456789012:repository/r${i}`,
      repositoryName: `r${i}`,
      imageTagMutability: i === 3 ? 'SOMETIMES' : 'MUTABLE',
    }));

    const problems = problemsOf(JSON.stringify(minimal({ ecr: { repositories } })));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ecr\.repositories\[3\]\.imageTagMutability: /);
  });

  test('the official DescribeRepositories output can be pasted in as repositories', () => {
    const { repositories } = awsSample<{ repositories: unknown[] }>(
      'api-ecr-describe-repositories.aws-cli.json',
    );

    const snapshot = parseSnapshot(JSON.stringify(minimal({ ecr: { repositories } })));

    expect(snapshot.ecr.repositories.map((r) => r.repositoryName)).toEqual(['ubuntu', 'test']);
  });

  test('the official BatchGetProjects output parses, epoch-second dates becoming ISO text', () => {
    const { projects } = awsSample<{ projects: unknown[] }>('api-codebuild-batch-get-projects.aws-cli.json');

    const snapshot = parseSnapshot(JSON.stringify(minimal({ codebuild: { projects } })));

    expect(snapshot.codebuild.projects[0]!.created).toBe('2018-10-26T21:08:11.108Z');
  });

  test('unknown fields are kept', () => {
    const repository = {
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/a',
      repositoryName: 'a',
      extra: 42,
    };

    const snapshot = parseSnapshot(JSON.stringify(minimal({ ecr: { repositories: [repository] } })));

    expect((snapshot.ecr.repositories[0] as Record<string, unknown>).extra).toBe(42);
  });

  test('a URL-encoded policy document, as the raw IAM API returns it, is decoded', () => {
    const document = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
    };
    const role = {
      RoleName: 'r',
      Arn: 'arn:aws:iam::123456789012:role/r',
      RolePolicyList: [{ PolicyName: 'p', PolicyDocument: encodeURIComponent(JSON.stringify(document)) }],
    };

    const snapshot = parseSnapshot(JSON.stringify(minimal({ iam: { roles: [role] } })));

    expect(snapshot.iam.roles[0]!.RolePolicyList[0]!.PolicyDocument).toEqual(document);
  });

  test('a policy document that is not JSON is reported with its path', () => {
    const role = {
      RoleName: 'r',
      Arn: 'arn:aws:iam::123456789012:role/r',
      RolePolicyList: [{ PolicyName: 'p', PolicyDocument: '{oops' }],
    };

    const problems = problemsOf(JSON.stringify(minimal({ iam: { roles: [role] } })));

    expect(problems).toEqual([
      'iam.roles[0].RolePolicyList[0].PolicyDocument: policy document is not valid JSON',
    ]);
  });

  test('a repository listed twice is rejected', () => {
    const repository = {
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/a',
      repositoryName: 'a',
    };

    const problems = problemsOf(JSON.stringify(minimal({ ecr: { repositories: [repository, repository] } })));

    expect(problems).toEqual(['ecr.repositories: repository "a" appears twice']);
  });

  test('organizationId records the own organization, or null for an account in none', () => {
    const member = viewOfSnapshot(parseSnapshot(JSON.stringify(minimal({ organizationId: 'o-a1b2c3d4e5' }))));
    const none = viewOfSnapshot(parseSnapshot(JSON.stringify(minimal({ organizationId: null }))));

    expect(member.organizationId).toBe('o-a1b2c3d4e5');
    expect(none.organizationId).toBeNull();
  });

  test('a snapshot without organizationId leaves the own organization unknown, saying why', () => {
    const view = viewOfSnapshot(parseSnapshot(JSON.stringify(minimal())));

    expect(view.organizationId).toBeUndefined();
    expect(view.organizationUnreadable).toBe('the snapshot does not record it (organizationId)');
  });

  test('an organizationId that is not an organization id is rejected with its path', () => {
    expect(problemsOf(JSON.stringify(minimal({ organizationId: 'acme' })))).toEqual([
      'organizationId: expected an organization id (o-…) or null',
    ]);
  });

  test('a typo inside a section is rejected naming the key by its path', () => {
    const text = JSON.stringify({ ...minimal(), ecr: { repositoriez: [] } });

    expect(problemsOf(text)).toContain(
      'ecr.repositoriez: unknown key (expected one of: registryScanningConfiguration, repositories, unreadable, replicationConfiguration, registryPolicyText, pullThroughCacheRules, repositoryCreationTemplates)',
    );
  });

  test.each([
    ['codebuild', { codebuild: { projects: [], projectz: [] } }, 'codebuild.projectz'],
    ['iam', { iam: { roles: [], policies: [], rolez: [] } }, 'iam.rolez'],
    ['buildwarden', { buildwarden: { verdictz: [] } }, 'buildwarden.verdictz'],
    ['sns', { sns: { topicz: [] } }, 'sns.topicz'],
  ])('an unknown key in the %s section is rejected', (_section, overrides, path) => {
    const problems = problemsOf(JSON.stringify({ ...minimal(), ...overrides }));

    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${path.replace('.', '\\.')}: unknown key`)),
    ]);
  });

  test('an unknown top-level key is rejected', () => {
    expect(problemsOf(JSON.stringify(minimal({ acountId: '1' })))).toEqual([
      expect.stringMatching(/^acountId: unknown key/),
    ]);
  });

  test.each(['ecr', 'codebuild', 'iam'])('a missing %s section is rejected naming it', (name) => {
    const snapshot: Record<string, unknown> = minimal();
    delete snapshot[name];

    expect(problemsOf(JSON.stringify(snapshot))).toEqual([
      expect.stringMatching(new RegExp(`^${name}: required section is missing`)),
    ]);
  });

  test.each([
    ['ecr', 'repositories'],
    ['codebuild', 'projects'],
    ['iam', 'roles'],
    ['iam', 'policies'],
  ])('a missing %s.%s list is rejected (an empty list is fine)', (sectionName, list) => {
    const snapshot = minimal() as unknown as Record<string, Record<string, unknown>>;
    delete snapshot[sectionName]![list];

    expect(problemsOf(JSON.stringify(snapshot))).toEqual([
      expect.stringMatching(new RegExp(`^${sectionName}\\.${list}: required`)),
    ]);
  });

  test('unknown fields inside an AWS object are still kept (AWS adds fields)', () => {
    const project = { name: 'p', arn: 'arn:aws:codebuild:us-east-1:123456789012:project/p', newField: 1 };

    const snapshot = parseSnapshot(JSON.stringify(minimal({ codebuild: { projects: [project] } })));

    expect((snapshot.codebuild.projects[0] as Record<string, unknown>).newField).toBe(1);
  });

  test('the view of a GovCloud snapshot uses the aws-us-gov partition', () => {
    const view = viewOfSnapshot(parseSnapshot(JSON.stringify(minimal({ region: 'us-gov-west-1' }))));

    expect(view.partition).toBe('aws-us-gov');
  });

  test('the view of a snapshot in an ISO region uses its own partition, as the SDK resolves it', () => {
    const view = viewOfSnapshot(parseSnapshot(JSON.stringify(minimal({ region: 'us-isob-east-1' }))));

    expect(view.partition).toBe('aws-iso-b');
  });
});

/**
 * The provisioning request on plain data: every field checked, every problem named by its path, no secret
 * echoed; fuzzed with bodies one mutation away from valid.
 */
import fc from 'fast-check';
import { defaultBuildspec } from '../../../../lib/policy/provisioning/default-buildspec';
import { PROJECT_VARIABLES } from '../../../../lib/policy/provisioning/managed-resources';
import { planProvisioning, type ProvisioningPlan } from '../../../../lib/policy/provisioning/plan';
import {
  COMPUTE_TYPES,
  DEFAULT_COMPUTE_TYPE,
  DEFAULT_IMAGE,
  DOCKER_BUILD_COMPUTE_TYPES,
  MAX_USER_TAGS,
  parseProjectRequest,
  type ProjectRequest,
} from '../../../../lib/policy/provisioning/request';
import { InvalidInputError } from '../../../../lib/policy/validation';
import { ACCOUNT, REGION } from '../../../fixtures/builders';
import {
  validBody,
  problemsOf,
  refusalText,
  problemPaths,
  context,
  plan,
  validBodyArb,
  MUTATION_PATHS,
  mutate,
} from './helpers';

describe('parseProjectRequest: the whole request', () => {
  test('a minimal request gets the documented defaults', () => {
    const body = { name: 'team/app', source: { type: 'GITHUB', location: 'https://github.com/example/app' } };

    const request = parseProjectRequest(body);

    expect(request).toEqual({
      name: 'team/app',
      source: { type: 'GITHUB', location: 'https://github.com/example/app' },
      buildspec: defaultBuildspec(),
      computeType: 'BUILD_GENERAL1_SMALL',
      image: DEFAULT_IMAGE,
      environmentVariables: [],
      tags: [],
    });
  });

  test.each([null, undefined, [], 'team/app', 42, true])(
    'a body that is not an object (%p) is refused',
    (body) => {
      const problems = problemsOf(body);

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^\(root\): /);
    },
  );

  test('unknown fields are refused by path, at every level', () => {
    const body = validBody({
      owner: 'me',
      source: { type: 'GITHUB', location: 'https://github.com/example/app', auth: { type: 'OAUTH' } },
      environmentVariables: [{ name: 'APP_MODE', value: 'fast', secret: true }],
      tags: [{ key: 'team', value: 'payments', Key: 'team' }],
    });

    const problems = problemsOf(body);

    expect(problems.sort()).toEqual(
      [
        'owner: unknown field',
        'source.auth: unknown field',
        'environmentVariables[0].secret: unknown field',
        'tags[0].Key: unknown field',
      ].sort(),
    );
  });

  test('every problem is listed at once, each by its field path', () => {
    const body = {
      name: 'Team/App',
      source: { type: 'GITHUB', location: 'http://github.com/example/app' },
      computeType: 'BUILD_LAMBDA_1GB',
      image: 'not an image',
      environmentVariables: [
        { name: '1BAD', value: 'x' },
        { name: 'IMAGE_REPO_NAME', value: 'other' },
      ],
      tags: { 'managed-by': 'me' },
      extra: 1,
    };

    const paths = problemPaths(body);

    expect([...new Set(paths)].sort()).toEqual(
      [
        'name',
        'source.location',
        'computeType',
        'image',
        'environmentVariables[0].name',
        'environmentVariables[1].name',
        'tags.managed-by',
        'extra',
      ].sort(),
    );
  });

  test('missing required fields are reported as required', () => {
    const problems = problemsOf({});

    expect(problems.sort()).toEqual(['name: required', 'source: required']);
  });
});

describe('parseProjectRequest: name', () => {
  test.each(['team/app', 'app', 'a_b-c/d9', 'x1'])('%s is accepted', (name) => {
    const request = parseProjectRequest(validBody({ name }));

    expect(request.name).toBe(name);
  });

  test.each([
    ['uppercase', 'Team/app'],
    ['one character', 'a'],
    ['a leading separator', '-app'],
    ['a trailing separator', 'app_'],
    ['an empty path component', 'team//app'],
    ['a double separator', 'team--app'],
    ['a double underscore, which ECR allows', 'team__app'],
    ['a leading slash', '/team/app'],
    ['whitespace', 'team app'],
  ])('a name with %s is refused', (_why, name) => {
    const paths = problemPaths(validBody({ name }));

    expect(paths).toContain('name');
  });

  test('a dot is refused because the CodeBuild project name cannot hold it', () => {
    const problems = problemsOf(validBody({ name: 'team/app.web' }));

    expect(problems).toEqual([expect.stringMatching(/^name: must not contain "\.".*CodeBuild project name/)]);
  });

  test('a name whose derived role name exceeds 64 characters is refused, naming the field', () => {
    const name = `team/${'a'.repeat(48)}`; // 53 characters: buildwarden-team-aaa… is 65

    const problems = problemsOf(validBody({ name }));

    expect(problems).toEqual([
      expect.stringMatching(/^name: is too long: the IAM role name .* 65 characters.*64/),
    ]);
  });

  test('the longest name whose role name fits (52 characters) is accepted', () => {
    const name = `team/${'a'.repeat(47)}`;

    const p = plan(validBody({ name }));

    expect(p.roleName).toHaveLength(64);
    expect(p.projectName).toBe(`team-${'a'.repeat(47)}`);
  });

  test('a non-string name is refused', () => {
    expect(problemsOf(validBody({ name: 7 }))).toEqual(['name: expected a string']);
  });
});

describe('parseProjectRequest: source', () => {
  test.each([
    ['GITHUB', 'https://github.com/example/app.git'],
    ['GITHUB_ENTERPRISE', 'https://git.example.com/team/app.git'],
    ['BITBUCKET', 'https://bitbucket.org/team/app.git'],
    ['CODECOMMIT', `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app`],
    ['CODECOMMIT', 'https://git-codecommit-fips.us-gov-west-1.amazonaws.com/v1/repos/app'],
    ['S3', 'my-bucket/builds/app.zip'],
    ['S3', 'my-bucket/builds/app/'],
  ])('%s at %s is accepted', (type, location) => {
    const request = parseProjectRequest(validBody({ source: { type, location } }));

    expect(request.source).toEqual({ type, location });
  });

  test.each(['GITHUB', 'GITHUB_ENTERPRISE', 'BITBUCKET', 'CODECOMMIT', 'S3'])(
    'a %s source without a location is refused',
    (type) => {
      const problems = problemsOf(validBody({ source: { type } }));

      expect(problems).toEqual([`source.location: required for source.type ${type}`]);
    },
  );

  test('a NO_SOURCE source with a location is refused', () => {
    const body = validBody({
      source: { type: 'NO_SOURCE', location: 'x' },
      buildspec: 'version: 0.2\nphases: {}',
    });

    expect(problemsOf(body)).toEqual(['source.location: must be absent when source.type is NO_SOURCE']);
  });

  test('an unknown source type is refused, listing the allowed ones', () => {
    const problems = problemsOf(
      validBody({ source: { type: 'GITLAB', location: 'https://gitlab.com/a/b' } }),
    );

    expect(problems).toEqual([
      'source.type: expected one of GITHUB, GITHUB_ENTERPRISE, BITBUCKET, CODECOMMIT, S3, NO_SOURCE',
    ]);
  });

  test.each([
    ['http://github.com/example/app', /https:\/\/ clone URL/],
    ['git@github.com:example/app.git', /https:\/\/ clone URL/],
    ['https://gitlab.com/example/app', /on github\.com/],
    ['https://github.com/example', /must name a repository/],
    ['https://github.com/example/app?ref=main', /query string/],
    ['https://github.com/example/app#main', /fragment/],
    ['https://github.com/example/my app', /whitespace/],
  ])('the GITHUB location %s is refused', (location, why) => {
    const problems = problemsOf(validBody({ source: { type: 'GITHUB', location } }));

    expect(problems).toEqual([expect.stringMatching(why)]);
    expect(problems[0]).toMatch(/^source\.location: /);
  });

  test.each([
    [
      'a token as user',
      'https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/example/app.git',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    ],
    [
      'user and password',
      'https://deploy:Sup3rS3cretPassw0rd@bitbucket.org/team/app.git',
      'Sup3rS3cretPassw0rd',
    ],
    ['a plain user name', 'https://jdoe@bitbucket.org/team/app.git', 'jdoe'],
  ])('a location with %s is refused without echoing it', (_why, location, secret) => {
    const type = location.includes('bitbucket') ? 'BITBUCKET' : 'GITHUB';

    const textOfRefusal = refusalText(validBody({ source: { type, location } }));

    expect(textOfRefusal).toMatch(/source\.location: must not contain credentials or a user name/);
    expect(textOfRefusal).not.toContain(secret);
  });

  test('a BITBUCKET location on another host is refused', () => {
    const problems = problemsOf(
      validBody({ source: { type: 'BITBUCKET', location: 'https://github.com/a/b' } }),
    );

    expect(problems).toEqual(['source.location: must be a URL on bitbucket.org for BITBUCKET']);
  });

  test('a CODECOMMIT location must be a CodeCommit clone URL', () => {
    const body = validBody({ source: { type: 'CODECOMMIT', location: 'https://github.com/example/app' } });

    expect(problemsOf(body)).toEqual([
      expect.stringMatching(/^source\.location: must be a CodeCommit clone URL/),
    ]);
  });

  test.each([
    ['s3://my-bucket/app.zip', 'source.location: must be bucket/key, without s3://'],
    ['my-bucket', 'source.location: must be an S3 object or folder as bucket/key'],
    ['My_Bucket/app.zip', 'source.location: must be an S3 object or folder as bucket/key'],
  ])('the S3 location %s is refused', (location, problem) => {
    expect(problemsOf(validBody({ source: { type: 'S3', location } }))).toEqual([problem]);
  });

  test.each(['main', 'release/1.2', 'feature/JIRA-12_x', 'v1.0.0'])('the branch %s is accepted', (branch) => {
    const request = parseProjectRequest(
      validBody({ source: { type: 'GITHUB', location: 'https://github.com/a/b', branch } }),
    );

    expect(request.source.branch).toBe(branch);
  });

  test.each(['', 'has space', '-leading-dash', 'a..b', 'ends/', 'ends.lock', 'a:b', 'x~1', 'a@{1}', 'a//b'])(
    'the branch %p is refused',
    (branch) => {
      const body = validBody({ source: { type: 'GITHUB', location: 'https://github.com/a/b', branch } });

      expect(problemsOf(body)).toEqual(['source.branch: must be a git branch name']);
    },
  );

  test('a branch on an S3 source is refused', () => {
    const body = validBody({ source: { type: 'S3', location: 'bucket/app.zip', branch: 'main' } });

    expect(problemsOf(body)).toEqual([
      'source.branch: must be absent for source.type S3: it has no branches',
    ]);
  });
});

describe('parseProjectRequest: buildspec', () => {
  test('a buildspec path in the source is accepted as given', () => {
    const request = parseProjectRequest(validBody({ buildspec: 'ci/buildspec-docker.yml' }));

    expect(request.buildspec).toBe('ci/buildspec-docker.yml');
  });

  test('an inline buildspec is accepted as given', () => {
    const buildspec =
      'version: 0.2\nphases:\n  build:\n    commands:\n      - docker build -t $REPOSITORY_URI:x .\n';

    expect(parseProjectRequest(validBody({ buildspec })).buildspec).toBe(buildspec);
  });

  test.each([
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    ['phases:\n  build: {}\n', /must declare its buildspec version/],
    ['version: 0.2\nphases: [\n', /is not valid YAML/],
    ['- a\n- b\n', /must be a buildspec: a YAML mapping/],
  ])('the buildspec %p is refused', (buildspec, why) => {
    const problems = problemsOf(validBody({ buildspec }));

    expect(problems).toEqual([expect.stringMatching(why)]);
    expect(problems[0]).toMatch(/^buildspec: /);
  });

  test('a buildspec variable holding an access key is refused by its path, without echoing the key', () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const buildspec = `version: 0.2\nenv:\n  variables:\n    KEY: ${key}\nphases:\n  build:\n    commands: [make]\n`;

    const textOfRefusal = refusalText(validBody({ buildspec }));

    expect(textOfRefusal).toMatch(
      /buildspec: env\.variables\.KEY holds what looks like a credential \(aws-access-key-id\)/,
    );
    expect(textOfRefusal).not.toContain(key);
  });

  test('a buildspec command holding an access key is refused without echoing the key', () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - KEY=${key} make\n`;

    const textOfRefusal = refusalText(validBody({ buildspec }));

    expect(textOfRefusal).toMatch(/buildspec: holds what looks like a credential \(aws-access-key-id\)/);
    expect(textOfRefusal).not.toContain(key);
  });

  test('a NO_SOURCE project needs an inline buildspec: there is no Dockerfile to build by default', () => {
    const problems = problemsOf(validBody({ source: { type: 'NO_SOURCE' } }));

    expect(problems).toEqual([expect.stringMatching(/^buildspec: required when source\.type is NO_SOURCE/)]);
  });

  test('a NO_SOURCE project cannot point at a buildspec file', () => {
    const problems = problemsOf(validBody({ source: { type: 'NO_SOURCE' }, buildspec: 'buildspec.yml' }));

    expect(problems).toEqual(['buildspec: must be an inline buildspec when source.type is NO_SOURCE']);
  });

  test('a NO_SOURCE project with an inline buildspec is accepted', () => {
    const buildspec =
      'version: 0.2\nphases:\n  build:\n    commands:\n      - printf "FROM scratch" > Dockerfile\n';

    const request = parseProjectRequest(validBody({ source: { type: 'NO_SOURCE' }, buildspec }));

    expect(request.source).toEqual({ type: 'NO_SOURCE' });
  });
});

describe('parseProjectRequest: computeType and image', () => {
  test.each(DOCKER_BUILD_COMPUTE_TYPES)('%s is accepted', (computeType) => {
    expect(parseProjectRequest(validBody({ computeType })).computeType).toBe(computeType);
  });

  test.each(COMPUTE_TYPES.filter((c) => !DOCKER_BUILD_COMPUTE_TYPES.includes(c)))(
    '%s (in the API contract) is refused: it cannot run a privileged Docker build',
    (computeType) => {
      expect(problemsOf(validBody({ computeType }))).toEqual([
        expect.stringMatching(new RegExp(`^computeType: ${computeType} cannot build container images`)),
      ]);
    },
  );

  test('a compute type outside the API contract is refused', () => {
    expect(problemsOf(validBody({ computeType: 'BUILD_GENERAL1_HUGE' }))).toEqual([
      expect.stringMatching(/^computeType: expected one of BUILD_GENERAL1_SMALL, /),
    ]);
  });

  test('the default compute type is BUILD_GENERAL1_SMALL', () => {
    expect(DEFAULT_COMPUTE_TYPE).toBe('BUILD_GENERAL1_SMALL');
    expect(parseProjectRequest(validBody()).computeType).toBe('BUILD_GENERAL1_SMALL');
  });

  test.each([
    'aws/codebuild/standard:7.0',
    'aws/codebuild/amazonlinux-x86_64-standard:5.0',
    'public.ecr.aws/docker/library/docker:27',
    `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/build/tools@sha256:${'a'.repeat(64)}`,
    'localhost:5000/tools:1',
  ])('the image %s is accepted', (image) => {
    expect(parseProjectRequest(validBody({ image })).image).toBe(image);
  });

  test.each(['', 'Ubuntu:22.04', 'aws/codebuild/standard:', 'image with space', 'a/b:c:d'])(
    'the image %p is refused',
    (image) => {
      expect(problemsOf(validBody({ image }))).toEqual([
        'image: must be a Docker image reference such as aws/codebuild/standard:8.0',
      ]);
    },
  );
});

describe('parseProjectRequest: environmentVariables', () => {
  test('variables default to type PLAINTEXT', () => {
    const request = parseProjectRequest(
      validBody({ environmentVariables: [{ name: 'APP_MODE', value: 'fast' }] }),
    );

    expect(request.environmentVariables).toEqual([{ name: 'APP_MODE', value: 'fast', type: 'PLAINTEXT' }]);
  });

  test.each(['1ST', 'HAS-DASH', 'HAS SPACE', '', 'ÄÖ'])('the variable name %p is refused', (name) => {
    const problems = problemsOf(validBody({ environmentVariables: [{ name, value: 'x' }] }));

    expect(problems).toEqual([
      expect.stringMatching(/^environmentVariables\[0\]\.name: must be an environment variable name/),
    ]);
  });

  test.each([
    ...PROJECT_VARIABLES,
    'aws_account_id',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'CODEBUILD_X',
    'ECR_REPOSITORY',
  ])('the reserved name %s is refused', (name) => {
    const problems = problemsOf(validBody({ environmentVariables: [{ name, value: 'x' }] }));

    expect(problems).toEqual([expect.stringMatching(/^environmentVariables\[0\]\.name: .*reserved/)]);
  });

  test('a variable defined twice is refused at its second definition', () => {
    const body = validBody({
      environmentVariables: [
        { name: 'APP_MODE', value: 'a' },
        { name: 'OTHER', value: 'b' },
        { name: 'APP_MODE', value: 'c' },
      ],
    });

    expect(problemsOf(body)).toEqual(['environmentVariables[2].name: APP_MODE is defined more than once']);
  });

  test.each([
    ['an access key id', 'APP_KEY_ID', 'AKIAIOSFODNN7EXAMPLE', 'aws-access-key-id'],
    ['a GitHub token', 'GITHUB_TOKEN', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'github-token'],
    ['a password', 'DB_PASSWORD', 'hunter2-but-longer', 'password-literal'],
    ['a random API key', 'PAYMENT_API_KEY', 'q8Zr2LmX9vT4kWp7Yb3N', 'high-entropy-value'],
    [
      'an AWS credential variable',
      'AWS_SECRET_ACCESS_KEY',
      'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY',
      'aws-credential-variable',
    ],
  ])(
    'a PLAINTEXT variable holding %s is refused, naming the variable and never the value',
    (_what, name, value, reason) => {
      const textOfRefusal = refusalText(
        validBody({ environmentVariables: [{ name, value, type: 'PLAINTEXT' }] }),
      );

      expect(textOfRefusal).toContain(`environmentVariables[0].value: PLAINTEXT variable ${name}`);
      expect(textOfRefusal).toContain(`(${reason})`);
      expect(textOfRefusal).not.toContain(value);
    },
  );

  test('a secret variable kept in Parameter Store or Secrets Manager is accepted', () => {
    const variables = [
      { name: 'DB_PASSWORD', value: '/app/db/password', type: 'PARAMETER_STORE' },
      { name: 'GITHUB_TOKEN', value: 'ci/github:token', type: 'SECRETS_MANAGER' },
      { name: 'API_TOKEN', value: 'changeme', type: 'PLAINTEXT' },
    ];

    const request = parseProjectRequest(validBody({ environmentVariables: variables }));

    expect(request.environmentVariables).toEqual(variables);
  });

  test.each([
    ['PARAMETER_STORE', 'not a parameter!', /SSM parameter name or ARN/],
    ['PARAMETER_STORE', '', /SSM parameter name or ARN/],
    ['SECRETS_MANAGER', 'has space', /Secrets Manager secret name or ARN/],
    ['SECRETS_MANAGER', 'arn:aws:s3:::bucket', /Secrets Manager secret name or ARN/],
  ])('a %s variable with the value %p is refused', (type, value, why) => {
    const problems = problemsOf(validBody({ environmentVariables: [{ name: 'APP_X', value, type }] }));

    expect(problems).toEqual([expect.stringMatching(why)]);
    expect(problems[0]).toMatch(/^environmentVariables\[0\]\.value: /);
  });

  test('an unknown variable type is refused', () => {
    const problems = problemsOf(
      validBody({ environmentVariables: [{ name: 'A', value: 'b', type: 'KMS' }] }),
    );

    expect(problems).toEqual([
      'environmentVariables[0].type: expected one of PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER',
    ]);
  });

  test('a variable without a value is refused', () => {
    expect(problemsOf(validBody({ environmentVariables: [{ name: 'A' }] }))).toEqual([
      'environmentVariables[0].value: required',
    ]);
  });
});

describe('parseProjectRequest: tags', () => {
  test('tags given as an object become a list of { key, value }', () => {
    const request = parseProjectRequest(validBody({ tags: { team: 'payments', 'cost-center': '42' } }));

    expect(request.tags).toEqual([
      { key: 'team', value: 'payments' },
      { key: 'cost-center', value: '42' },
    ]);
  });

  test('tags given as a list are kept', () => {
    const tags = [{ key: 'team', value: 'payments' }];

    expect(parseProjectRequest(validBody({ tags })).tags).toEqual(tags);
  });

  test.each([
    'buildwarden:exempt',
    'buildwarden:repository',
    'managed-by',
    'Managed-By',
    'aws:cloudformation:stack-name',
  ])('the service or AWS tag key %s is refused', (key) => {
    const problems = problemsOf(validBody({ tags: [{ key, value: 'x' }] }));

    expect(problems).toEqual([
      expect.stringMatching(/^tags\[0\]\.key: tag keys starting with .* (?:own|AWS)$/),
    ]);
  });

  test('a reserved key in object form is refused at its key', () => {
    expect(problemsOf(validBody({ tags: { 'buildwarden:docker-build': 'false' } }))).toEqual([
      "tags.buildwarden:docker-build: tag keys starting with buildwarden: are buildwarden's own",
    ]);
  });

  test('a key given twice is refused', () => {
    const tags = [
      { key: 'team', value: 'a' },
      { key: 'team', value: 'b' },
    ];

    expect(problemsOf(validBody({ tags }))).toEqual(['tags[1].key: tag team is given more than once']);
  });

  test('more tags than the project has room for are refused', () => {
    const tags = Object.fromEntries(Array.from({ length: MAX_USER_TAGS + 1 }, (_, i) => [`t${i}`, 'v']));

    expect(problemsOf(validBody({ tags }))).toEqual([
      `tags: at most ${MAX_USER_TAGS} tags (buildwarden adds its own)`,
    ]);
  });

  test('exactly as many tags as there is room for are accepted', () => {
    const tags = Object.fromEntries(Array.from({ length: MAX_USER_TAGS }, (_, i) => [`t${i}`, 'v']));

    expect(parseProjectRequest(validBody({ tags })).tags).toHaveLength(MAX_USER_TAGS);
  });

  test.each([
    [{ 'bad#key': 'v' }, 'tags.bad#key: tag keys may hold letters, digits, spaces and _ . : / = + - @'],
    [{ team: 'a;b' }, 'tags.team: tag values may hold letters, digits, spaces and _ . : / = + - @'],
    [{ team: 'v'.repeat(256) }, 'tags.team: tag values are at most 255 characters'],
    [{ ['k'.repeat(128)]: 'v' }, `tags.${'k'.repeat(128)}: tag keys are 1 to 127 characters`],
    [{ team: 5 }, 'tags.team: expected a string'],
    [[{ key: 'team' }], 'tags[0].value: required'],
    ['team=payments', 'tags: expected a list of { key, value } or an object of key: value'],
  ])('the tags %p are refused', (tags, problem) => {
    expect(problemsOf(validBody({ tags }))).toEqual([problem]);
  });

  test('tag keys and values may hold letters of any script', () => {
    const request = parseProjectRequest(validBody({ tags: { équipe: 'paiements 2', チーム: '決済' } }));

    expect(request.tags).toHaveLength(2);
  });
});

describe('parseProjectRequest: fuzzing', () => {
  test('any value at all is either a valid request or an InvalidInputError', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withNullPrototype: true,
          withObjectString: true,
          withSet: true,
          withSparseArray: true,
          withTypedArray: true,
          withUnicodeString: true,
        }),
        (body) => {
          try {
            parseProjectRequest(body);
          } catch (error) {
            return error instanceof InvalidInputError && error.problems.length > 0;
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a valid body one mutation away is either a plannable request or an InvalidInputError', () => {
    fc.assert(
      fc.property(
        validBodyArb,
        fc.constantFrom(...MUTATION_PATHS),
        fc.constantFrom('set', 'delete', 'add'),
        fc.oneof(
          fc.anything(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom('', 'NO_SOURCE', 'ghp_' + 'a'.repeat(36)),
        ),
        (body, path, how, value) => {
          const mutated = mutate(body, path, how, value);
          let request: ProjectRequest;
          try {
            request = parseProjectRequest(mutated);
          } catch (error) {
            return error instanceof InvalidInputError && error.problems.length > 0;
          }
          let p: ProvisioningPlan;
          try {
            p = planProvisioning(request, context());
          } catch (error) {
            // A reference outside the project's namespaces is refused when the plan is made.
            return error instanceof InvalidInputError && error.problems.length > 0;
          }
          return typeof p.putRolePolicy.PolicyDocument === 'string' && p.createProject.name.length >= 2;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/**
 * Compliant-by-construction build projects on plain data: a request body in, the create calls and the state
 * they leave out. The acceptance test runs the whole audit on that state; the IAM tests run the evaluator on
 * the role. No account, no mocks.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { provisionedRoleBoundary } from '../../../lib/policy/boundary';
import { evaluateAccount } from '../../../lib/policy/evaluate';
import type { Finding } from '../../../lib/policy/findings';
import { defaultGuardrails, RULE_IDS, type Guardrails } from '../../../lib/policy/guardrails';
import { evaluate, type NamedPolicy } from '../../../lib/policy/iam/evaluate';
import { parseLifecyclePolicy, serializeLifecyclePolicy } from '../../../lib/policy/lifecycle/grammar';
import { managedPolicySchema, type ManagedPolicy } from '../../../lib/policy/model';
import {
  BUILD_POLICY_NAME,
  canonicalSpecText,
  COMPUTE_TYPES,
  DEFAULT_COMPUTE_TYPE,
  DEFAULT_IMAGE,
  defaultBuildspec,
  diffSpecs,
  DOCKER_BUILD_COMPUTE_TYPES,
  expectedState,
  MANAGED_TAG,
  MAX_USER_TAGS,
  parseProjectRequest,
  planProvisioning,
  PROJECT_VARIABLES,
  ProvisioningConfigError,
  REQUEST_TOKEN_TAG,
  projectNameOf,
  roleNameOf,
  specOf,
  specOfProject,
  type ProjectRequest,
  type ProvisioningContext,
  type ProvisioningPlan,
} from '../../../lib/policy/provision';
import { defaultLifecyclePolicy, PUSH_POLICY_NAME } from '../../../lib/policy/remediation';
import { ECR_AUTH_ACTION, ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from '../../../lib/policy/aws-facts';
import { InvalidInputError } from '../../../lib/policy/validation';
import { ACCOUNT, NOW, REGION, accountView, guardrailsWith } from '../../fixtures/builders';
import { loadText } from '../../fixtures/load';

// ---------------------------------------------------------------------------------------------------------
// Helpers

type Body = Record<string, unknown>;

/** A fresh valid body per call, so a test may mutate its copy. */
function validBody(overrides: Body = {}): Body {
  return {
    name: 'team/app',
    source: { type: 'GITHUB', location: 'https://github.com/example/app.git', branch: 'main' },
    ...overrides,
  };
}

/** The problems of a refused body; fails the test when the body is accepted or another error is thrown. */
function problemsOf(body: unknown): string[] {
  try {
    parseProjectRequest(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** The whole refusal as text, for asserting what it must never contain. */
function refusalText(body: unknown): string {
  try {
    parseProjectRequest(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return `${error.message}\n${JSON.stringify(error.problems)}`;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

const problemPaths = (body: unknown) => problemsOf(body).map((p) => p.slice(0, p.indexOf(': ')));

/** The source buckets the tests' S3 sources use (the default allows none). */
const SOURCE_BUCKETS = ['src-bucket', 'bucket'];

/** The default guardrails, with SOURCE_BUCKETS allowed as S3 sources. */
function testGuardrails(): Guardrails {
  const guardrails = defaultGuardrails();
  guardrails.provisioning.sourceBuckets = [...SOURCE_BUCKETS];
  return guardrails;
}

function context(overrides: Partial<ProvisioningContext> = {}): ProvisioningContext {
  return {
    accountId: ACCOUNT,
    region: REGION,
    partition: 'aws',
    guardrails: testGuardrails(),
    ...overrides,
  };
}

const plan = (body: Body = validBody(), ctx: ProvisioningContext = context()) =>
  planProvisioning(parseProjectRequest(body), ctx);

const OWN_REPOSITORY_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`;
const OWN_REPOSITORY_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app`;
const OWN_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden-team-app`;
const OWN_PROJECT_ARN = `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/team-app`;
const OWN_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/team-app`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: unknown;
}
const statementsOf = (document: string) => (JSON.parse(document) as { Statement: Statement[] }).Statement;
const actionsOf = (s: Statement) => [s.Action].flat();

/** The audit over exactly the resources the plan leaves behind. */
function audit(
  p: ProvisioningPlan,
  guardrails: Guardrails = defaultGuardrails(),
  policies: ManagedPolicy[] = [],
) {
  const state = expectedState(p);
  const view = accountView({
    accountId: p.account.accountId,
    region: p.account.region,
    partition: p.account.partition,
    repositories: [state.repository],
    projects: [state.project],
    roles: [state.role],
    policies: [...state.policies, ...policies],
  });
  return evaluateAccount(view, guardrails, { now: NOW });
}

/** Fails with the offending findings, so a regression says which rule broke and why. */
function expectAllCompliant(findings: Finding[]): void {
  const bad = findings.filter((f) => f.status !== 'compliant').map((f) => `${f.ruleId}: ${f.message}`);
  expect(bad).toEqual([]);
  expect([...new Set(findings.map((f) => f.ruleId))].sort()).toEqual([...RULE_IDS].sort());
}

/** A customer managed policy with one (default) version, as GetAccountAuthorizationDetails lists it. */
function managedPolicy(arn: string, document: unknown): ManagedPolicy {
  return managedPolicySchema.parse({
    PolicyName: arn.slice(arn.lastIndexOf('/') + 1),
    Arn: arn,
    DefaultVersionId: 'v1',
    PolicyVersionList: [{ Document: document, VersionId: 'v1', IsDefaultVersion: true }],
  });
}

function identityOf(p: ProvisioningPlan): NamedPolicy[] {
  return expectedState(p).role.RolePolicyList.map((policy) => ({
    name: policy.PolicyName,
    document: policy.PolicyDocument,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries: valid bodies, and bodies one mutation away from valid

const segment = fc.stringMatching(/^[a-z0-9]{1,6}(?:[_-][a-z0-9]{1,6}){0,2}$/);
const repositoryNameArb = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'))
  .filter((name) => name.length >= 2 && roleNameOf(name).length <= 64);

const slug = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const sourceArb = fc.oneof(
  fc.record({
    type: fc.constant('GITHUB'),
    location: fc.tuple(slug, slug).map(([o, r]) => `https://github.com/${o}/${r}.git`),
    branch: fc.option(fc.constantFrom('main', 'release/1.2', 'feature_x'), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('GITHUB_ENTERPRISE'),
    location: fc.tuple(slug, slug, slug).map(([h, o, r]) => `https://${h}.example.com/${o}/${r}`),
  }),
  fc.record({
    type: fc.constant('BITBUCKET'),
    location: fc.tuple(slug, slug).map(([o, r]) => `https://bitbucket.org/${o}/${r}.git`),
  }),
  fc.record({
    type: fc.constant('CODECOMMIT'),
    location: slug.map((r) => `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/${r}`),
    branch: fc.option(fc.constant('main'), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('S3'),
    location: fc.tuple(fc.constantFrom(...SOURCE_BUCKETS), slug).map(([b, k]) => `${b}/src/${k}.zip`),
  }),
);
const variableArb = fc.oneof(
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.string({ maxLength: 24 }),
    type: fc.constant('PLAINTEXT'),
  }),
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.stringMatching(/^\/[a-z]{1,8}(?:\/[a-z]{1,8}){0,2}$/),
    type: fc.constant('PARAMETER_STORE'),
  }),
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.stringMatching(/^[a-z]{1,10}\/[a-z]{1,10}$/),
    type: fc.constant('SECRETS_MANAGER'),
  }),
);
const tagArb = fc.record({
  key: fc
    .stringMatching(/^[a-z][a-z0-9_.:/=+@-]{0,20}$/)
    .filter((k) => !/^(?:aws:|buildwarden:|managed-by)/.test(k)),
  value: fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,20}$/),
});
const validBodyArb: fc.Arbitrary<Body> = fc
  .record(
    {
      name: repositoryNameArb,
      source: sourceArb,
      computeType: fc.constantFrom(...DOCKER_BUILD_COMPUTE_TYPES),
      image: fc.constantFrom(
        DEFAULT_IMAGE,
        'aws/codebuild/standard:7.0',
        'public.ecr.aws/docker/library/docker:27',
      ),
      environmentVariables: fc.uniqueArray(variableArb, { maxLength: 4, selector: (v) => v.name }),
      tags: fc.uniqueArray(tagArb, { maxLength: 5, selector: (t) => t.key }),
    },
    { requiredKeys: ['name', 'source'] },
  )
  // References live in the project's namespaces (the default /ci/{name}/ and ci/{name}/).
  .map((body) => {
    const project = projectNameOf(body.name);
    const environmentVariables = body.environmentVariables?.map((v) =>
      v.type === 'PARAMETER_STORE'
        ? { ...v, value: `/ci/${project}${v.value}` }
        : v.type === 'SECRETS_MANAGER'
          ? { ...v, value: `ci/${project}/${v.value}` }
          : v,
    );
    return environmentVariables ? { ...body, environmentVariables } : body;
  })
  // A random PLAINTEXT value may happen to look like a credential; such bodies are rightly refused.
  .filter((body) => {
    try {
      parseProjectRequest(body);
      return true;
    } catch {
      return false;
    }
  });

const MUTATION_PATHS: readonly (readonly (string | number)[])[] = [
  [],
  ['name'],
  ['source'],
  ['source', 'type'],
  ['source', 'location'],
  ['source', 'branch'],
  ['buildspec'],
  ['computeType'],
  ['image'],
  ['environmentVariables'],
  ['environmentVariables', 0],
  ['environmentVariables', 0, 'name'],
  ['environmentVariables', 0, 'value'],
  ['environmentVariables', 0, 'type'],
  ['tags'],
  ['tags', 0],
  ['tags', 0, 'key'],
  ['tags', 0, 'value'],
];

/** Sets, deletes or adds (an unknown field) at `path`; paths that do not exist in the body leave it as is. */
function mutate(body: Body, path: readonly (string | number)[], how: string, value: unknown): unknown {
  if (path.length === 0) return how === 'add' ? { ...body, unexpected: value } : value;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = parent[key];
    if (typeof next !== 'object' || next === null) return copy;
    parent = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (how === 'delete') delete parent[last];
  else if (how === 'add' && typeof parent[last] === 'object' && parent[last] !== null) {
    (parent[last] as Record<string, unknown>).unexpected = value;
  } else parent[last] = value;
  return copy;
}

// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------

describe('defaultBuildspec', () => {
  const buildspec = () =>
    parseYaml(defaultBuildspec()) as {
      version: number;
      phases: Record<'pre_build' | 'build' | 'post_build', { commands: string[] }>;
    };
  const officialSample = () =>
    parseYaml(loadText('aws-samples/codebuild-docker-sample-buildspec.yml')) as ReturnType<typeof buildspec>;

  test('is a version 0.2 buildspec with the phases of the official Docker sample', () => {
    const spec = buildspec();

    expect(spec.version).toBe(0.2);
    expect(Object.keys(spec.phases)).toEqual(Object.keys(officialSample().phases));
  });

  test('logs in to ECR the way the official sample does, at the registry of REPOSITORY_URI', () => {
    const login = buildspec().phases.pre_build.commands.find((c) => c.includes('docker login'))!;
    const sampleLogin = officialSample().phases.pre_build.commands.find((c) => c.includes('docker login'))!;

    const upToRegistry = (command: string) => command.slice(0, command.lastIndexOf(' '));
    expect(upToRegistry(login)).toBe(upToRegistry(sampleLogin));
    expect(login.endsWith(' ${REPOSITORY_URI%%/*}')).toBe(true);
  });

  test('builds and pushes one image tagged $IMAGE_TAG, and never a latest tag', () => {
    const spec = buildspec();

    expect(spec.phases.build.commands).toContain('docker build -t $REPOSITORY_URI:$IMAGE_TAG .');
    expect(spec.phases.post_build.commands).toContain('docker push $REPOSITORY_URI:$IMAGE_TAG');
    const docker = Object.values(spec.phases).flatMap((p) =>
      p.commands.filter((c) => /^docker (?:build|tag|push)/.test(c)),
    );
    expect(docker).toHaveLength(2);
    const commands = Object.values(spec.phases).flatMap((p) => p.commands);
    expect(commands.filter((c) => /latest/i.test(c))).toEqual([]);
  });

  /** Runs the pre_build commands that compute the tag and the registry in a POSIX shell. */
  function runTagCommands(env: Record<string, string>): { tag: string; registry: string } {
    const commands = buildspec().phases.pre_build.commands.filter((c) => c.startsWith('IMAGE_TAG='));
    const script = [...commands, 'printf "%s\\n%s" "$IMAGE_TAG" "${REPOSITORY_URI%%/*}"'].join('\n');
    const out = execFileSync('sh', ['-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REPOSITORY_URI: OWN_REPOSITORY_URI, ...env },
      encoding: 'utf8',
    });
    const [tag = '', registry = ''] = out.split('\n');
    return { tag, registry };
  }

  test('tags the image with the resolved source revision', () => {
    const sha = '4f9b1c7d2e0a8b6c5d3e1f2a9b8c7d6e5f4a3b2c';

    const { tag } = runTagCommands({
      CODEBUILD_RESOLVED_SOURCE_VERSION: sha,
      CODEBUILD_BUILD_ID: 'team-app:1',
    });

    expect(tag).toBe(sha);
  });

  test('falls back to the build id without its project prefix when there is no revision (NO_SOURCE)', () => {
    const { tag } = runTagCommands({
      CODEBUILD_RESOLVED_SOURCE_VERSION: '',
      CODEBUILD_BUILD_ID: 'team-app:0b7e3f2a-9c1d-4e5f-8a6b-7c8d9e0f1a2b',
    });

    expect(tag).toBe('build-0b7e3f2a-9c1d-4e5f-8a6b-7c8d9e0f1a2b');
  });

  test('turns characters Docker tags cannot hold into _ and keeps at most 128', () => {
    const { tag } = runTagCommands({ CODEBUILD_RESOLVED_SOURCE_VERSION: `3/L4kqtJl+cp${'x'.repeat(200)}` });

    expect(tag).toMatch(/^3_L4kqtJl_cpx+$/);
    expect(tag).toHaveLength(128);
  });

  test('logs in to the registry host of REPOSITORY_URI', () => {
    const { registry } = runTagCommands({ CODEBUILD_RESOLVED_SOURCE_VERSION: 'abc' });

    expect(registry).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('planProvisioning', () => {
  test('creates an immutable, scan-on-push, KMS-encrypted repository tagged as managed', () => {
    const p = plan(validBody({ tags: { team: 'payments' } }));

    expect(p.createRepository).toEqual({
      repositoryName: 'team/app',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
      tags: [
        { Key: 'managed-by', Value: 'buildwarden' },
        { Key: 'team', Value: 'payments' },
      ],
    });
    expect(MANAGED_TAG).toEqual({ key: 'managed-by', value: 'buildwarden' });
  });

  test("puts the guardrails' default lifecycle policy, serialized", () => {
    const guardrails = guardrailsWith('ecr.lifecycle-policy', {
      maxUntaggedAgeDays: 7,
      taggedImages: { maxCount: 50 },
    });

    const p = plan(validBody(), context({ guardrails }));

    expect(p.putLifecyclePolicy).toEqual({
      repositoryName: 'team/app',
      lifecyclePolicyText: serializeLifecyclePolicy(defaultLifecyclePolicy(guardrails)),
    });
    const parsed = parseLifecyclePolicy(p.putLifecyclePolicy.lifecyclePolicyText);
    expect(parsed.ok && parsed.policy.rules.map((r) => r.selection.countNumber)).toEqual([7, 50]);
  });

  test('creates the role in /service-role/, trusted only by CodeBuild for this account and project', () => {
    const p = plan();

    expect(p.createRole).toEqual({
      RoleName: 'buildwarden-team-app',
      Path: '/service-role/',
      AssumeRolePolicyDocument: expect.any(String),
      Tags: [{ Key: 'managed-by', Value: 'buildwarden' }],
    });
    expect(statementsOf(p.createRole.AssumeRolePolicyDocument)).toEqual([
      {
        Sid: 'CodeBuildForThisProject',
        Effect: 'Allow',
        Principal: { Service: 'codebuild.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': OWN_PROJECT_ARN },
        },
      },
    ]);
  });

  test('sets the permissions boundary when one is given', () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;

    const p = plan(validBody(), context({ permissionsBoundaryArn: boundary }));

    expect(p.createRole.PermissionsBoundary).toBe(boundary);
  });

  test('the build policy grants logs on its own log group, the ECR login, and push and cache pull on its repository only', () => {
    const p = plan();

    expect(p.putRolePolicy.RoleName).toBe('buildwarden-team-app');
    expect(p.putRolePolicy.PolicyName).toBe(BUILD_POLICY_NAME);
    expect(BUILD_POLICY_NAME).not.toBe(PUSH_POLICY_NAME);
    expect(statementsOf(p.putRolePolicy.PolicyDocument)).toEqual([
      {
        Sid: 'BuildLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [OWN_LOG_GROUP_ARN, `${OWN_LOG_GROUP_ARN}:*`],
      },
      { Sid: 'EcrLogin', Effect: 'Allow', Action: ECR_AUTH_ACTION, Resource: '*' },
      {
        Sid: 'EcrPushAndCachePull',
        Effect: 'Allow',
        Action: [...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS],
        Resource: OWN_REPOSITORY_ARN,
      },
    ]);
  });

  test('creates a privileged docker-build project that logs to CloudWatch and names its repository', () => {
    const p = plan(
      validBody({
        environmentVariables: [{ name: 'APP_MODE', value: 'release' }],
        tags: [{ key: 'team', value: 'payments' }],
      }),
    );

    expect(p.createProject).toEqual({
      name: 'team-app',
      source: {
        type: 'GITHUB',
        location: 'https://github.com/example/app.git',
        buildspec: defaultBuildspec(),
        gitCloneDepth: 1,
      },
      sourceVersion: 'main',
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: DEFAULT_IMAGE,
        computeType: 'BUILD_GENERAL1_SMALL',
        privilegedMode: true,
        imagePullCredentialsType: 'CODEBUILD',
        environmentVariables: [
          { name: 'AWS_ACCOUNT_ID', value: ACCOUNT, type: 'PLAINTEXT' },
          { name: 'IMAGE_REPO_NAME', value: 'team/app', type: 'PLAINTEXT' },
          { name: 'REPOSITORY_URI', value: OWN_REPOSITORY_URI, type: 'PLAINTEXT' },
          { name: 'APP_MODE', value: 'release', type: 'PLAINTEXT' },
        ],
      },
      serviceRole: OWN_ROLE_ARN,
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: '/aws/codebuild/team-app' } },
      tags: [
        { key: 'managed-by', value: 'buildwarden' },
        { key: 'buildwarden:docker-build', value: 'true' },
        { key: 'buildwarden:repository', value: 'team/app' },
        { key: 'team', value: 'payments' },
      ],
    });
  });

  test('a source without a branch sets no sourceVersion, and non-git sources no clone depth', () => {
    const p = plan(validBody({ source: { type: 'S3', location: 'bucket/app.zip' } }));

    expect(p.createProject).not.toHaveProperty('sourceVersion');
    expect(p.createProject.source).toEqual({
      type: 'S3',
      location: 'bucket/app.zip',
      buildspec: defaultBuildspec(),
    });
  });

  test('reports the ARNs and URI of what it creates', () => {
    expect(plan().resources).toEqual({
      repositoryArn: OWN_REPOSITORY_ARN,
      repositoryUri: OWN_REPOSITORY_URI,
      roleArn: OWN_ROLE_ARN,
      projectArn: OWN_PROJECT_ARN,
    });
  });

  test('uses the partition and its registry domain', () => {
    const p = plan(validBody(), context({ partition: 'aws-cn', region: 'cn-north-1' }));

    expect(p.resources).toEqual({
      repositoryArn: `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/team/app`,
      repositoryUri: `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app`,
      roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/service-role/buildwarden-team-app`,
      projectArn: `arn:aws-cn:codebuild:cn-north-1:${ACCOUNT}:project/team-app`,
    });
  });

  test('provisions in the European Sovereign Cloud, with its region and registry domain', () => {
    const p = plan(validBody(), context({ partition: 'aws-eusc', region: 'eusc-de-east-1' }));

    expect(p.resources.repositoryUri).toBe(`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu/team/app`);
    expect(p.resources.repositoryArn).toBe(`arn:aws-eusc:ecr:eusc-de-east-1:${ACCOUNT}:repository/team/app`);
  });

  test('uses the given KMS key', () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

    const p = plan(validBody(), context({ kmsKeyArn: key }));

    expect(p.createRepository.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: key });
  });

  test('without a key, uses the configured key of its region', () => {
    const keys = [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/eu`, `arn:aws:kms:${REGION}:${ACCOUNT}:key/here`];
    const guardrails = guardrailsWith('ecr.encryption', { kmsKeyArns: keys });

    const p = plan(validBody(), context({ guardrails }));

    expect(p.createRepository.encryptionConfiguration.kmsKey).toBe(keys[1]);
  });

  test('refuses a key the guardrails do not allow', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/ok`],
    });
    const ctx = context({ guardrails, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/other` });

    expect(() => plan(validBody(), ctx)).toThrow(ProvisioningConfigError);
  });

  test('refuses when no configured key is in its region', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/eu`],
    });

    expect(() => plan(validBody(), context({ guardrails }))).toThrow(/no key in us-east-1/);
  });

  test.each([
    [{ accountId: '1234' }, /accountId/],
    [{ region: 'mars' }, /region/],
    [{ partition: 'azure' }, /partition/],
    [{ kmsKeyArn: 'alias/aws/ecr' }, /kmsKeyArn/],
    [{ permissionsBoundaryArn: 'arn:aws:iam::123456789012:role/x' }, /permissionsBoundaryArn/],
  ])('refuses an unusable context %p', (overrides, why) => {
    expect(() => plan(validBody(), context(overrides))).toThrow(ProvisioningConfigError);
    expect(() => plan(validBody(), context(overrides))).toThrow(why);
  });

  test('refuses a variable the configured guardrails read as the target repository', () => {
    const guardrails = defaultGuardrails();
    guardrails.targetRepository.environmentVariables.push('DEPLOY_REPO');
    const request = parseProjectRequest(
      validBody({ environmentVariables: [{ name: 'DEPLOY_REPO', value: 'other' }] }),
    );

    expect(() => planProvisioning(request, context({ guardrails }))).toThrow(InvalidInputError);
  });

  test('an S3 source gets read access to its object and bucket only', () => {
    const p = plan(validBody({ source: { type: 'S3', location: 'src-bucket/app/source.zip' } }));

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))).toEqual([
      {
        Sid: 'ReadSourceObject',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: 'arn:aws:s3:::src-bucket/app/source.zip',
      },
      {
        Sid: 'ReadSourceBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
        Resource: 'arn:aws:s3:::src-bucket',
      },
    ]);
  });

  test('a CodeCommit source gets git pull on its repository only', () => {
    const location = `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app-src`;

    const p = plan(validBody({ source: { type: 'CODECOMMIT', location } }));

    const pull = statementsOf(p.putRolePolicy.PolicyDocument).find((s) => s.Sid === 'ReadSourceRepository');
    expect(pull).toEqual({
      Sid: 'ReadSourceRepository',
      Effect: 'Allow',
      Action: 'codecommit:GitPull',
      Resource: `arn:aws:codecommit:${REGION}:${ACCOUNT}:app-src`,
    });
  });

  test('Parameter Store and Secrets Manager variables get read access to exactly those values', () => {
    const p = plan(
      validBody({
        environmentVariables: [
          { name: 'DB_PASSWORD', value: '/ci/team-app/db/password', type: 'PARAMETER_STORE' },
          { name: 'NPM_TOKEN', value: '/ci/team-app/npm-token', type: 'PARAMETER_STORE' },
          { name: 'GITHUB_TOKEN', value: 'ci/team-app/github:token', type: 'SECRETS_MANAGER' },
          {
            name: 'SIGNING_KEY',
            value: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123:key::`,
            type: 'SECRETS_MANAGER',
          },
        ],
      }),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.find((s) => s.Sid === 'ReadParameters')).toEqual({
      Sid: 'ReadParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: [
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/db/password`,
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/npm-token`,
      ],
    });
    expect(statements.find((s) => s.Sid === 'ReadSecrets')).toEqual({
      Sid: 'ReadSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/github-??????`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123`,
      ],
    });
  });

  test("refuses variables whose read access would overflow IAM's inline policy limit", () => {
    const environmentVariables = Array.from({ length: 60 }, (_, i) => ({
      name: `P${i}`,
      value: `/ci/team-app/very/long/parameter/path/for/this/application/number/${i}/${'x'.repeat(100)}`,
      type: 'PARAMETER_STORE',
    }));
    const request = parseProjectRequest(validBody({ environmentVariables }));

    expect(() => planProvisioning(request, context())).toThrow(/IAM allows 10240/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('expectedState under the audit: compliant by construction', () => {
  test.each<[string, Body]>([
    ['a GitHub project with defaults', validBody()],
    [
      'an S3 project with secrets, variables and tags',
      validBody({
        name: 'platform/tools/builder',
        source: { type: 'S3', location: 'src-bucket/builder/' },
        computeType: 'BUILD_GENERAL1_LARGE',
        environmentVariables: [
          { name: 'DB_PASSWORD', value: '/ci/platform-tools-builder/db', type: 'PARAMETER_STORE' },
          { name: 'GITHUB_TOKEN', value: 'ci/platform-tools-builder/github', type: 'SECRETS_MANAGER' },
          { name: 'API_TOKEN', value: 'changeme', type: 'PLAINTEXT' },
        ],
        tags: { team: 'platform' },
      }),
    ],
    [
      'a CodeCommit project',
      validBody({
        source: {
          type: 'CODECOMMIT',
          location: `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app`,
        },
      }),
    ],
    [
      'a NO_SOURCE project with an inline buildspec',
      validBody({
        source: { type: 'NO_SOURCE' },
        buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [make]\n',
      }),
    ],
  ])('%s: no violation and nothing not-visible under any rule', (_what, body) => {
    const findings = audit(plan(body));

    expectAllCompliant(findings);
  });

  test('the role passes codebuild.role-can-push for its own repository', () => {
    const findings = audit(plan());

    const canPush = findings.filter((f) => f.ruleId === 'codebuild.role-can-push');
    expect(canPush).toEqual([
      expect.objectContaining({
        status: 'compliant',
        resourceArn: OWN_ROLE_ARN,
        details: expect.objectContaining({ repositoryArn: OWN_REPOSITORY_ARN, missing: [] }),
      }),
    ]);
  });

  test('stays compliant under stricter guardrails (cache pull required, tagged cap, configured key)', () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`;
    const guardrails = defaultGuardrails();
    guardrails.rules['codebuild.role-can-push'].requireCachePull = true;
    guardrails.rules['ecr.lifecycle-policy'].taggedImages = { maxAgeDays: 90 };
    guardrails.rules['ecr.lifecycle-policy'].maxUntaggedAgeDays = 3;
    guardrails.rules['ecr.encryption'].kmsKeyArns = [key];

    const findings = audit(plan(validBody(), context({ guardrails })), guardrails);

    expectAllCompliant(findings);
  });

  test('stays compliant with a permissions boundary that allows what the build does', () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;
    const boundary = managedPolicy(boundaryArn, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ecr:*', 'logs:*'], Resource: '*' }],
    });

    const findings = audit(
      plan(validBody(), context({ permissionsBoundaryArn: boundaryArn })),
      defaultGuardrails(),
      [boundary],
    );

    expectAllCompliant(findings);
  });

  test("stays compliant within the stack's own boundary (ProvisionedRoleBoundary)", () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/buildwarden-prod-ProvisionedRoleBoundary-X1`;
    const guardrails = testGuardrails();
    const boundary = managedPolicy(
      boundaryArn,
      provisionedRoleBoundary(guardrails.provisioning, {
        partition: 'aws',
        region: REGION,
        accountId: ACCOUNT,
        urlSuffix: 'amazonaws.com',
      }),
    );
    const body = validBody({
      environmentVariables: [
        { name: 'DB', value: '/ci/team-app/db', type: 'PARAMETER_STORE' },
        { name: 'TOKEN', value: 'ci/team-app/token', type: 'SECRETS_MANAGER' },
      ],
    });

    const findings = audit(plan(body, context({ permissionsBoundaryArn: boundaryArn })), guardrails, [
      boundary,
    ]);

    expectAllCompliant(findings);
  });

  test('any valid request is compliant by construction', () => {
    fc.assert(
      fc.property(validBodyArb, (body) => {
        const findings = audit(plan(body));
        return (
          findings.every((f) => f.status === 'compliant') &&
          new Set(findings.map((f) => f.ruleId)).size === RULE_IDS.length
        );
      }),
      { numRuns: 150 },
    );
  });

  test('the expected state reads like the AWS read APIs report it', () => {
    const state = expectedState(plan());

    expect(state.repository).toMatchObject({
      repositoryArn: OWN_REPOSITORY_ARN,
      registryId: ACCOUNT,
      repositoryUri: OWN_REPOSITORY_URI,
      imageTagMutability: 'IMMUTABLE',
    });
    expect(state.role).toMatchObject({
      Arn: OWN_ROLE_ARN,
      Path: '/service-role/',
      RolePolicyList: [
        { PolicyName: BUILD_POLICY_NAME, PolicyDocument: expect.objectContaining({ Version: '2012-10-17' }) },
      ],
      AttachedManagedPolicies: [],
    });
    expect(state.project).toMatchObject({
      arn: OWN_PROJECT_ARN,
      timeoutInMinutes: 60,
      queuedTimeoutInMinutes: 480,
      encryptionKey: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/s3`,
      logsConfig: { s3Logs: { status: 'DISABLED' } },
    });
    expect(state.policies).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('planProvisioning: references stay inside the project namespaces', () => {
  /** The problems planning refuses a (parsable) body with; fails when it is planned or refused otherwise. */
  function planProblems(body: Body, ctx: ProvisioningContext = context()): string[] {
    const request = parseProjectRequest(body);
    try {
      planProvisioning(request, ctx);
    } catch (error) {
      if (error instanceof InvalidInputError) return error.problems;
      throw error;
    }
    throw new Error('expected the plan to be refused');
  }
  const variables = (...vars: { name: string; value: string; type: string }[]) =>
    validBody({ environmentVariables: vars });
  const OTHER_ACCOUNT = '210987654321';
  const inlineBuildspec = (env: string) =>
    `version: 0.2\nenv:\n${env}\nphases:\n  build:\n    commands: [make]\n`;
  const ALLOWED_PARAMETERS = '(allowed parameter prefixes: /ci/team-app/)';
  const ALLOWED_SECRETS = '(allowed secret prefixes: ci/team-app/)';

  test.each([
    ['a parameter name', 'PARAMETER_STORE', '/ci/team-app/db/password'],
    ['a parameter ARN', 'PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['a secret name with a JSON key', 'SECRETS_MANAGER', 'ci/team-app/github:token'],
    [
      'a secret ARN',
      'SECRETS_MANAGER',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123:key::`,
    ],
  ])('%s inside /ci/{name}/ (the project name team-app) is accepted', (_what, type, value) => {
    const p = plan(variables({ name: 'APP_SECRET', value, type }));

    expect(p.createProject.environment.environmentVariables).toContainEqual({
      name: 'APP_SECRET',
      value,
      type,
    });
  });

  test.each([
    ['a parameter of another project', 'PARAMETER_STORE', '/ci/payments/db-password', ALLOWED_PARAMETERS],
    [
      'a parameter of a project whose name extends it',
      'PARAMETER_STORE',
      '/ci/team-app-prod/x',
      ALLOWED_PARAMETERS,
    ],
    ['a parameter outside /ci/', 'PARAMETER_STORE', '/prod/db/password', ALLOWED_PARAMETERS],
    [
      'a parameter ARN outside',
      'PARAMETER_STORE',
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db`,
      ALLOWED_PARAMETERS,
    ],
    ['a secret of another team', 'SECRETS_MANAGER', 'payments/stripe:key', ALLOWED_SECRETS],
    [
      'a secret ARN outside',
      'SECRETS_MANAGER',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbC123`,
      ALLOWED_SECRETS,
    ],
  ])('%s is refused at its field path, listing the allowed namespaces', (_what, type, value, allowed) => {
    const problems = planProblems(
      variables({ name: 'APP_MODE', value: 'fast', type: 'PLAINTEXT' }, { name: 'APP_SECRET', value, type }),
    );

    const kind = type === 'PARAMETER_STORE' ? 'parameter' : 'secret';
    expect(problems).toEqual([
      `environmentVariables[1].value: ${type} variable APP_SECRET names a ${kind} outside the project's namespaces ${allowed}`,
    ]);
  });

  test.each([
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:parameter/ci/team-app/token`],
    ['PARAMETER_STORE', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/team-app/token`],
    ['PARAMETER_STORE', `arn:aws-us-gov:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:ci/team-app/token-AbC123`],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/team-app/token`],
  ])('a %s ARN in another account, region or partition (%s) is refused', (type, value) => {
    const problems = planProblems(variables({ name: 'APP_SECRET', value, type }));

    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^environmentVariables\\[0\\]\\.value: ${type} variable APP_SECRET names a (parameter|secret) in another account or region: only ${ACCOUNT} in ${REGION} is allowed$`,
        ),
      ),
    ]);
  });

  test.each([
    ['PARAMETER_STORE', '/ci/team-app/*'],
    ['PARAMETER_STORE', '/ci/*'],
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/*`],
    ['PARAMETER_STORE', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/tok?n`],
    ['SECRETS_MANAGER', 'ci/team-app/*'],
    ['SECRETS_MANAGER', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`],
    ['SECRETS_MANAGER', 'ci/team-app/token:*'],
  ])('a %s reference with a wildcard (%s) is refused when the request is read', (type, value) => {
    const problems = problemsOf(variables({ name: 'APP_SECRET', value, type }));

    const kind = type === 'PARAMETER_STORE' ? 'parameter' : 'secret';
    expect(problems).toEqual([
      `environmentVariables[0].value: must name one ${kind}: a wildcard (* or ?) is not allowed anywhere in a reference for ${type} variable APP_SECRET`,
    ]);
  });

  test('every reference outside is listed at once', () => {
    const problems = planProblems(
      validBody({
        environmentVariables: [
          { name: 'A', value: '/prod/a', type: 'PARAMETER_STORE' },
          { name: 'B', value: 'prod/b', type: 'SECRETS_MANAGER' },
        ],
        buildspec: inlineBuildspec('  parameter-store:\n    C: /prod/c'),
      }),
    );

    expect(problems.map((p) => p.slice(0, p.indexOf(' names')))).toEqual([
      'environmentVariables[0].value: PARAMETER_STORE variable A',
      'environmentVariables[1].value: SECRETS_MANAGER variable B',
      'buildspec: env.parameter-store.C',
    ]);
  });

  test('custom prefixes replace the defaults, {name} substituted', () => {
    const guardrails = testGuardrails();
    guardrails.provisioning.parameterPrefixes = ['/builds/{name}/', '/shared/ci/'];
    guardrails.provisioning.secretPrefixes = ['teams/{name}/'];
    const body = variables(
      { name: 'A', value: '/builds/team-app/a', type: 'PARAMETER_STORE' },
      { name: 'B', value: '/shared/ci/b', type: 'PARAMETER_STORE' },
      { name: 'C', value: 'teams/team-app/c', type: 'SECRETS_MANAGER' },
    );

    expect(() => plan(body, context({ guardrails }))).not.toThrow();
    expect(
      planProblems(
        variables({ name: 'D', value: '/ci/team-app/d', type: 'PARAMETER_STORE' }),
        context({ guardrails }),
      ),
    ).toEqual([
      "environmentVariables[0].value: PARAMETER_STORE variable D names a parameter outside the project's namespaces (allowed parameter prefixes: /builds/team-app/, /shared/ci/)",
    ]);
  });

  test('{name} is the CodeBuild project name: team/app reads under /ci/team-app/, not /ci/team/app/', () => {
    const problems = planProblems(variables({ name: 'A', value: '/ci/team/app/a', type: 'PARAMETER_STORE' }));

    expect(problems).toEqual([expect.stringContaining(ALLOWED_PARAMETERS)]);
  });

  test('an S3 source is refused by default: no bucket is a source bucket until configured', () => {
    const guardrails = defaultGuardrails();
    const body = validBody({ source: { type: 'S3', location: 'src-bucket/app.zip' } });

    expect(planProblems(body, context({ guardrails }))).toEqual([
      'source.location: names an S3 bucket that is not a source bucket of the project (allowed source buckets: none)',
    ]);
  });

  test('an S3 source in a configured bucket ({name} substituted) is accepted', () => {
    const guardrails = defaultGuardrails();
    guardrails.provisioning.sourceBuckets = ['src-{name}'];

    const p = plan(
      validBody({ source: { type: 'S3', location: 'src-team-app/app.zip' } }),
      context({ guardrails }),
    );

    expect(p.createProject.source.location).toBe('src-team-app/app.zip');
  });

  test('an S3 source in another project bucket is refused, listing the allowed one', () => {
    const guardrails = defaultGuardrails();
    guardrails.provisioning.sourceBuckets = ['src-{name}'];
    const body = validBody({ source: { type: 'S3', location: 'src-payments/app.zip' } });

    expect(planProblems(body, context({ guardrails }))).toEqual([
      'source.location: names an S3 bucket that is not a source bucket of the project (allowed source buckets: src-team-app)',
    ]);
  });

  test('an S3 location with a wildcard is refused when the request is read', () => {
    expect(problemsOf(validBody({ source: { type: 'S3', location: 'src-bucket/*' } }))).toEqual([
      'source.location: must name one object or folder: a wildcard (* or ?) is not allowed',
    ]);
  });

  test('a CodeCommit repository in another region is refused', () => {
    const location = 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/app';

    expect(planProblems(validBody({ source: { type: 'CODECOMMIT', location } }))).toEqual([
      `source.location: names a CodeCommit repository in another region: only ${REGION} is allowed`,
    ]);
  });

  test('buildspec parameter-store and secrets-manager entries outside are refused by their path', () => {
    const buildspec = inlineBuildspec(
      '  parameter-store:\n    DB: /prod/db/password\n  secrets-manager:\n    TOKEN: payments/stripe:key',
    );

    expect(planProblems(validBody({ buildspec }))).toEqual([
      `buildspec: env.parameter-store.DB names a parameter outside the project's namespaces ${ALLOWED_PARAMETERS}`,
      `buildspec: env.secrets-manager.TOKEN names a secret outside the project's namespaces ${ALLOWED_SECRETS}`,
    ]);
  });

  test('buildspec references with a wildcard are refused when the request is read', () => {
    const buildspec = inlineBuildspec('  parameter-store:\n    ALL: /ci/team-app/*');

    expect(problemsOf(validBody({ buildspec }))).toEqual([
      'buildspec: env.parameter-store.ALL: must name one parameter: a wildcard (* or ?) is not allowed anywhere in a reference',
    ]);
  });

  test.each([
    ['an npm token', 'NPM_TOKEN', 'npm_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5', 'npm-token'],
    ['a password', 'DB_PASSWORD', 'hunter2-but-longer', 'password-literal'],
    ['a Slack token', 'NOTIFY', 'xoxb-' + '153445930147-' + 'Tjy11gGxUW6Cf99YOYwtzG0K', 'slack-token'],
  ])(
    'a buildspec env.variables entry holding %s is refused by its path, never echoing it',
    (_what, name, value, reason) => {
      const text = refusalText(
        validBody({ buildspec: inlineBuildspec(`  variables:\n    ${name}: ${value}`) }),
      );

      expect(text).toContain(
        `buildspec: env.variables.${name} holds what looks like a credential (${reason})`,
      );
      expect(text).not.toContain(value);
    },
  );

  test('buildspec references inside the namespaces are granted exactly, with the variables', () => {
    const buildspec = inlineBuildspec(
      '  parameter-store:\n    DB: /ci/team-app/db\n  secrets-manager:\n    TOKEN: ci/team-app/token:value',
    );

    const p = plan(
      validBody({
        buildspec,
        environmentVariables: [{ name: 'X', value: '/ci/team-app/x', type: 'PARAMETER_STORE' }],
      }),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.find((s) => s.Sid === 'ReadParameters')?.Resource).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/x`,
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/db`,
    ]);
    expect(statements.find((s) => s.Sid === 'ReadSecrets')?.Resource).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/token-??????`,
    ]);
  });

  test('customer managed keys may decrypt exactly those values, only through the service', () => {
    const p = plan(
      variables(
        { name: 'A', value: '/ci/team-app/a', type: 'PARAMETER_STORE' },
        { name: 'B', value: 'ci/team-app/b', type: 'SECRETS_MANAGER' },
      ),
    );

    const statements = statementsOf(p.putRolePolicy.PolicyDocument);
    expect(statements.filter((s) => actionsOf(s).includes('kms:Decrypt'))).toEqual([
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
        Condition: {
          StringEquals: {
            'kms:ViaService': `ssm.${REGION}.amazonaws.com`,
            'kms:EncryptionContext:PARAMETER_ARN': [
              `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/a`,
            ],
          },
        },
      },
      {
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
        Condition: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
          StringLike: {
            'kms:EncryptionContext:SecretARN': [
              `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/b-??????`,
            ],
          },
        },
      },
    ]);
  });

  test('without references the build policy grants no parameter, secret or key at all', () => {
    const actions = statementsOf(plan().putRolePolicy.PolicyDocument).flatMap(actionsOf);

    expect(actions.filter((a) => /^(?:ssm|secretsmanager|kms):/.test(a))).toEqual([]);
  });

  test('the role can read no parameter or secret outside its namespaces, whatever the request', () => {
    const outsideParameter = fc
      .stringMatching(/^\/[a-z]{1,8}(?:\/[a-z0-9-]{1,8}){0,3}$/)
      .filter((name) => !name.startsWith('/ci/team-app/'))
      .map((name) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`);
    const outsideSecret = fc
      .tuple(
        fc.stringMatching(/^[a-z]{1,8}(?:\/[a-z0-9-]{1,8}){0,3}$/),
        fc.stringMatching(/^[A-Za-z0-9]{6}$/),
      )
      .filter(([name]) => !name.startsWith('ci/team-app/'))
      .map(([name, random]) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${random}`);
    // Valid bodies renamed team/app, their references moved to team-app's namespaces.
    const insideBody = validBodyArb.map((body) => ({
      ...body,
      name: 'team/app',
      environmentVariables: (body.environmentVariables as { value: string }[] | undefined)?.map((v) => ({
        ...v,
        value: v.value.replace(/^(\/?ci\/)[^/]+/, '$1team-app'),
      })),
    }));

    fc.assert(
      fc.property(insideBody, outsideParameter, outsideSecret, (body, parameter, secret) => {
        const identity = identityOf(plan(body));
        const read = (action: string, resource: string) =>
          evaluate({ action, resource, principalArn: OWN_ROLE_ARN }, { identity }).decision;
        return (
          read('ssm:GetParameters', parameter) === 'implicit-deny' &&
          read('secretsmanager:GetSecretValue', secret) === 'implicit-deny'
        );
      }),
      { numRuns: 300 },
    );
  });

  test('no parameter or secret resource holds a wildcard but the secret-name suffix', () => {
    fc.assert(
      fc.property(validBodyArb, (body) => {
        const statements = statementsOf(plan(body).putRolePolicy.PolicyDocument);
        const resources = statements
          .filter((s) => s.Sid === 'ReadParameters' || s.Sid === 'ReadSecrets')
          .flatMap((s) => [s.Resource ?? []].flat());
        return resources.every((r) => !/[*?]/.test(r.replace(/-\?{6}$/, '')));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('the created role under the IAM evaluator', () => {
  const identity = () => identityOf(plan());

  test.each([...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS])(
    'is allowed %s on its own repository',
    (action) => {
      const result = evaluate(
        { action, resource: OWN_REPOSITORY_ARN, principalArn: OWN_ROLE_ARN },
        { identity: identity() },
      );

      expect(result.decision).toBe('allowed');
    },
  );

  test('is allowed the ECR login token', () => {
    const result = evaluate(
      { action: ECR_AUTH_ACTION, resource: '*', principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('allowed');
  });

  test('is implicitly denied ecr:PutImage on every other repository', () => {
    const policies = { identity: identity() };
    const otherRepository = fc.oneof(
      repositoryNameArb
        .filter((name) => name !== 'team/app')
        .map((name) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`),
      fc.constantFrom(
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-prod`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app/nested`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/ap`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team`,
        `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team/app`,
        `arn:aws:ecr:${REGION}:210987654321:repository/team/app`,
      ),
    );

    fc.assert(
      fc.property(otherRepository, (resource) => {
        const result = evaluate({ action: 'ecr:PutImage', resource, principalArn: OWN_ROLE_ARN }, policies);
        return result.decision === 'implicit-deny';
      }),
      { numRuns: 500 },
    );
  });

  test.each([OWN_ROLE_ARN, `arn:aws:iam::${ACCOUNT}:role/admin`, '*'])(
    'is denied iam:PassRole on %s',
    (resource) => {
      const result = evaluate(
        { action: 'iam:PassRole', resource, principalArn: OWN_ROLE_ARN },
        { identity: identity() },
      );

      expect(result.decision).toBe('implicit-deny');
    },
  );

  test.each([
    'ecr:BatchDeleteImage',
    'ecr:DeleteRepository',
    'ecr:SetRepositoryPolicy',
    'ecr:PutLifecyclePolicy',
  ])('is denied %s on its own repository', (action) => {
    const result = evaluate(
      { action, resource: OWN_REPOSITORY_ARN, principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('implicit-deny');
  });

  test("is denied writing another project's logs", () => {
    const resource = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/other:log-stream:x`;

    const result = evaluate(
      { action: 'logs:PutLogEvents', resource, principalArn: OWN_ROLE_ARN },
      { identity: identity() },
    );

    expect(result.decision).toBe('implicit-deny');
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('specOf and diffSpecs', () => {
  const specFor = (body: Body) => specOf(plan(body));

  test('identical requests give no difference', () => {
    expect(diffSpecs(specFor(validBody()), specFor(validBody()))).toEqual([]);
  });

  test('defaults given explicitly and lists in another order are the same spec', () => {
    const implicit = validBody({
      environmentVariables: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
      tags: { y: '2', x: '1' },
    });
    const explicit = validBody({
      computeType: 'BUILD_GENERAL1_SMALL',
      image: DEFAULT_IMAGE,
      buildspec: defaultBuildspec(),
      environmentVariables: [
        { name: 'A', value: '1', type: 'PLAINTEXT' },
        { name: 'B', value: '2', type: 'PLAINTEXT' },
      ],
      tags: [
        { key: 'x', value: '1' },
        { key: 'y', value: '2' },
      ],
    });

    expect(diffSpecs(specFor(implicit), specFor(explicit))).toEqual([]);
  });

  test('names exactly the fields that differ', () => {
    const a = validBody({ computeType: 'BUILD_GENERAL1_SMALL', tags: { team: 'a', keep: 'same' } });
    const b = validBody({
      source: { type: 'GITHUB', location: 'https://github.com/example/other.git', branch: 'main' },
      computeType: 'BUILD_GENERAL1_LARGE',
      tags: { team: 'b', keep: 'same' },
    });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual([
      'computeType',
      'source.location',
      'tags[team]',
    ]);
  });

  test('names a changed variable by its field, and an added or removed one as a whole', () => {
    const a = validBody({
      environmentVariables: [
        { name: 'MODE', value: 'a' },
        { name: 'GONE', value: 'x' },
      ],
    });
    const b = validBody({
      environmentVariables: [
        { name: 'MODE', value: 'b' },
        { name: 'NEW', value: '/ci/team-app/y', type: 'PARAMETER_STORE' },
      ],
    });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual([
      'environmentVariables[GONE]',
      'environmentVariables[MODE].value',
      'environmentVariables[NEW]',
    ]);
  });

  test('names a branch, tag or buildspec present on one side only', () => {
    const a = validBody({ source: { type: 'GITHUB', location: 'https://github.com/example/app.git' } });
    const b = validBody({ buildspec: 'buildspec.yml', tags: { team: 'a' } });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual(['buildspec', 'source.branch', 'tags[team]']);
  });

  test('names paths only, never values', () => {
    const a = validBody({ environmentVariables: [{ name: 'MODE', value: 'value-one' }] });
    const b = validBody({ environmentVariables: [{ name: 'MODE', value: 'value-two' }] });

    const text = diffSpecs(specFor(a), specFor(b)).join(' ');

    expect(text).not.toContain('value-one');
    expect(text).not.toContain('value-two');
  });

  test('specOf returns a copy the caller may change', () => {
    const p = plan();
    const spec = specOf(p);

    spec.name = 'changed';

    expect(specOf(p).name).toBe('team/app');
  });
});

describe('specOfProject', () => {
  test('reads back the spec a plan created, whatever order its variables and tags come in', () => {
    const request = parseProjectRequest({
      name: 'team/app',
      source: { type: 'GITHUB', location: 'https://github.com/example-org/app.git', branch: 'main' },
      environmentVariables: [
        { name: 'ZED', value: 'z' },
        { name: 'ALPHA', value: '/ci/team-app/alpha', type: 'PARAMETER_STORE' },
      ],
      tags: [
        { key: 'team', value: 'platform' },
        { key: 'cost-centre', value: '42' },
      ],
    });
    const plan = planProvisioning(request, {
      accountId: '123456789012',
      region: 'us-east-1',
      partition: 'aws',
      guardrails: testGuardrails(),
    });
    const created = expectedState(plan).project;
    created.environment!.environmentVariables!.reverse();
    created.tags!.reverse();

    expect(diffSpecs(specOfProject(created), specOf(plan))).toEqual([]);
  });
});

describe('the request token', () => {
  const TOKEN = '8f14e45f-ceea-467f-a0e6-3b1c2d4e5f60';

  test('tags the repository, the role and the project with buildwarden:request in their create calls', () => {
    const p = plan(validBody(), context({ requestToken: TOKEN }));

    expect({
      repository: p.createRepository.tags.filter((t) => t.Key === REQUEST_TOKEN_TAG),
      role: p.createRole.Tags.filter((t) => t.Key === REQUEST_TOKEN_TAG),
      project: p.createProject.tags.filter((t) => t.key === REQUEST_TOKEN_TAG),
    }).toEqual({
      repository: [{ Key: REQUEST_TOKEN_TAG, Value: TOKEN }],
      role: [{ Key: REQUEST_TOKEN_TAG, Value: TOKEN }],
      project: [{ key: REQUEST_TOKEN_TAG, value: TOKEN }],
    });
  });

  test('keeps the managed-by tag beside it', () => {
    const p = plan(validBody(), context({ requestToken: TOKEN }));

    expect(p.createRole.Tags).toEqual([
      { Key: MANAGED_TAG.key, Value: MANAGED_TAG.value },
      { Key: REQUEST_TOKEN_TAG, Value: TOKEN },
    ]);
  });

  test('is left out when the plan is made without one', () => {
    const p = plan();

    expect(JSON.stringify([p.createRepository.tags, p.createRole.Tags, p.createProject.tags])).not.toContain(
      REQUEST_TOKEN_TAG,
    );
  });

  test('is refused when it is not a token', () => {
    expect(() => plan(validBody(), context({ requestToken: 'a b' }))).toThrow(ProvisioningConfigError);
  });

  test('cannot be set by the caller: buildwarden:request is a reserved tag key', () => {
    expect(problemsOf(validBody({ tags: { [REQUEST_TOKEN_TAG]: 'mine' } }))).toEqual([
      `tags.${REQUEST_TOKEN_TAG}: tag keys starting with buildwarden: are buildwarden's own`,
    ]);
  });

  test('makes no difference between two identical requests with different tokens', () => {
    const first = plan(validBody({ tags: { team: 'a' } }), context({ requestToken: TOKEN }));
    const second = plan(validBody({ tags: { team: 'a' } }), context({ requestToken: 'another-token-0001' }));

    expect(diffSpecs(specOfProject(expectedState(first).project), specOf(second))).toEqual([]);
  });

  test('leaves the created resources compliant under every rule', () => {
    expectAllCompliant(audit(plan(validBody(), context({ requestToken: TOKEN }))));
  });
});

describe('canonicalSpecText', () => {
  test('is equal for identical requests whose variables and tags come in another order', () => {
    const variables = [
      { name: 'A', value: '1' },
      { name: 'B', value: '/ci/team-app/b', type: 'PARAMETER_STORE' },
    ];
    const a = plan(validBody({ environmentVariables: variables, tags: { x: '1', y: '2' } }));
    const b = plan(
      validBody({
        environmentVariables: [...variables].reverse(),
        tags: [
          { key: 'y', value: '2' },
          { key: 'x', value: '1' },
        ],
      }),
    );

    expect(canonicalSpecText(a.spec)).toBe(canonicalSpecText(b.spec));
  });

  test('differs when one field differs', () => {
    const a = plan(validBody());
    const b = plan(validBody({ computeType: 'BUILD_GENERAL1_LARGE' }));

    expect(canonicalSpecText(a.spec)).not.toBe(canonicalSpecText(b.spec));
  });
});

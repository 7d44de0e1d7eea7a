/**
 * Fuzzing POST /projects: well over a thousand random bodies (anything, any JSON, raw text, mutated valid
 * bodies, huge strings) through the real handler, with SDK clients mocked at the class that never fail and
 * find nothing. Every answer must be a 4xx — or a 201 for a body that happens to be valid — never a 500, and
 * a refused body must never have caused a create or put call.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BatchGetProjectsCommand, CreateProjectCommand } from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetRegistryScanningConfigurationCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import type { handler as projectsApiHandler } from '../../../functions/projects-api';
import { parseProjectRequest } from '../../../lib/policy/provisioning/request';
import * as lambda from '../../fixtures/lambda';
import { awsSample } from '../../fixtures/load';

const {
  ecr: ecrMock,
  iam: iamMock,
  codebuild: codebuildMock,
  sts: stsMock,
  document: documentMock,
} = lambda.sdk;
const mocks = lambda.sdk.all;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
let handler: typeof projectsApiHandler;

/** Counted over every property, so the suite fails if the generators stop reaching one of the outcomes. */
const outcomes = { created: 0, refused: 0 };

/** One cold start for the whole file: the properties run many requests against one warm instance. */
beforeAll(async () => {
  // Clients that never fail: the reads find nothing, the creates succeed.
  stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:x` });
  codebuildMock.on(BatchGetProjectsCommand).resolves({ projects: [] });
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
  ecrMock
    .on(GetRegistryScanningConfigurationCommand)
    .resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'BASIC', rules: [] } });
  // The claim on the name: always free.
  documentMock.on(PutCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
  iamMock.on(GetRoleCommand).resolves({});
  ecrMock.on(CreateRepositoryCommand).resolves({});
  ecrMock.on(PutLifecyclePolicyCommand).resolves({});
  iamMock.on(CreateRoleCommand).resolves({});
  iamMock.on(PutRolePolicyCommand).resolves({});
  codebuildMock.on(CreateProjectCommand).resolves({});
  ({ handler } = await lambda.coldStart(() => import('../../../functions/projects-api'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    BUILDWARDEN_IDEMPOTENCY_TABLE: 'buildwarden-test-idempotency',
  }));
});

afterAll(() => {
  for (const mock of mocks) mock.restore();
});

function post(body: string | undefined, isBase64Encoded = false): APIGatewayProxyEventV2 {
  const event = awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');
  event.routeKey = 'POST /projects';
  event.rawPath = '/projects';
  event.requestContext.routeKey = 'POST /projects';
  event.requestContext.http = { ...event.requestContext.http, method: 'POST', path: '/projects' };
  event.isBase64Encoded = isBase64Encoded;
  if (body === undefined) delete event.body;
  else event.body = body;
  return event;
}

/** Names of the create/put commands sent since the last reset. */
function writesSent(): string[] {
  return mocks
    .flatMap((mock) => mock.calls())
    .map((call) => (call.args[0] as unknown as { constructor: { name: string } }).constructor.name)
    .filter((name) => /^(Create|Put|Delete|Tag)/.test(name));
}

/** The decoded JSON value the handler saw, or a marker when the text is not JSON. */
function decoded(text: string | undefined, isBase64Encoded: boolean): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(isBase64Encoded ? Buffer.from(text, 'base64').toString('utf8') : text) as unknown;
  } catch {
    return Symbol('not JSON');
  }
}

const isValidRequest = (value: unknown): boolean => {
  try {
    parseProjectRequest(value);
    return true;
  } catch {
    return false;
  }
};

/** Sends one body and checks the invariants; returns nothing (fast-check fails on a thrown assertion). */
async function checkOne(text: string | undefined, isBase64Encoded = false): Promise<void> {
  for (const mock of mocks) mock.resetHistory();
  const response: APIGatewayProxyStructuredResultV2 = await handler(post(text, isBase64Encoded));
  const status = response.statusCode ?? 0;
  const writes = writesSent();
  const context = `status ${status}, writes [${writes.join(', ')}], body ${String(text).slice(0, 200)}`;
  expect({ context, serverError: status >= 500 }).toEqual({ context, serverError: false });
  expect(response.headers).toEqual({ 'content-type': 'application/json' });
  if (status === 200 || status === 201) {
    outcomes.created += 1;
    expect({ context, valid: isValidRequest(decoded(text, isBase64Encoded)) }).toEqual({
      context,
      valid: true,
    });
  } else {
    outcomes.refused += 1;
    expect({ context, fourXX: status >= 400 && status < 500, writes }).toEqual({
      context,
      fourXX: true,
      writes: [],
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generators

/**
 * Valid bodies of every source type, some with variables and tags. The S3 one is refused as it stands (no
 * source bucket is configured by default), which keeps a refusal made when the plan is built in the mix.
 */
const validBodies: Record<string, unknown>[] = [
  { name: 'team/app', source: { type: 'GITHUB', location: 'https://github.com/example/app.git' } },
  {
    name: 'payments/ledger',
    source: { type: 'GITHUB', location: 'https://github.com/example-org/ledger.git', branch: 'main' },
    computeType: 'BUILD_GENERAL1_MEDIUM',
    environmentVariables: [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'SONAR_TOKEN', value: '/ci/payments-ledger/sonar-token', type: 'PARAMETER_STORE' },
    ],
    tags: [{ key: 'team', value: 'payments' }],
  },
  {
    name: 'data/etl',
    source: { type: 'S3', location: 'example-bucket/sources/etl.zip' },
    tags: { team: 'data' },
  },
  {
    name: 'web/frontend',
    source: {
      type: 'CODECOMMIT',
      location: 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/frontend',
      branch: 'release/1.2',
    },
    image: 'public.ecr.aws/docker/library/node:20',
  },
  {
    name: 'tools/base',
    source: { type: 'NO_SOURCE' },
    buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n',
    environmentVariables: [{ name: 'DB', value: 'ci/tools-base/db:password', type: 'SECRETS_MANAGER' }],
  },
];

const FIELDS = ['name', 'source', 'buildspec', 'computeType', 'image', 'environmentVariables', 'tags'];

type Mutation = (body: Record<string, unknown>) => Record<string, unknown>;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A top-level field replaced with anything.
  fc
    .tuple(fc.constantFrom(...FIELDS), fc.anything({ maxDepth: 2 }))
    .map(([field, value]): Mutation => (b) => ({ ...b, [field]: value })),
  // A field removed.
  fc.constantFrom(...FIELDS).map((field): Mutation => (b) => {
    const copy = { ...b };
    delete copy[field];
    return copy;
  }),
  // An unknown field added (any name, including __proto__ and constructor).
  fc
    .tuple(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'privileged')), fc.jsonValue())
    .map(([field, value]): Mutation => (b) => ({ ...b, [field]: value })),
  // A source field replaced with a string or anything.
  fc
    .tuple(
      fc.constantFrom('type', 'location', 'branch', 'auth'),
      fc.oneof(fc.string(), fc.anything({ maxDepth: 1 })),
    )
    .map(([field, value]): Mutation => (b) => ({
      ...b,
      source: { ...(b.source as object), [field]: value },
    })),
  // Plausible values for the enumerated and free-text fields.
  fc
    .record({
      computeType: fc.constantFrom('BUILD_GENERAL1_SMALL', 'BUILD_GENERAL1_2XLARGE', 'BUILD_LAMBDA_1GB', 'X'),
      image: fc.oneof(fc.constant('aws/codebuild/standard:7.0'), fc.string()),
      name: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,20}(\/[a-z0-9-]{1,20})?$/), fc.string()),
    })
    .map((fields): Mutation => (b) => ({ ...b, ...fields })),
  // Environment variables and tags: random, sometimes reserved or credential-like.
  fc
    .array(
      fc.record({
        name: fc.oneof(
          fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,15}$/),
          fc.constantFrom('AWS_ACCESS_KEY_ID', 'IMAGE_REPO_NAME', 'CODEBUILD_X', 'DB_PASSWORD'),
        ),
        value: fc.oneof(fc.string(), fc.constant('AKIAABCDEFGHIJKLMNOP')),
        type: fc.constantFrom('PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER', 'OTHER'),
      }),
      { maxLength: 4 },
    )
    .map((environmentVariables): Mutation => (b) => ({ ...b, environmentVariables })),
  fc
    .dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 4 })
    .map((tags): Mutation => (b) => ({ ...b, tags })),
);

const mutatedBody = fc
  .tuple(fc.constantFrom(...validBodies), fc.array(mutation, { minLength: 0, maxLength: 3 }))
  .map(([base, mutations]) => mutations.reduce((b, m) => m(b), structuredClone(base)));

/** Strings up to a few hundred kilobytes, in every field that takes one. */
const hugeBody = fc
  .tuple(
    fc.constantFrom(...validBodies),
    fc.constantFrom(
      'name',
      'source.location',
      'source.branch',
      'buildspec',
      'image',
      'env.value',
      'tag.value',
    ),
    fc.integer({ min: 10_000, max: 400_000 }),
    fc.constantFrom('a', 'a/', 'A1+/', '.', 'x\n', '-', '€'),
  )
  .map(([base, field, length, unit]) => {
    const huge = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    const body = structuredClone(base) as Record<string, unknown> & { source: Record<string, unknown> };
    if (field === 'name') body.name = huge;
    else if (field === 'source.location') body.source.location = `https://github.com/o/${huge}`;
    else if (field === 'source.branch') body.source.branch = huge;
    else if (field === 'buildspec')
      body.buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - ${huge}\n`;
    else if (field === 'image') body.image = huge;
    else if (field === 'env.value') body.environmentVariables = [{ name: 'BIG', value: huge }];
    else body.tags = [{ key: 'big', value: huge }];
    return body;
  });

// ---------------------------------------------------------------------------------------------------------

describe('projects API fuzzing: POST /projects never answers 500 and refuses without writing', () => {
  it('holds for anything serialised as JSON (300 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 3 }), async (value) => {
        await checkOne(JSON.stringify(value) as string | undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('holds for any JSON text (200 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 3 }), async (text) => {
        await checkOne(text);
      }),
      { numRuns: 200 },
    );
  });

  it('holds for raw text and random base64 payloads (150 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }).map((text) => [text, false] as const),
          fc
            .uint8Array({ maxLength: 200 })
            .map((bytes) => [Buffer.from(bytes).toString('base64'), true] as const),
        ),
        async ([text, base64]) => {
          await checkOne(text, base64);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holds for mutated valid bodies (500 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBody, async (body) => {
        await checkOne(JSON.stringify(body));
      }),
      { numRuns: 500 },
    );
  });

  it('holds for bodies with huge strings (40 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(hugeBody, async (body) => {
        await checkOne(JSON.stringify(body));
      }),
      { numRuns: 40 },
    );
  });

  it('reached both outcomes: some bodies were created, most were refused', () => {
    expect(outcomes.created).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(outcomes.created);
  });
});

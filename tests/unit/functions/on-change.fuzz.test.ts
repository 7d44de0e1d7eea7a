/**
 * Fuzzing the change-event Lambda: well over a thousand mutated events (fields dropped, retyped or replaced, event
 * names and sources swapped, huge strings, nulls, arrays where objects belong, repository names pointing at other
 * repositories) go through the real handler with every SDK client mocked. The mocks never fail, so any throw is
 * a bug. Properties: the handler returns `{ dropped }` or a change result, and every write it sends targets only
 * the resource the event named.
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  type DescribeRepositoriesCommandInput,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import {
  BatchGetProjectsCommand,
  ListProjectsCommand,
  type Project as SdkProject,
} from '@aws-sdk/client-codebuild';
import {
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import type { handler as onChangeHandler } from '../../../functions/on-change';
import { CHANGE_DETAIL_TYPES, CHANGE_EVENT_NAMES } from '../../../lib/policy/change-events';
import * as lambda from '../../fixtures/lambda';
import { loadJson, REPO_ROOT } from '../../fixtures/load';

const {
  ecr: ecrMock,
  iam: iamMock,
  codebuild: codebuildMock,
  sts: stsMock,
  sns: snsMock,
  dynamo: dynamoMock,
} = lambda.sdk;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`;
const REMEDIATION_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/buildwarden-test-onChange`;
const RUNS = 1500;
const SEED = 20261125;

/** Repositories DescribeRepositories lists when it is asked for all of them (the registry event). */
const LISTED = ['web/frontend', 'payments/api', 'tmp/spike-grpc'];
const REGISTRY_WRITES = new Set([
  'PutImageScanningConfigurationCommand',
  'PutRegistryScanningConfigurationCommand',
]);
const ECR_WRITES = new Set([
  'PutLifecyclePolicyCommand',
  'PutImageScanningConfigurationCommand',
  'PutRegistryScanningConfigurationCommand',
  'PutImageTagMutabilityCommand',
  'SetRepositoryPolicyCommand',
  'DeleteRepositoryPolicyCommand',
]);
const IAM_WRITES = new Set(['PutRolePolicyCommand', 'DetachRolePolicyCommand']);

const HUGE = 'x'.repeat(300_000);
const HUGE_MULTIBYTE = '🚀'.repeat(100_000);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type RawEvent = { [key: string]: Json | undefined };

/** The CloudTrail change events in events/ (other event files there are for other handlers). */
const BASE_EVENTS: RawEvent[] = readdirSync(path.join(REPO_ROOT, 'events'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => loadJson<RawEvent>(path.join('..', '..', 'events', f)))
  .filter((e) => (CHANGE_DETAIL_TYPES as readonly unknown[]).includes(e['detail-type']));

const ALL_EVENT_NAMES = Object.values(CHANGE_EVENT_NAMES).flat();

// ------------------------------------------------------------------------------------------------------------
// Mutations

const repositoryNameArb = fc.oneof(
  fc.constantFrom(
    'web/frontend',
    'payments/api',
    'web/legacy-cache',
    'sandbox/experiments',
    'data/etl',
    'tmp/spike-grpc',
    'WEB/FRONTEND',
    '../payments/api',
    'web/frontend/',
    '*',
    'payments/*',
    ' ',
    '',
    'web/frontend\u0000payments/api',
    `arn:aws:ecr:${REGION}:999999999999:repository/web/frontend`,
    HUGE,
    HUGE_MULTIBYTE,
  ),
  fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9._-]{1,8}){0,2}$/),
  fc.string({ maxLength: 20 }),
);

const valueArb: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([] as Json[]),
  fc.constant({}),
  fc.constant(HUGE),
  fc.constant(HUGE_MULTIBYTE),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.boolean(),
  repositoryNameArb,
  fc.array(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, {
    maxKeys: 3,
  }),
);

type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'set'; at: number; value: Json | undefined }
  | { kind: 'eventName'; value: string }
  | { kind: 'eventSource'; value: string }
  | { kind: 'name'; where: 'request' | 'response' | 'resources' | 'responseRoot'; value: string }
  | { kind: 'principal'; value: string }
  | { kind: 'arrayFor'; path: readonly string[] };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: valueArb }),
  fc.record({
    kind: fc.constant('eventName' as const),
    value: fc.oneof(
      fc.constantFrom(...ALL_EVENT_NAMES, 'DeleteRepository', '', 'constructor', '__proto__', 'toString'),
    ),
  }),
  fc.record({
    kind: fc.constant('eventSource' as const),
    value: fc.constantFrom(
      'ecr.amazonaws.com',
      'codebuild.amazonaws.com',
      'iam.amazonaws.com',
      's3.amazonaws.com',
      '',
    ),
  }),
  fc.record({
    kind: fc.constant('name' as const),
    where: fc.constantFrom(
      'request' as const,
      'response' as const,
      'resources' as const,
      'responseRoot' as const,
    ),
    value: repositoryNameArb,
  }),
  fc.record({
    kind: fc.constant('principal' as const),
    value: fc.constantFrom(
      `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onChange/session`,
      REMEDIATION_ROLE_ARN,
      `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-onChange-v2/session`,
      'arn:aws:iam::123456789012:root',
      HUGE,
      '',
    ),
  }),
  fc.record({
    kind: fc.constant('arrayFor' as const),
    path: fc.constantFrom(
      ['detail'],
      ['detail', 'requestParameters'],
      ['detail', 'responseElements'],
      ['detail', 'userIdentity'],
      ['detail', 'userIdentity', 'sessionContext'],
      ['detail', 'resources'],
      ['detail', 'resources', '0'],
    ),
  }),
);

/** Every path to a value in `value` (objects and arrays), depth first. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [];
  const out: string[][] = [];
  for (const key of Object.keys(value)) {
    const p = [...prefix, key];
    out.push(p, ...pathsOf((value as Record<string, unknown>)[key], p));
  }
  return out;
}

function parentOf(root: RawEvent, p: readonly string[]): Record<string, unknown> | undefined {
  let current: unknown = root;
  for (const key of p.slice(0, -1)) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current && typeof current === 'object' ? (current as Record<string, unknown>) : undefined;
}

/** Sets `p` in `root`, creating plain objects on the way when a step is missing or not an object. */
function setAt(root: RawEvent, p: string[], value: unknown): void {
  let current = root as Record<string, unknown>;
  for (const key of p.slice(0, -1)) {
    const next = current[key];
    if (!next || typeof next !== 'object') current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[p[p.length - 1]!] = value;
}

function mutate(base: RawEvent, mutations: Mutation[]): RawEvent {
  const event = structuredClone(base);
  for (const m of mutations) {
    const paths = pathsOf(event);
    switch (m.kind) {
      case 'drop': {
        const p = paths[m.at % Math.max(1, paths.length)];
        const parent = p && parentOf(event, p);
        if (parent) delete parent[p[p.length - 1]!];
        break;
      }
      case 'set': {
        const p = paths[m.at % Math.max(1, paths.length)];
        const parent = p && parentOf(event, p);
        if (parent) parent[p[p.length - 1]!] = structuredClone(m.value);
        break;
      }
      case 'eventName':
        setAt(event, ['detail', 'eventName'], m.value);
        break;
      case 'eventSource':
        setAt(event, ['detail', 'eventSource'], m.value);
        break;
      case 'name':
        if (m.where === 'request') setAt(event, ['detail', 'requestParameters', 'repositoryName'], m.value);
        else if (m.where === 'response')
          setAt(event, ['detail', 'responseElements', 'repository', 'repositoryName'], m.value);
        else if (m.where === 'responseRoot')
          setAt(event, ['detail', 'responseElements', 'repositoryName'], m.value);
        else
          setAt(
            event,
            ['detail', 'resources'],
            [{ ARN: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${m.value}` }],
          );
        break;
      case 'principal':
        setAt(event, ['detail', 'userIdentity', 'arn'], m.value);
        break;
      case 'arrayFor': {
        const parent = parentOf(event, m.path);
        if (parent)
          parent[m.path[m.path.length - 1]!] = [structuredClone(parent[m.path[m.path.length - 1]!] ?? null)];
        break;
      }
    }
  }
  return event;
}

const eventArb = fc
  .record({
    base: fc.constantFrom(...BASE_EVENTS),
    mutations: fc.array(mutationArb, { minLength: 0, maxLength: 5 }),
  })
  .map(({ base, mutations }) => ({ event: mutate(base, mutations), mutations }));

// ------------------------------------------------------------------------------------------------------------
// What the event names (an oracle written from the CloudTrail record format, not from parseChangeEvent)

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const get = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (acc, k) => (acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[k] : undefined),
    v,
  );

/** The repository name of an ECR repository ARN (`arn:…:ecr:region:account:repository/name`), if it is one. */
function repositoryOfArn(arn: unknown): string | undefined {
  if (!nonEmptyString(arn)) return undefined;
  const parts = arn.split(':');
  const resource = parts.slice(5).join(':');
  return parts[0] === 'arn' &&
    parts[2] === 'ecr' &&
    resource.startsWith('repository/') &&
    resource.length > 11
    ? resource.slice('repository/'.length)
    : undefined;
}

/**
 * The repository names the event gives: requestParameters first (its repositoryName, or the repository ARN of
 * TagResource/UntagResource); the others only when the request has none.
 */
function namedRepositories(event: RawEvent): Set<string> {
  const request = get(event, 'detail', 'requestParameters', 'repositoryName');
  if (nonEmptyString(request)) return new Set([request]);
  const byArn =
    repositoryOfArn(get(event, 'detail', 'requestParameters', 'resourceArn')) ??
    repositoryOfArn(get(event, 'detail', 'requestParameters', 'resourceARN'));
  if (byArn) return new Set([byArn]);
  const names = new Set<string>();
  const response = get(event, 'detail', 'responseElements', 'repository', 'repositoryName');
  if (nonEmptyString(response)) names.add(response);
  const resources = get(event, 'detail', 'resources');
  if (Array.isArray(resources)) {
    for (const r of resources) {
      const arn = get(r, 'ARN');
      const at = nonEmptyString(arn) ? arn.indexOf(':repository/') : -1;
      if (nonEmptyString(arn) && at >= 0) names.add(arn.slice(at + ':repository/'.length));
    }
  }
  return names;
}

// ------------------------------------------------------------------------------------------------------------
// An account whose every repository violates every rule, and whose SDK calls never fail

function sdkRepo(name: string): SdkRepository {
  return {
    repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
    registryId: ACCOUNT,
    repositoryName: name,
    repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
    createdAt: new Date('2026-03-02T09:14:00Z'),
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

function givenNeverFailingAccount(): void {
  stsMock
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/x/y` });
  ecrMock.onAnyCommand().resolves({});
  ecrMock.on(DescribeRepositoriesCommand).callsFake(async (input: DescribeRepositoriesCommandInput) => ({
    repositories: (input.repositoryNames ?? LISTED).map(sdkRepo),
  }));
  ecrMock.on(GetLifecyclePolicyCommand).resolves({});
  ecrMock.on(GetRepositoryPolicyCommand).callsFake(async (input: { repositoryName: string }) => ({
    registryId: ACCOUNT,
    repositoryName: input.repositoryName,
    policyText: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' },
        { Sid: 'Own', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'ecr:*' },
      ],
    }),
  }));
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [] });
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({
    registryId: ACCOUNT,
    scanningConfiguration: { scanType: 'BASIC', rules: [] },
  });
  // Every role exists, with no policy at all (so role-can-push fixes it); projects exist under any name,
  // each building into web/frontend with the service role `<project>-role`.
  iamMock.onAnyCommand().resolves({});
  iamMock.on(GetRoleCommand).callsFake(async (input: { RoleName: string }) => ({
    Role: {
      Path: '/service-role/',
      RoleName: input.RoleName,
      RoleId: 'AROAFUZZROLE',
      Arn: roleArn(input.RoleName),
      CreateDate: new Date('2026-02-11T12:00:00Z'),
      AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(CODEBUILD_TRUST)),
    },
  }));
  iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
  iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
  codebuildMock.onAnyCommand().resolves({});
  codebuildMock.on(ListProjectsCommand).resolves({ projects: LISTED_PROJECTS });
  codebuildMock.on(BatchGetProjectsCommand).callsFake(async (input: { names: string[] }) => ({
    projects: input.names.map(sdkProject),
  }));
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
  // Every event is new to the idempotency table: each generated event is handled.
  dynamoMock.onAnyCommand().resolves({});
}

const LISTED_PROJECTS = ['web-frontend-build', 'data-etl-build'];
const CODEBUILD_TRUST = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
};
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`;
/** The service role of a project in this fuzzed account. */
const serviceRoleOf = (project: string) => `${project}-role`;

function sdkProject(name: string): SdkProject {
  return {
    name,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`,
    source: { type: 'GITHUB', location: 'https://github.com/example-org/app.git' },
    artifacts: { type: 'NO_ARTIFACTS' },
    serviceRole: roleArn(serviceRoleOf(name)),
    environment: {
      type: 'LINUX_CONTAINER',
      image: 'aws/codebuild/standard:7.0',
      computeType: 'BUILD_GENERAL1_SMALL',
      privilegedMode: true,
      environmentVariables: [{ name: 'IMAGE_REPO_NAME', value: 'web/frontend', type: 'PLAINTEXT' }],
    },
    tags: [{ key: 'buildwarden:docker-build', value: 'true' }],
  };
}

interface Write {
  command: string;
  input: Record<string, unknown>;
}

function writesSent(): Write[] {
  return [...ecrMock.calls(), ...iamMock.calls()]
    .map(
      (call) => call.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> },
    )
    .filter((c) => ECR_WRITES.has(c.constructor.name) || IAM_WRITES.has(c.constructor.name))
    .map((c) => ({ command: c.constructor.name, input: c.input }));
}

/** Why the writes do not fit the event, or undefined when they do. */
function misdirectedWrites(event: RawEvent, writes: Write[]): string | undefined {
  if (writes.length === 0) return undefined;
  const source = get(event, 'detail', 'eventSource');
  const name = get(event, 'detail', 'eventName');
  if (source === 'ecr.amazonaws.com' && name === 'PutRegistryScanningConfiguration') {
    const other = writes.find((w) => !REGISTRY_WRITES.has(w.command));
    return other ? `registry event sent ${other.command}` : undefined;
  }
  if (source === 'ecr.amazonaws.com') {
    const named = namedRepositories(event);
    const targets = new Set(writes.map((w) => w.input.repositoryName));
    const wrong = writes.find(
      (w) => !ECR_WRITES.has(w.command) || !named.has(w.input.repositoryName as string),
    );
    if (wrong || targets.size !== 1) {
      return `writes to ${[...targets].map((t) => String(t).slice(0, 80)).join(', ')} (${writes.map((w) => w.command).join(', ')}); the event named ${[...named].map((n) => n.slice(0, 80)).join(', ') || 'nothing'}`;
    }
    return undefined;
  }
  if (source === 'iam.amazonaws.com') {
    const role = get(event, 'detail', 'requestParameters', 'roleName');
    const wrong = writes.find((w) => !IAM_WRITES.has(w.command) || w.input.RoleName !== role);
    return wrong
      ? `IAM event for role ${String(role).slice(0, 80)} sent ${wrong.command} to ${String(wrong.input.RoleName).slice(0, 80)}`
      : undefined;
  }
  // A CodeBuild project event may only fix the service role of the project it names (by name, or by ARN in
  // UpdateProjectVisibility).
  const request = get(event, 'detail', 'requestParameters', 'name');
  const byArn = get(event, 'detail', 'requestParameters', 'projectArn');
  const arnProject =
    nonEmptyString(byArn) &&
    byArn.split(':')[2] === 'codebuild' &&
    byArn.split(':')[5]?.startsWith('project/')
      ? byArn.split(':').slice(5).join(':').slice('project/'.length)
      : undefined;
  const response = get(event, 'detail', 'responseElements', 'project', 'name');
  const project = nonEmptyString(request) ? request : (arnProject ?? response);
  const wrong = writes.find(
    (w) =>
      !IAM_WRITES.has(w.command) || !nonEmptyString(project) || w.input.RoleName !== serviceRoleOf(project),
  );
  return wrong
    ? `CodeBuild event for project ${String(project).slice(0, 80)} sent ${wrong.command} to ${String(wrong.input.RoleName ?? wrong.input.repositoryName).slice(0, 80)}`
    : undefined;
}

// ------------------------------------------------------------------------------------------------------------

let handler: typeof onChangeHandler;

beforeAll(async () => {
  ({ handler } = await lambda.coldStart(() => import('../../../functions/on-change'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
    BUILDWARDEN_REMEDIATION_ROLE_ARN: REMEDIATION_ROLE_ARN,
    BUILDWARDEN_IDEMPOTENCY_TABLE: 'buildwarden-test-idempotency',
    BUILDWARDEN_FINDINGS_TABLE: 'buildwarden-test-findings',
  }));
});

beforeEach(() => {
  lambda.sdk.resetAll();
  lambda.givenFindingsTable();
  givenNeverFailingAccount();
  // Powertools warns that no Lambda context was registered (see tests/integration/dynamodb.test.ts).
  jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  jest.restoreAllMocks();
});

function resetHistory(): void {
  for (const mock of lambda.sdk.all) mock.resetHistory();
}

describe('change-event handler under mutated events', () => {
  it(`never throws and writes only to the resource each event names (${RUNS} events)`, async () => {
    // Prepare
    const seen = { dropped: 0, skipped: 0, withWrites: 0, otherRepository: 0, roleWrites: 0 };

    // Act + Assess (per generated event)
    await fc.assert(
      fc.asyncProperty(eventArb, async ({ event }) => {
        resetHistory();
        let result: Awaited<ReturnType<typeof onChangeHandler>>;
        try {
          result = await handler(event);
        } catch (error) {
          throw new Error(
            `handler threw ${(error as Error).name}: ${(error as Error).message.slice(0, 300)}`,
          );
        }
        if ('dropped' in result) {
          expect(typeof result.dropped).toBe('string');
          expect(writesSent()).toEqual([]);
          seen.dropped += 1;
          return;
        }
        expect(Object.keys(result).sort()).toEqual(['actions', 'notifications', 'skipped']);
        if (result.skipped !== null) seen.skipped += 1;
        const writes = writesSent();
        if (writes.length > 0) seen.withWrites += 1;
        if (writes.some((w) => IAM_WRITES.has(w.command))) seen.roleWrites += 1;
        if (
          writes.some(
            (w) => w.input.repositoryName !== undefined && w.input.repositoryName !== 'web/frontend',
          )
        ) {
          seen.otherRepository += 1;
        }
        const problem = misdirectedWrites(event, writes);
        if (problem) throw new Error(problem);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );

    // Assess: the generator reached every outcome, so the properties above were really exercised.
    expect(seen.dropped).toBeGreaterThan(RUNS / 20);
    expect(seen.skipped).toBeGreaterThan(RUNS / 20);
    expect(seen.withWrites).toBeGreaterThan(RUNS / 20);
    expect(seen.otherRepository).toBeGreaterThan(RUNS / 100);
    expect(seen.roleWrites).toBeGreaterThan(RUNS / 100);
  }, 60_000);

  it('writes to the repository in requestParameters when resources and responseElements name others', async () => {
    // Prepare
    const [event] = BASE_EVENTS.filter(
      (e) => get(e, 'detail', 'eventName') === 'PutImageTagMutability' && !get(e, 'detail', 'errorCode'),
    );
    const conflicting = mutate(event!, [
      { kind: 'name', where: 'response', value: 'payments/api' },
      { kind: 'name', where: 'resources', value: 'data/etl' },
    ]);

    // Act
    await handler(conflicting);

    // Assess
    const targets = new Set(writesSent().map((w) => w.input.repositoryName));
    expect(targets).toEqual(new Set(['web/frontend']));
  });
});

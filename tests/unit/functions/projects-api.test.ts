/**
 * The provisioning HTTP API end to end: the real handler, runtime, error mapping, use case and SDK adapters,
 * with every client it uses (ECR, IAM, CodeBuild, STS) mocked at the class. Requests are the official API
 * Gateway HTTP API (payload 2.0, IAM authorizer) sample, moved to the `/projects` routes. Every test is a
 * fresh cold start with the environment set before the handler module is loaded; no sandbox file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as codebuildSdk from '@aws-sdk/client-codebuild';
import {
  AccountLimitExceededException,
  BatchGetProjectsCommand,
  CreateProjectCommand,
  DeleteProjectCommand,
  type Project as SdkProject,
} from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  type Tag,
} from '@aws-sdk/client-ecr';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  ServiceFailureException,
  type Tag as IamTag,
} from '@aws-sdk/client-iam';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import { expectedState } from '../../../lib/policy/provisioning/expected-state';
import { BUILD_POLICY_NAME } from '../../../lib/policy/provisioning/managed-resources';
import {
  planProvisioning,
  type ProvisioningContext,
  type ProvisioningPlan,
} from '../../../lib/policy/provisioning/plan';
import { parseProjectRequest } from '../../../lib/policy/provisioning/request';
import * as lambda from '../../fixtures/lambda';
import { awsSample, REPO_ROOT } from '../../fixtures/load';

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
/** The official sample's request id. */
const REQUEST_ID = 'ZhLNpgotDoEEJUQ=';
const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/7f3c2a10-5b8e-4c1d-9a6f-2e4b8c0d1f35`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/buildwarden-build-boundary`;
const IDEMPOTENCY_TABLE = 'buildwarden-test-idempotency';

/** Loads the handler in a fresh module registry, as Lambda does on a cold start. */
async function coldStart(extraEnv: lambda.LambdaEnv = {}) {
  const { handler } = await lambda.coldStart(() => import('../../../functions/projects-api'), {
    AWS_REGION: REGION,
    BUILDWARDEN_STAGE: 'test',
    BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:buildwarden-notifications`,
    BUILDWARDEN_IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
    ...extraEnv,
  });
  return handler;
}

/** The official HTTP API IAM-auth sample as `routeKey`, with the path, proxy parameter, query and body given. */
function request(
  routeKey: string,
  options: { rawPath?: string; proxy?: string; body?: string; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const event = awsSample<APIGatewayProxyEventV2>('apigw-http-v2-iam-auth.powertools-ts.json');
  const [method, route] = routeKey.split(' ') as [string, string];
  const rawPath = options.rawPath ?? (options.proxy !== undefined ? `/projects/${options.proxy}` : route);
  event.routeKey = routeKey;
  event.rawPath = rawPath;
  event.requestContext.routeKey = routeKey;
  event.requestContext.http = { ...event.requestContext.http, method, path: rawPath };
  if (options.proxy !== undefined) event.pathParameters = { proxy: options.proxy };
  if (options.query) {
    event.queryStringParameters = options.query;
    event.rawQueryString = new URLSearchParams(options.query).toString();
  }
  if (options.body !== undefined) {
    event.body = options.body;
    event.headers = {
      ...event.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(options.body)),
    };
  }
  return event;
}

type Body = Record<string, unknown>;

/** The demo's request body (payments/ledger: GitHub source, two variables, one tag), fresh per call. */
function requestBody(overrides: Body = {}): Body {
  const text = readFileSync(path.join(REPO_ROOT, 'demo/new-project.json'), 'utf8');
  return { ...(JSON.parse(text) as Body), ...overrides };
}

const post = (body: unknown = requestBody()) =>
  request('POST /projects', { body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The request token the handler tagged its CreateRepository with (a fresh random one per request). */
function tokenSent(): string {
  const tags = ecrMock.commandCalls(CreateRepositoryCommand)[0]?.args[0].input.tags ?? [];
  const token = tags.find((t) => t.Key === 'buildwarden:request')?.Value;
  if (!token) throw new Error('test setup: no CreateRepository with a request token was sent');
  return token;
}

/** The plan of `body`, made with the request token the handler used (after a create was sent). */
function planFor(body: Body = requestBody(), context: Partial<ProvisioningContext> = {}): ProvisioningPlan {
  return planProvisioning(parseProjectRequest(body), {
    accountId: ACCOUNT,
    region: REGION,
    partition: 'aws',
    guardrails: defaultGuardrails(),
    requestToken: tokenSent(),
    ...context,
  });
}

function bodyOf(response: APIGatewayProxyStructuredResultV2): Body {
  return JSON.parse(response.body ?? 'null') as Body;
}

/** Every command sent to any client, in the order sent: `Command` name and input. */
function commandsSent(): { command: string; input: Record<string, unknown> }[] {
  return mocks
    .flatMap((mock) => mock.calls())
    .sort((a, b) => (a.calledBefore(b) ? -1 : 1))
    .map((call) => {
      const command = call.args[0] as unknown as {
        constructor: { name: string };
        input: Record<string, unknown>;
      };
      return { command: command.constructor.name, input: command.input };
    });
}

const names = () => commandsSent().map((c) => c.command.replace(/Command$/, ''));

/**
 * The account, and nothing under the names the request would use (the reads' "not found" answers); a BASIC
 * registry; the claim on the name taken and ended without contention.
 */
function givenEmptyAccount(): void {
  documentMock.on(PutCommand).resolves({});
  documentMock.on(UpdateCommand).resolves({});
  documentMock.on(GetCommand).resolves({});
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({
    registryId: ACCOUNT,
    scanningConfiguration: { scanType: 'BASIC', rules: [] },
  });
  stsMock.on(GetCallerIdentityCommand).resolves({
    UserId: 'AROASAMPLEROLEID:buildwarden-test-projectsApi',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-test-projectsApi/buildwarden-test-projectsApi`,
  });
  codebuildMock
    .on(BatchGetProjectsCommand)
    .callsFake((input: { names?: string[] }) => ({ projects: [], projectsNotFound: input.names ?? [] }));
  ecrMock.on(DescribeRepositoriesCommand).rejects(
    new RepositoryNotFoundException({
      message: `The repository with name 'payments/ledger' does not exist in the registry with id '${ACCOUNT}'`,
      $metadata: {},
    }),
  );
  iamMock
    .on(GetRoleCommand)
    .rejects(new NoSuchEntityException({ message: 'The role with name x cannot be found.', $metadata: {} }));
}

/**
 * An empty account in which every create call succeeds, and the reads then find what was created, with the
 * tags it was created with (a rollback reads them back before deleting).
 */
function givenCreatesSucceed(): void {
  givenEmptyAccount();
  let repositoryTags: Tag[] | undefined;
  let roleTags: IamTag[] | undefined;
  ecrMock.on(CreateRepositoryCommand).callsFake(async (input: { repositoryName: string; tags?: Tag[] }) => {
    repositoryTags = input.tags;
    return {
      repository: {
        repositoryName: input.repositoryName,
        repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${input.repositoryName}`,
        registryId: ACCOUNT,
      },
    };
  });
  ecrMock.on(DescribeRepositoriesCommand).callsFake(async (input: { repositoryNames?: string[] }) => {
    const name = input.repositoryNames?.[0] ?? '';
    if (!repositoryTags) {
      throw new RepositoryNotFoundException({
        message: `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`,
        $metadata: {},
      });
    }
    return {
      repositories: [
        {
          repositoryName: name,
          repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
          registryId: ACCOUNT,
        },
      ],
    };
  });
  ecrMock.on(ListTagsForResourceCommand).callsFake(async () => ({ tags: repositoryTags ?? [] }));
  ecrMock
    .on(GetLifecyclePolicyCommand)
    .rejects(new LifecyclePolicyNotFoundException({ message: 'not found', $metadata: {} }));
  ecrMock
    .on(GetRepositoryPolicyCommand)
    .rejects(new RepositoryPolicyNotFoundException({ message: 'not found', $metadata: {} }));
  ecrMock.on(PutLifecyclePolicyCommand).resolves({ registryId: ACCOUNT });
  iamMock.on(CreateRoleCommand).callsFake(async (input: { Tags?: IamTag[] }) => {
    roleTags = input.Tags;
    return {};
  });
  iamMock.on(GetRoleCommand).callsFake(async (input: { RoleName: string }) => {
    if (!roleTags) {
      throw new NoSuchEntityException({
        message: `The role with name ${input.RoleName} cannot be found.`,
        $metadata: {},
      });
    }
    return {
      Role: {
        RoleName: input.RoleName,
        Path: '/service-role/',
        Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${input.RoleName}`,
        RoleId: 'AROAEXAMPLEROLEID0001',
        CreateDate: new Date('2026-11-25T12:00:00Z'),
        Tags: roleTags,
      },
    };
  });
  iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
  iamMock.on(PutRolePolicyCommand).resolves({});
  codebuildMock.on(CreateProjectCommand).resolves({});
}

/** CreateProject fails with an AWS error whose text must not reach the caller; the rollback succeeds. */
const SECRET_DETAIL = 'internal quota ledger q-7781 for account';
function givenCreateProjectFails(): void {
  givenCreatesSucceed();
  codebuildMock.on(CreateProjectCommand).rejects(
    new AccountLimitExceededException({
      message: `Cannot have more than 5000 projects (${SECRET_DETAIL})`,
      $metadata: { httpStatusCode: 400 },
    }),
  );
  iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [BUILD_POLICY_NAME], IsTruncated: false });
  iamMock.on(GetRolePolicyCommand).resolves({
    RoleName: 'buildwarden-payments-ledger',
    PolicyName: BUILD_POLICY_NAME,
    PolicyDocument: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [] })),
  });
  iamMock.on(DeleteRolePolicyCommand).resolves({});
  iamMock.on(DeleteRoleCommand).resolves({});
  ecrMock.on(DeleteRepositoryCommand).resolves({});
}

/** The official batch-get-projects project as the SDK returns it, named `name`, with `tags`. */
function sdkProject(name: string, tags: { key: string; value: string }[] = []): SdkProject {
  const sample = awsSample<{ projects: (Record<string, unknown> & { created: number })[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[0]!;
  return {
    ...sample,
    name,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`,
    created: new Date(sample.created * 1000),
    lastModified: new Date(sample.created * 1000),
    tags,
  } as SdkProject;
}

/** A project buildwarden did not create, under the name the request maps to. */
function givenUnmanagedProject(name: string): void {
  givenEmptyAccount();
  codebuildMock.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject(name)], projectsNotFound: [] });
}

beforeEach(() => {
  lambda.sdk.resetAll();
});

// ---------------------------------------------------------------------------------------------------------

describe('projects API: POST /projects with a valid body', () => {
  it('answers 201 with the names, ARNs and URI of what it created', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(201);
    expect(bodyOf(response)).toEqual({
      status: 'created',
      name: 'payments/ledger',
      projectName: 'payments-ledger',
      repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/payments/ledger`,
      repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/payments/ledger`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden-payments-ledger`,
      projectArn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/payments-ledger`,
    });
  });

  it('claims the name, looks up project, repository, role and registry scanning (finding nothing), sends the five creates in order, then ends the claim', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    expect(names()).toEqual([
      'GetCallerIdentity',
      'Put',
      'BatchGetProjects',
      'DescribeRepositories',
      // The role lookup sends its lists with GetRole (one round); NoSuchEntity from GetRole decides.
      'GetRole',
      'ListRolePolicies',
      'ListAttachedRolePolicies',
      'GetRegistryScanningConfiguration',
      'CreateRepository',
      'PutLifecyclePolicy',
      'CreateRole',
      'PutRolePolicy',
      'CreateProject',
      'Update',
    ]);
  });

  it('looks up exactly the names the plan will create', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const reads = commandsSent().filter((c) =>
      /^(BatchGetProjects|DescribeRepositories|GetRole)/.test(c.command),
    );
    expect(reads.map((c) => c.input)).toEqual([
      { names: [plan.projectName] },
      { repositoryNames: [plan.createRepository.repositoryName] },
      { RoleName: plan.roleName },
    ]);
  });

  it('sends CreateRepository with exactly the plan: KMS, IMMUTABLE, scan on push, managed-by tag', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const inputs = ecrMock.commandCalls(CreateRepositoryCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([plan.createRepository]);
    expect(inputs[0]).toMatchObject({
      repositoryName: 'payments/ledger',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
      tags: expect.arrayContaining([
        { Key: 'managed-by', Value: 'buildwarden' },
        { Key: 'team', Value: 'payments' },
      ]),
    });
  });

  it('sends PutLifecyclePolicy with exactly the plan', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const inputs = ecrMock.commandCalls(PutLifecyclePolicyCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([plan.putLifecyclePolicy]);
    expect(JSON.parse(inputs[0]!.lifecyclePolicyText!)).toMatchObject({
      rules: [expect.objectContaining({ selection: expect.objectContaining({ tagStatus: 'untagged' }) })],
    });
  });

  it('sends CreateRole with exactly the plan, trusting CodeBuild only for this account and project', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const inputs = iamMock.commandCalls(CreateRoleCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([plan.createRole]);
    expect(JSON.parse(inputs[0]!.AssumeRolePolicyDocument!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'codebuild.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnLike: { 'aws:SourceArn': `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/payments-ledger` },
          },
        }),
      ],
    });
  });

  it('sends PutRolePolicy with exactly the plan', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const inputs = iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([plan.putRolePolicy]);
    expect(inputs[0]).toMatchObject({
      RoleName: 'buildwarden-payments-ledger',
      PolicyName: BUILD_POLICY_NAME,
    });
  });

  it('sends CreateProject with exactly the plan: privileged, with its variables, tags and CloudWatch logs', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());
    const plan = planFor();

    // Assess
    const inputs = codebuildMock.commandCalls(CreateProjectCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([plan.createProject]);
    expect(inputs[0]).toMatchObject({
      name: 'payments-ledger',
      serviceRole: `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden-payments-ledger`,
      environment: {
        privilegedMode: true,
        computeType: 'BUILD_GENERAL1_MEDIUM',
        environmentVariables: expect.arrayContaining([
          {
            name: 'REPOSITORY_URI',
            value: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/payments/ledger`,
            type: 'PLAINTEXT',
          },
          { name: 'NODE_ENV', value: 'production', type: 'PLAINTEXT' },
          { name: 'SONAR_TOKEN', value: '/ci/payments-ledger/sonar-token', type: 'PARAMETER_STORE' },
        ]),
      },
      tags: expect.arrayContaining([
        { key: 'managed-by', value: 'buildwarden' },
        { key: 'buildwarden:docker-build', value: 'true' },
        { key: 'team', value: 'payments' },
      ]),
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: '/aws/codebuild/payments-ledger' } },
    });
  });

  it('uses BUILDWARDEN_PROVISIONING_KMS_KEY_ARN and BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN from the environment', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart({
      BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: KMS_KEY_ARN,
      BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN,
    });

    // Act
    await handler(post());
    const plan = planFor(requestBody(), { kmsKeyArn: KMS_KEY_ARN, permissionsBoundaryArn: BOUNDARY_ARN });

    // Assess
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual(plan.createRepository);
    expect(iamMock.commandCalls(CreateRoleCommand)[0]!.args[0].input).toEqual(plan.createRole);
    expect(plan.createRepository.encryptionConfiguration).toEqual({
      encryptionType: 'KMS',
      kmsKey: KMS_KEY_ARN,
    });
    expect(plan.createRole.PermissionsBoundary).toBe(BOUNDARY_ARN);
  });
});

describe('projects API: POST /projects with the template parameters left blank', () => {
  it('treats blank PROVISIONING_* ARNs as unset: 201, AWS managed key, no boundary', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart({
      BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: '',
      BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN: '',
    });

    // Act
    const response = await handler(post());
    const plan = planFor();

    // Assess
    expect(response.statusCode).toBe(201);
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual(plan.createRepository);
    expect(iamMock.commandCalls(CreateRoleCommand)[0]!.args[0].input).not.toHaveProperty(
      'PermissionsBoundary',
    );
  });
});

describe('projects API: POST /projects when CreateProject fails', () => {
  it('answers 500 naming the step and that everything was removed', async () => {
    // Prepare
    givenCreateProjectFails();
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({
      message: 'provisioning failed at step createProject; everything this request created was removed',
      step: 'createProject',
      leftovers: [],
      requestId: REQUEST_ID,
    });
  });

  it('rolls back: deletes the role inline policy, the role, then the repository with force', async () => {
    // Prepare
    givenCreateProjectFails();
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    const afterCreateProject = commandsSent().slice(
      commandsSent().findIndex((c) => c.command === 'CreateProjectCommand') + 1,
    );
    // Did the failed CreateProject take effect after all? (No: nothing to delete for it.)
    expect(afterCreateProject[0]).toEqual({
      command: 'BatchGetProjectsCommand',
      input: { names: ['payments-ledger'] },
    });
    expect(afterCreateProject.filter((c) => /^(Delete|Detach)/.test(c.command))).toEqual([
      {
        command: 'DeleteRolePolicyCommand',
        input: { RoleName: 'buildwarden-payments-ledger', PolicyName: BUILD_POLICY_NAME },
      },
      { command: 'DeleteRoleCommand', input: { RoleName: 'buildwarden-payments-ledger' } },
      { command: 'DeleteRepositoryCommand', input: { repositoryName: 'payments/ledger', force: true } },
    ]);
  });

  it('reads back the request token of the role and the repository before deleting each', async () => {
    // Prepare
    givenCreateProjectFails();
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    const sent = names();
    const after = sent.indexOf('CreateProject');
    const first = (name: string) => sent.indexOf(name, after);
    expect(first('GetRole')).toBeGreaterThan(after);
    expect(first('GetRole')).toBeLessThan(first('DeleteRole'));
    expect(first('ListTagsForResource')).toBeGreaterThan(after);
    expect(first('ListTagsForResource')).toBeLessThan(first('DeleteRepository'));
  });

  it('deletes nothing that carries another request token', async () => {
    // Prepare
    givenCreateProjectFails();
    // The role and repository of that name now carry another request's token.
    const foreign = [
      { Key: 'managed-by', Value: 'buildwarden' },
      { Key: 'buildwarden:request', Value: 'another-request-0001' },
    ];
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: foreign });
    iamMock.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'buildwarden-payments-ledger',
        Path: '/service-role/',
        Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden-payments-ledger`,
        RoleId: 'AROAEXAMPLEROLEID0002',
        CreateDate: new Date('2026-11-25T12:00:00Z'),
        Tags: foreign,
      },
    });
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    expect(names().filter((n) => /^(Delete|Detach)/.test(n))).toEqual([]);
  });

  it('sends no DeleteProject: the project it failed to create is not its to delete', async () => {
    // Prepare
    givenCreateProjectFails();
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    expect(codebuildMock).not.toHaveReceivedCommand(DeleteProjectCommand);
  });

  it('keeps the AWS error name, its text and any stack out of the body', async () => {
    // Prepare
    givenCreateProjectFails();
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.body).not.toContain('AccountLimitExceeded');
    expect(response.body).not.toContain(SECRET_DETAIL);
    expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  });
});

describe('projects API: POST /projects with a bad request', () => {
  it('answers 400 for a body that is not JSON, and calls no AWS API but STS', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(post('{"name": "payments/ledger",'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      message: 'invalid request',
      problems: ['body: not valid JSON'],
      requestId: REQUEST_ID,
    });
    expect(names().filter((n) => n !== 'GetCallerIdentity')).toEqual([]);
  });

  it('answers 400 naming the depth for a body nested 5,000 levels deep, and calls no AWS API but STS', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();
    const deep = JSON.stringify(requestBody()).replace(
      '"tags":',
      `"deep": ${'['.repeat(5000)}${']'.repeat(5000)}, "tags":`,
    );

    // Act
    const response = await handler(post(deep));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      message: 'invalid request',
      problems: [expect.stringMatching(/^body: nested deeper than 512 levels \(line 1, column \d+\)$/)],
    });
    expect(names().filter((n) => n !== 'GetCallerIdentity')).toEqual([]);
  });

  it('answers 400 for a request without a body', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(request('POST /projects'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ problems: ['body: expected a JSON object'] });
  });

  it('answers 400 naming an unknown field', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(post(requestBody({ privileged: false })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ problems: ['privileged: unknown field'] });
  });

  it('answers 400 listing every problem by field', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(
      post({ name: 'Payments', source: { type: 'GITHUB' }, computeType: 'BUILD_LAMBDA_1GB' }),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    const problems = bodyOf(response).problems as string[];
    expect(problems.map((p) => p.slice(0, p.indexOf(':'))).sort()).toEqual([
      'computeType',
      'name',
      'source.location',
    ]);
  });

  it('sends no create call for an invalid body', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post(requestBody({ privileged: false })));

    // Assess
    expect(names().filter((n) => /^(Create|Put)[A-Z]/.test(n))).toEqual([]);
  });
});

describe('projects API: POST /projects reaching outside the project namespaces', () => {
  const OTHER_ACCOUNT = '210987654321';
  const hostile: [string, Body, string][] = [
    [
      'a parameter of another team',
      {
        environmentVariables: [
          { name: 'DB_PASSWORD', value: '/prod/payments/db-password', type: 'PARAMETER_STORE' },
        ],
      },
      "environmentVariables[0].value: PARAMETER_STORE variable DB_PASSWORD names a parameter outside the project's namespaces (allowed parameter prefixes: /ci/payments-ledger/)",
    ],
    [
      'every parameter through a wildcard ARN',
      {
        environmentVariables: [
          { name: 'ALL', value: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/*`, type: 'PARAMETER_STORE' },
        ],
      },
      'environmentVariables[0].value: must name one parameter: a wildcard (* or ?) is not allowed anywhere in a reference for PARAMETER_STORE variable ALL',
    ],
    [
      'a secret in another account',
      {
        environmentVariables: [
          {
            name: 'TOKEN',
            value: `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:ci/payments-ledger/token-AbC123`,
            type: 'SECRETS_MANAGER',
          },
        ],
      },
      `environmentVariables[0].value: SECRETS_MANAGER variable TOKEN names a secret in another account or region: only ${ACCOUNT} in ${REGION} is allowed`,
    ],
    [
      'any S3 bucket as the source',
      { source: { type: 'S3', location: 'finance-exports/2026/ledger.zip' }, environmentVariables: [] },
      'source.location: names an S3 bucket that is not a source bucket of the project (allowed source buckets: none)',
    ],
    [
      'a secret read by the inline buildspec',
      {
        environmentVariables: [],
        buildspec:
          'version: 0.2\nenv:\n  secrets-manager:\n    KEY: payments/stripe:api-key\nphases:\n  build:\n    commands:\n      - echo $KEY\n',
      },
      "buildspec: env.secrets-manager.KEY names a secret outside the project's namespaces (allowed secret prefixes: ci/payments-ledger/)",
    ],
  ];

  it.each(hostile)(
    'answers 400 for %s, naming the field and the allowed namespaces',
    async (_what, overrides, problem) => {
      // Prepare
      givenCreatesSucceed();
      const handler = await coldStart();

      // Act
      const response = await handler(post(requestBody(overrides)));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toEqual({
        message: 'invalid request',
        problems: [problem],
        requestId: REQUEST_ID,
      });
    },
  );

  it.each(hostile)('creates nothing for %s: no create, put or tag call is sent', async (_what, overrides) => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post(requestBody(overrides)));

    // Assess
    expect(names().filter((n) => /^(Create|Put|Tag|Attach)/.test(n))).toEqual([]);
  });

  it('answers 201 for references inside namespaces configured in BUILDWARDEN_CONFIG', async () => {
    // Prepare
    givenCreatesSucceed();
    const dir = mkdtempSync(path.join(tmpdir(), 'bw-guardrails-'));
    const file = path.join(dir, 'guardrails.yml');
    writeFileSync(
      file,
      "provisioning:\n  parameterPrefixes: ['/builds/{name}/']\n  sourceBuckets: [build-sources]\n",
    );
    const handler = await coldStart({ BUILDWARDEN_CONFIG: file });
    const body = requestBody({
      source: { type: 'S3', location: 'build-sources/payments/ledger.zip' },
      environmentVariables: [
        { name: 'SONAR_TOKEN', value: '/builds/payments-ledger/sonar', type: 'PARAMETER_STORE' },
      ],
    });

    // Act
    const response = await handler(post(body));

    // Assess
    expect(response.statusCode).toBe(201);
    const policy = JSON.parse(
      (iamMock.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument as string) ?? '{}',
    ) as { Statement: { Sid: string; Resource: unknown }[] };
    expect(policy.Statement.find((st) => st.Sid === 'ReadParameters')?.Resource).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/builds/payments-ledger/sonar`,
    ]);
  });
});

describe('projects API: POST /projects for a name that is taken', () => {
  it('answers 409 when a project of that name exists that buildwarden did not create', async () => {
    // Prepare
    givenUnmanagedProject('payments-ledger');
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({
      message: expect.stringContaining('not managed by buildwarden'),
    });
    expect(names().filter((n) => /^(Create|Put)[A-Z]/.test(n))).toEqual([]);
  });
});

describe('projects API: GET /projects and GET /projects/{proxy+}', () => {
  it('answers 404 for a project that does not exist', async () => {
    // Prepare
    givenEmptyAccount();
    const handler = await coldStart();

    // Act
    const response = await handler(request('GET /projects/{proxy+}', { proxy: 'nobody/here' }));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toEqual({
      message: 'no managed project named nobody/here',
      requestId: REQUEST_ID,
    });
  });

  it('looks the project up by the project name derived from the path', async () => {
    // Prepare
    givenEmptyAccount();
    const handler = await coldStart();

    // Act
    await handler(request('GET /projects/{proxy+}', { proxy: 'team/app' }));

    // Assess
    expect(codebuildMock).toHaveReceivedCommandWith(BatchGetProjectsCommand, { names: ['team-app'] });
  });

  it('answers 200 with an empty list in an account without managed projects', async () => {
    // Prepare
    givenEmptyAccount();
    codebuildMock.on(codebuildSdk.ListProjectsCommand).resolves({ projects: ['payments-ledger-legacy'] });
    codebuildMock.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject('payments-ledger-legacy')] });
    const handler = await coldStart();

    // Act
    const response = await handler(request('GET /projects'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ projects: [] });
  });

  it('answers 404 for a route it does not serve', async () => {
    // Prepare
    givenEmptyAccount();
    const handler = await coldStart();

    // Act
    const response = await handler(request('PUT /projects/{proxy+}', { proxy: 'team/app', body: '{}' }));

    // Assess
    expect(response.statusCode).toBe(404);
  });
});

describe('projects API: DELETE /projects/{proxy+}', () => {
  it('answers 409 for a project buildwarden did not create, and deletes nothing', async () => {
    // Prepare
    givenUnmanagedProject('payments-api-build');
    const handler = await coldStart();

    // Act
    const response = await handler(request('DELETE /projects/{proxy+}', { proxy: 'payments-api-build' }));

    // Assess
    expect(response.statusCode).toBe(409);
    expect(names().filter((n) => n.startsWith('Delete'))).toEqual([]);
  });

  it('answers 400 for a force parameter that is neither true nor false', async () => {
    // Prepare
    givenEmptyAccount();
    const handler = await coldStart();

    // Act
    const response = await handler(
      request('DELETE /projects/{proxy+}', { proxy: 'team/app', query: { force: 'yes' } }),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ problems: ['force: expected true or false'] });
  });
});

describe('projects API: every response is JSON', () => {
  it.each([
    ['201 created', givenCreatesSucceed, () => post()],
    ['400 invalid JSON', givenCreatesSucceed, () => post('not json')],
    ['400 unknown field', givenCreatesSucceed, () => post(requestBody({ extra: 1 }))],
    ['404 unknown project', givenEmptyAccount, () => request('GET /projects/{proxy+}', { proxy: 'nobody' })],
    [
      '409 unmanaged',
      () => givenUnmanagedProject('payments-api-build'),
      () => request('DELETE /projects/{proxy+}', { proxy: 'payments-api-build' }),
    ],
    ['500 failed step', givenCreateProjectFails, () => post()],
  ])('answers %s with content-type application/json and a JSON body', async (_case, given, makeRequest) => {
    // Prepare
    given();
    const handler = await coldStart();

    // Act
    const response = await handler(makeRequest());

    // Assess
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(() => JSON.parse(response.body ?? '')).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Claims, enhanced scanning and repairs through the handler

/** The plan of the demo body as the request that created the existing project made it. */
function existingPlan(): ProvisioningPlan {
  return planProvisioning(parseProjectRequest(requestBody()), {
    accountId: ACCOUNT,
    region: REGION,
    partition: 'aws',
    guardrails: defaultGuardrails(),
    requestToken: 'the-creating-request-0001',
  });
}

/**
 * payments/ledger exists as created — project, repository with its lifecycle policy — except that its role was
 * deleted.
 */
function givenLedgerWithoutItsRole(): void {
  givenEmptyAccount();
  const plan = existingPlan();
  const state = expectedState(plan);
  codebuildMock.on(BatchGetProjectsCommand).resolves({
    projects: [{ ...(state.project as unknown as SdkProject) }],
    projectsNotFound: [],
  });
  ecrMock.on(DescribeRepositoriesCommand).resolves({
    repositories: [
      {
        repositoryArn: plan.resources.repositoryArn,
        registryId: ACCOUNT,
        repositoryName: plan.createRepository.repositoryName,
        repositoryUri: plan.resources.repositoryUri,
        createdAt: new Date('2026-11-25T12:00:00Z'),
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS' },
      },
    ],
  });
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: plan.createRepository.tags });
  ecrMock.on(GetLifecyclePolicyCommand).resolves({
    registryId: ACCOUNT,
    repositoryName: plan.createRepository.repositoryName,
    lifecyclePolicyText: plan.putLifecyclePolicy.lifecyclePolicyText,
  });
  ecrMock
    .on(GetRepositoryPolicyCommand)
    .rejects(new RepositoryPolicyNotFoundException({ message: 'not found', $metadata: {} }));
}

describe('projects API: POST /projects while another request holds the name', () => {
  it('answers 409 when the request in flight has a different spec, and creates nothing', async () => {
    // Prepare
    givenCreatesSucceed();
    documentMock
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    documentMock.on(GetCommand).resolves({
      Item: {
        id: 'buildwarden-provisioning#payments-ledger',
        name: 'payments-ledger',
        token: 'another-request-0001',
        specHash: 'a-different-spec',
        state: 'in-progress',
        expiresAt: Date.now() + 60_000,
        expiration: Math.ceil(Date.now() / 1000) + 3660,
      },
    });
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({
      message: expect.stringContaining('being changed by another request'),
    });
    expect(names().filter((n) => /^(Create|Put)[A-Z]/.test(n))).toEqual([]);
  });

  it('claims the name with a conditional put on the idempotency table', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    await handler(post());

    // Assess
    expect(documentMock.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      TableName: IDEMPOTENCY_TABLE,
      Item: { id: 'buildwarden-provisioning#payments-ledger', state: 'in-progress' },
      ConditionExpression: expect.stringContaining('attribute_not_exists(id)'),
    });
  });
});

describe('projects API: POST /projects under enhanced registry scanning', () => {
  /** The registry answers `first`, and after a put what was put. */
  function givenEnhancedRegistry(first: { scanType: 'ENHANCED'; rules: unknown[] }): void {
    let current: unknown = first;
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .callsFake(async () => ({ registryId: ACCOUNT, scanningConfiguration: current }));
    ecrMock.on(PutRegistryScanningConfigurationCommand).callsFake(async (input: unknown) => {
      current = input;
      return { registryScanningConfiguration: input };
    });
  }

  it('adds the repository to the continuous-scan rule of the registry, and answers 201', async () => {
    // Prepare
    givenCreatesSucceed();
    givenEnhancedRegistry({
      scanType: 'ENHANCED',
      rules: awsSample('ecr-registry-scanning-rules.enhanced-prod.user-guide.json'),
    });
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(201);
    expect(ecrMock.commandCalls(PutRegistryScanningConfigurationCommand).map((c) => c.args[0].input)).toEqual(
      [
        {
          scanType: 'ENHANCED',
          rules: [
            {
              scanFrequency: 'CONTINUOUS_SCAN',
              repositoryFilters: [
                { filter: 'prod', filterType: 'WILDCARD' },
                { filter: 'payments/ledger', filterType: 'WILDCARD' },
              ],
            },
          ],
        },
      ],
    );
  });

  it('answers 409 naming the limit when the rule already holds 100 filters, and creates nothing', async () => {
    // Prepare
    givenCreatesSucceed();
    givenEnhancedRegistry({
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: Array.from({ length: 100 }, (_, i) => ({
            filter: `team-${i}`,
            filterType: 'WILDCARD',
          })),
        },
      ],
    });
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({ message: expect.stringContaining('100 filters') });
    expect(names().filter((n) => /^(Create|Put)[A-Z]/.test(n))).toEqual([]);
  });
});

describe('projects API: POST /projects for a project whose role was deleted', () => {
  it('recreates the role with its policy and answers 200 status repaired naming it', async () => {
    // Prepare
    givenLedgerWithoutItsRole();
    iamMock.on(CreateRoleCommand).resolves({});
    iamMock.on(PutRolePolicyCommand).resolves({});
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'repaired',
      repaired: [
        { part: 'role', status: 'missing', detail: 'role buildwarden-payments-ledger does not exist' },
      ],
    });
    expect(names().filter((n) => /^(Create|Put|Update)[A-Z]/.test(n))).toEqual([
      'CreateRole',
      'PutRolePolicy',
    ]);
  });

  it('answers 500 naming the step when the repair fails, with what it repaired before', async () => {
    // Prepare
    givenLedgerWithoutItsRole();
    iamMock
      .on(CreateRoleCommand)
      .rejects(new ServiceFailureException({ message: 'internal detail q-1', $metadata: {} }));
    const handler = await coldStart();

    // Act
    const response = await handler(post());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({
      message:
        'repairing failed at step role: recreateRole; what was repaired stays: send the same request again to finish',
      step: 'role: recreateRole',
      leftovers: [],
      repaired: [],
      requestId: REQUEST_ID,
    });
  });
});

describe('projects API: POST /projects into a member account (organization mode)', () => {
  const MEMBER = '444455556666';
  const ORG_ENV: lambda.LambdaEnv = { BUILDWARDEN_MEMBER_EXTERNAL_ID: 'org-external-id' };

  function givenOrganization(): void {
    lambda.sdk.organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: ACCOUNT, Name: 'Security Tooling', State: 'ACTIVE' },
        { Id: MEMBER, Name: 'Builds', State: 'ACTIVE' },
      ],
    });
  }

  it('answers 400 naming account for a malformed account id, creating nothing', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart(ORG_ENV);

    // Act
    const response = await handler(post(requestBody({ account: 'prod' })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain('account: expected a 12-digit AWS account id');
    expect(ecrMock).not.toHaveReceivedCommand(CreateRepositoryCommand);
  });

  it('answers 400 naming account when another account is asked for in single-account mode', async () => {
    // Prepare
    givenCreatesSucceed();
    const handler = await coldStart();

    // Act
    const response = await handler(post(requestBody({ account: MEMBER })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain('account: provisioning outside the deployment');
    expect(ecrMock).not.toHaveReceivedCommand(CreateRepositoryCommand);
  });

  it('answers 400 naming account for an account outside the organization', async () => {
    // Prepare
    givenCreatesSucceed();
    givenOrganization();
    const handler = await coldStart(ORG_ENV);

    // Act
    const response = await handler(post(requestBody({ account: '999988887777' })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain(
      'account: the request names account 999988887777, which is not an ACTIVE account of the organization',
    );
    expect(ecrMock).not.toHaveReceivedCommand(CreateRepositoryCommand);
  });

  it('provisions in the member account with the boundary its member stack keeps', async () => {
    // Prepare
    givenCreatesSucceed();
    givenOrganization();
    const handler = await coldStart(ORG_ENV);

    // Act
    const response = await handler(post(requestBody({ account: MEMBER, region: REGION })));

    // Assess
    expect(response.statusCode).toBe(201);
    expect(iamMock).toHaveReceivedCommandWith(CreateRoleCommand, {
      PermissionsBoundary: `arn:aws:iam::${MEMBER}:policy/buildwarden-provisioned-role-boundary-${REGION}`,
    });
  });

  it('claims the name in the hub’s table keyed with the account and Region', async () => {
    // Prepare
    givenCreatesSucceed();
    givenOrganization();
    const handler = await coldStart(ORG_ENV);

    // Act
    await handler(post(requestBody({ account: MEMBER })));

    // Assess
    const claim = documentMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(claim).toMatchObject({ TableName: IDEMPOTENCY_TABLE });
    expect(String(claim.Item?.id)).toBe(`buildwarden-provisioning#${MEMBER}/${REGION}/payments-ledger`);
  });
});

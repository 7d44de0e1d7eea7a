/**
 * AwsProvisioner: the exact ECR, IAM and CodeBuild requests that create and delete a managed build project,
 * which "not found" answers count as done, and that it sends only the IAM actions it declares.
 */
import {
  CodeBuildClient,
  CreateProjectCommand,
  DeleteProjectCommand,
  InvalidInputException,
  UpdateProjectCommand,
} from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  ServiceFailureException,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { AlreadyExistsError, RoleNotAssumableYetError } from '../../../lib/errors';
import 'aws-sdk-client-mock-jest';
import { AwsProvisioner, provisionerActions } from '../../../lib/aws/provisioner';
import { projectUpdate } from '../../../lib/policy/convergence';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import { expectedState } from '../../../lib/policy/provisioning/expected-state';
import { planProvisioning, type ProvisioningPlan } from '../../../lib/policy/provisioning/plan';
import { parseProjectRequest } from '../../../lib/policy/provisioning/request';
import { awsSample } from '../../fixtures/load';

const ecrMock = mockClient(ECRClient);
const iamMock = mockClient(IAMClient);
const codebuildMock = mockClient(CodeBuildClient);
const mocks = { ecr: ecrMock, iam: iamMock, codebuild: codebuildMock };

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE = 'buildwarden-team-app';
const REPOSITORY = 'team/app';

function provisioner(): AwsProvisioner {
  return new AwsProvisioner({
    ecr: new ECRClient({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    codebuild: new CodeBuildClient({ region: REGION }),
  });
}

/** A plan with a KMS key, a permissions boundary, variables and tags, so every optional field is sent. */
function plan(): ProvisioningPlan {
  const request = parseProjectRequest({
    name: REPOSITORY,
    source: { type: 'GITHUB', location: 'https://github.com/example/app.git', branch: 'main' },
    environmentVariables: [{ name: 'SONAR_TOKEN', value: '/ci/team-app/sonar', type: 'PARAMETER_STORE' }],
    tags: [{ key: 'team', value: 'platform' }],
  });
  return planProvisioning(request, {
    accountId: ACCOUNT,
    region: REGION,
    partition: 'aws',
    guardrails: defaultGuardrails(),
    kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`,
    permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
  });
}

/** The IAM action of every command sent in this test, e.g. `iam:DeleteRole`, in the order sent per client. */
function actionsSent(): string[] {
  return Object.entries(mocks).flatMap(([service, mock]) =>
    mock
      .calls()
      .map(
        (call) =>
          `${service}:${(call.args[0] as unknown as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')}`,
      ),
  );
}

/** The IAM commands sent, in order, with their inputs. */
function iamSent(): { command: string; input: unknown }[] {
  return iamMock.calls().map((call) => {
    const command = call.args[0] as unknown as { constructor: { name: string }; input: unknown };
    return { command: command.constructor.name, input: command.input };
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * Answers one page per call and records a copy of each input as it was sent: the SDK paginators reuse and
 * mutate one input object, so the inputs kept by the mock would all show the last page's token.
 */
function pagesRecording<T>(log: Record<string, unknown>[], ...pages: T[]): (input: object) => T {
  let next = 0;
  return (input) => {
    log.push({ ...(input as Record<string, unknown>) });
    return pages[Math.min(next++, pages.length - 1)]!;
  };
}

let listInputs: Record<string, unknown>[] = [];

const noSuchEntity = () =>
  new NoSuchEntityException({ message: `The role with name ${ROLE} cannot be found.`, $metadata: {} });

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset();
  listInputs = [];
});

// Every test doubles as a least-privilege check: whatever it made the adapter send must be declared.
afterEach(() => {
  const undeclared = actionsSent().filter((a) => !(provisionerActions as readonly string[]).includes(a));
  expect(undeclared).toEqual([]);
});

describe('AwsProvisioner: creating', () => {
  it('sends CreateRepository with the plan input unchanged', async () => {
    // Prepare
    ecrMock.on(CreateRepositoryCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().createRepository(p.createRepository);

    // Assess
    expect(ecrMock.commandCalls(CreateRepositoryCommand).map((c) => c.args[0].input)).toEqual([
      {
        repositoryName: REPOSITORY,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1` },
        tags: [
          { Key: 'managed-by', Value: 'buildwarden' },
          { Key: 'team', Value: 'platform' },
        ],
      },
    ]);
  });

  it('sends PutLifecyclePolicy with the plan input unchanged', async () => {
    // Prepare
    ecrMock.on(PutLifecyclePolicyCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().putLifecyclePolicy(p.putLifecyclePolicy);

    // Assess
    expect(ecrMock).toHaveReceivedCommandTimes(PutLifecyclePolicyCommand, 1);
    expect(ecrMock.commandCalls(PutLifecyclePolicyCommand)[0]!.args[0].input).toEqual({
      repositoryName: REPOSITORY,
      lifecyclePolicyText: p.putLifecyclePolicy.lifecyclePolicyText,
    });
  });

  it('sends CreateRole with path, trust policy, boundary and managed-by tag', async () => {
    // Prepare
    iamMock.on(CreateRoleCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().createRole(p.createRole);

    // Assess
    expect(iamSent()).toEqual([
      {
        command: 'CreateRoleCommand',
        input: {
          RoleName: ROLE,
          Path: '/service-role/',
          AssumeRolePolicyDocument: p.createRole.AssumeRolePolicyDocument,
          PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
          Tags: [{ Key: 'managed-by', Value: 'buildwarden' }],
        },
      },
    ]);
  });

  it('sends PutRolePolicy with the build policy', async () => {
    // Prepare
    iamMock.on(PutRolePolicyCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().putRolePolicy(p.putRolePolicy);

    // Assess
    expect(iamSent()).toEqual([
      {
        command: 'PutRolePolicyCommand',
        input: {
          RoleName: ROLE,
          PolicyName: 'buildwarden-build',
          PolicyDocument: p.putRolePolicy.PolicyDocument,
        },
      },
    ]);
  });

  it('sends CreateProject with the plan input unchanged', async () => {
    // Prepare
    codebuildMock.on(CreateProjectCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().createProject(p.createProject);

    // Assess
    expect(codebuildMock.commandCalls(CreateProjectCommand).map((c) => c.args[0].input)).toEqual([
      p.createProject,
    ]);
    expect(p.createProject).toMatchObject({
      name: 'team-app',
      serviceRole: `arn:aws:iam::${ACCOUNT}:role/service-role/${ROLE}`,
      environment: { privilegedMode: true },
    });
  });

  it('throws AlreadyExistsError for a create that meets a resource of that name, keeping the AWS error', async () => {
    // Prepare
    ecrMock
      .on(CreateRepositoryCommand)
      .rejects(new RepositoryAlreadyExistsException({ message: 'already exists', $metadata: {} }));

    // Act
    const error = await rejectionOf(provisioner().createRepository(plan().createRepository));

    // Assess
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({ cause: { name: 'RepositoryAlreadyExistsException' } });
  });

  it('throws RoleNotAssumableYetError for the IAM-propagation InvalidInputException of CreateProject', async () => {
    // Prepare
    const propagation = new InvalidInputException({
      message: `CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::${ACCOUNT}:role/service-role/${ROLE}`,
      $metadata: {},
    });
    codebuildMock.on(CreateProjectCommand).rejects(propagation);

    // Act
    const error = await rejectionOf(provisioner().createProject(plan().createProject));

    // Assess
    expect(error).toBeInstanceOf(RoleNotAssumableYetError);
    expect(error).toMatchObject({ message: propagation.message, cause: propagation });
  });
});

describe('AwsProvisioner: deleteProject', () => {
  it('sends DeleteProject by name', async () => {
    // Prepare
    codebuildMock.on(DeleteProjectCommand).resolves({});

    // Act
    await provisioner().deleteProject('team-app');

    // Assess
    expect(codebuildMock.commandCalls(DeleteProjectCommand).map((c) => c.args[0].input)).toEqual([
      { name: 'team-app' },
    ]);
  });
});

/** The official list-attached-role-policies output (SecurityAudit attached). */
const attachedSample = () =>
  awsSample<{ AttachedPolicies: { PolicyName: string; PolicyArn: string }[]; IsTruncated: boolean }>(
    'api-iam-list-attached-role-policies.aws-cli.json',
  );

describe('AwsProvisioner: deleteRole', () => {
  beforeEach(() => {
    // No managed policy attached unless a test says otherwise.
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
  });

  it('detaches every attached managed policy before deleting the inline policies and the role', async () => {
    // Prepare
    iamMock.on(ListAttachedRolePoliciesCommand).resolves(attachedSample());
    iamMock.on(DetachRolePolicyCommand).resolves({});
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['buildwarden-build'], IsTruncated: false });
    iamMock.on(DeleteRolePolicyCommand).resolves({});
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(iamSent().filter((c) => !c.command.startsWith('List'))).toEqual([
      {
        command: 'DetachRolePolicyCommand',
        input: { RoleName: ROLE, PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
      },
      { command: 'DeleteRolePolicyCommand', input: { RoleName: ROLE, PolicyName: 'buildwarden-build' } },
      { command: 'DeleteRoleCommand', input: { RoleName: ROLE } },
    ]);
  });

  it('follows the Marker of ListAttachedRolePolicies and detaches the policies of every page', async () => {
    // Prepare
    const inputs: Record<string, unknown>[] = [];
    iamMock.on(ListAttachedRolePoliciesCommand).callsFake(
      pagesRecording(
        inputs,
        { ...attachedSample(), IsTruncated: true, Marker: 'm1' },
        {
          AttachedPolicies: [
            { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
          ],
          IsTruncated: false,
        },
      ),
    );
    iamMock.on(DetachRolePolicyCommand).resolves({});
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(inputs).toEqual([{ RoleName: ROLE }, { RoleName: ROLE, Marker: 'm1' }]);
    expect(iamMock.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([
      'arn:aws:iam::aws:policy/SecurityAudit',
      'arn:aws:iam::aws:policy/AdministratorAccess',
    ]);
  });

  it('still deletes the role when a managed policy was detached meanwhile (NoSuchEntity on DetachRolePolicy)', async () => {
    // Prepare
    iamMock.on(ListAttachedRolePoliciesCommand).resolves(attachedSample());
    iamMock.on(DetachRolePolicyCommand).rejects(noSuchEntity());
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(DeleteRoleCommand, { RoleName: ROLE });
  });

  it('counts a role that is already gone (NoSuchEntity on ListAttachedRolePolicies) as deleted', async () => {
    // Prepare
    iamMock.on(ListAttachedRolePoliciesCommand).rejects(noSuchEntity());

    // Act
    const result = provisioner().deleteRole(ROLE);

    // Assess
    await expect(result).resolves.toBeUndefined();
    expect(iamMock).not.toHaveReceivedCommand(DeleteRoleCommand);
  });

  it('lists the inline policies on every page and deletes each before deleting the role', async () => {
    // Prepare
    iamMock
      .on(ListRolePoliciesCommand)
      .callsFake(
        pagesRecording(
          listInputs,
          { PolicyNames: ['buildwarden-build', 'buildwarden-push'], IsTruncated: true, Marker: 'm1' },
          { PolicyNames: ['extra'], IsTruncated: false },
        ),
      );
    iamMock.on(DeleteRolePolicyCommand).resolves({});
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(
      iamSent()
        .filter((c) => c.command !== 'ListAttachedRolePoliciesCommand')
        .map((c) => (c.command === 'ListRolePoliciesCommand' ? c.command : c)),
    ).toEqual([
      'ListRolePoliciesCommand',
      { command: 'DeleteRolePolicyCommand', input: { RoleName: ROLE, PolicyName: 'buildwarden-build' } },
      { command: 'DeleteRolePolicyCommand', input: { RoleName: ROLE, PolicyName: 'buildwarden-push' } },
      'ListRolePoliciesCommand',
      { command: 'DeleteRolePolicyCommand', input: { RoleName: ROLE, PolicyName: 'extra' } },
      { command: 'DeleteRoleCommand', input: { RoleName: ROLE } },
    ]);
  });

  it('follows the Marker from one ListRolePolicies page to the next', async () => {
    // Prepare
    iamMock
      .on(ListRolePoliciesCommand)
      .callsFake(
        pagesRecording(
          listInputs,
          { PolicyNames: ['a'], IsTruncated: true, Marker: 'm1' },
          { PolicyNames: ['b'], IsTruncated: false },
        ),
      );
    iamMock.on(DeleteRolePolicyCommand).resolves({});
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(listInputs).toEqual([{ RoleName: ROLE }, { RoleName: ROLE, Marker: 'm1' }]);
  });

  it('deletes a role without inline policies with one DeleteRole', async () => {
    // Prepare
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(iamSent().map((c) => c.command)).toEqual([
      'ListAttachedRolePoliciesCommand',
      'ListRolePoliciesCommand',
      'DeleteRoleCommand',
    ]);
  });

  it('counts a role that is already gone (NoSuchEntity on ListRolePolicies) as deleted', async () => {
    // Prepare
    iamMock.on(ListRolePoliciesCommand).rejects(noSuchEntity());

    // Act
    const result = provisioner().deleteRole(ROLE);

    // Assess
    await expect(result).resolves.toBeUndefined();
    expect(iamMock).not.toHaveReceivedCommand(DeleteRoleCommand);
  });

  it('counts a role deleted meanwhile (NoSuchEntity on DeleteRole) as deleted', async () => {
    // Prepare
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iamMock.on(DeleteRoleCommand).rejects(noSuchEntity());

    // Act
    const result = provisioner().deleteRole(ROLE);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('still deletes the role when one inline policy is already gone (NoSuchEntity on DeleteRolePolicy)', async () => {
    // Prepare
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['buildwarden-build'], IsTruncated: false });
    iamMock.on(DeleteRolePolicyCommand).rejects(
      new NoSuchEntityException({
        message: 'The role policy with name buildwarden-build cannot be found.',
        $metadata: {},
      }),
    );
    iamMock.on(DeleteRoleCommand).resolves({});

    // Act
    await provisioner().deleteRole(ROLE);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(DeleteRoleCommand, { RoleName: ROLE });
  });

  it('lets any other error through', async () => {
    // Prepare
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iamMock.on(DeleteRoleCommand).rejects(
      new DeleteConflictException({
        message: 'Cannot delete entity, must detach all policies first.',
        $metadata: {},
      }),
    );

    // Act
    const error = await rejectionOf(provisioner().deleteRole(ROLE));

    // Assess
    expect(error).toMatchObject({ name: 'DeleteConflictException' });
  });

  it('lets a service failure while listing through, and deletes nothing', async () => {
    // Prepare
    iamMock
      .on(ListRolePoliciesCommand)
      .rejects(new ServiceFailureException({ message: 'internal', $metadata: {} }));

    // Act
    const error = await rejectionOf(provisioner().deleteRole(ROLE));

    // Assess
    expect(error).toMatchObject({ name: 'ServiceFailureException' });
    expect(iamSent().map((c) => c.command)).toEqual([
      'ListAttachedRolePoliciesCommand',
      'ListRolePoliciesCommand',
    ]);
  });
});

describe('AwsProvisioner: repairs', () => {
  it('sends PutImageTagMutability IMMUTABLE for the repository', async () => {
    // Prepare
    ecrMock.on(PutImageTagMutabilityCommand).resolves({});

    // Act
    await provisioner().putImageTagMutability(REPOSITORY, 'IMMUTABLE');

    // Assess
    expect(ecrMock.commandCalls(PutImageTagMutabilityCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, imageTagMutability: 'IMMUTABLE' },
    ]);
  });

  it('sends PutImageScanningConfiguration with scanOnPush true', async () => {
    // Prepare
    ecrMock.on(PutImageScanningConfigurationCommand).resolves({});

    // Act
    await provisioner().putImageScanningConfiguration(REPOSITORY, true);

    // Assess
    expect(ecrMock.commandCalls(PutImageScanningConfigurationCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, imageScanningConfiguration: { scanOnPush: true } },
    ]);
  });

  it('sends PutRegistryScanningConfiguration with the whole configuration', async () => {
    // Prepare
    ecrMock.on(PutRegistryScanningConfigurationCommand).resolves({});
    // The ECR User Guide's enhanced-scanning example rules, with this repository added.
    const configuration = {
      scanType: 'ENHANCED' as const,
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN' as const,
          repositoryFilters: [
            { filter: 'prod', filterType: 'WILDCARD' as const },
            { filter: REPOSITORY, filterType: 'WILDCARD' as const },
          ],
        },
      ],
    };

    // Act
    await provisioner().putRegistryScanningConfiguration(configuration);

    // Assess
    expect(ecrMock.commandCalls(PutRegistryScanningConfigurationCommand).map((c) => c.args[0].input)).toEqual(
      [configuration],
    );
  });

  it('sends UpdateAssumeRolePolicy with the document', async () => {
    // Prepare
    iamMock.on(UpdateAssumeRolePolicyCommand).resolves({});
    const p = plan();

    // Act
    await provisioner().updateAssumeRolePolicy(ROLE, p.createRole.AssumeRolePolicyDocument);

    // Assess
    expect(iamSent()).toEqual([
      {
        command: 'UpdateAssumeRolePolicyCommand',
        input: { RoleName: ROLE, PolicyDocument: p.createRole.AssumeRolePolicyDocument },
      },
    ]);
  });

  it('sends PutRolePermissionsBoundary with the boundary ARN', async () => {
    // Prepare
    iamMock.on(PutRolePermissionsBoundaryCommand).resolves({});

    // Act
    await provisioner().putRolePermissionsBoundary(ROLE, `arn:aws:iam::${ACCOUNT}:policy/boundary`);

    // Assess
    expect(iamSent()).toEqual([
      {
        command: 'PutRolePermissionsBoundaryCommand',
        input: { RoleName: ROLE, PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/boundary` },
      },
    ]);
  });

  it('sends UpdateProject with the update unchanged', async () => {
    // Prepare
    codebuildMock.on(UpdateProjectCommand).resolves({});
    const p = plan();
    const update = projectUpdate(p, expectedState(p).project);

    // Act
    await provisioner().updateProject(update);

    // Assess
    expect(codebuildMock.commandCalls(UpdateProjectCommand).map((c) => c.args[0].input)).toEqual([update]);
  });
});

describe('AwsProvisioner: deleteRepository', () => {
  it.each([true, false])('sends DeleteRepository with force %s', async (force) => {
    // Prepare
    ecrMock.on(DeleteRepositoryCommand).resolves({});

    // Act
    await provisioner().deleteRepository(REPOSITORY, force);

    // Assess
    expect(ecrMock.commandCalls(DeleteRepositoryCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, force },
    ]);
  });

  it('counts a repository that is already gone (RepositoryNotFound) as deleted', async () => {
    // Prepare
    ecrMock
      .on(DeleteRepositoryCommand)
      .rejects(new RepositoryNotFoundException({ message: 'does not exist', $metadata: {} }));

    // Act
    const result = provisioner().deleteRepository(REPOSITORY, true);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('lets RepositoryNotEmpty through', async () => {
    // Prepare
    ecrMock
      .on(DeleteRepositoryCommand)
      .rejects(new RepositoryNotEmptyException({ message: 'still contains images', $metadata: {} }));

    // Act
    const error = await rejectionOf(provisioner().deleteRepository(REPOSITORY, false));

    // Assess
    expect(error).toMatchObject({ name: 'RepositoryNotEmptyException' });
  });
});

describe('AwsProvisioner: imageCount', () => {
  const image = (n: number) => ({ imageDigest: `sha256:${String(n).padStart(64, '0')}` });

  it('adds up the images on every page', async () => {
    // Prepare
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce({ imageDetails: [image(1), image(2)], nextToken: 't1' })
      .resolvesOnce({ imageDetails: [image(3)], nextToken: 't2' })
      .resolvesOnce({ imageDetails: [] });

    // Act
    const count = await provisioner().imageCount(REPOSITORY);

    // Assess
    expect(count).toBe(3);
  });

  it('asks for pages of 1000 and follows nextToken', async () => {
    // Prepare
    const inputs: Record<string, unknown>[] = [];
    ecrMock
      .on(DescribeImagesCommand)
      .callsFake(
        pagesRecording(inputs, { imageDetails: [image(1)], nextToken: 't1' }, { imageDetails: [image(2)] }),
      );

    // Act
    await provisioner().imageCount(REPOSITORY);

    // Assess
    expect(inputs).toEqual([
      { repositoryName: REPOSITORY, maxResults: 1000 },
      { repositoryName: REPOSITORY, maxResults: 1000, nextToken: 't1' },
    ]);
  });

  it('counts zero for an empty repository', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });

    // Act
    const count = await provisioner().imageCount(REPOSITORY);

    // Assess
    expect(count).toBe(0);
  });
});

describe('provisionerActions', () => {
  /** Granted for what the calls do on the caller's behalf, not sent as commands of their own. */
  const IMPLICIT = new Set(['iam:PassRole', 'iam:TagRole', 'ecr:TagResource']);

  it('names every action the adapter sends, and each non-implicit one is sent', async () => {
    // Prepare
    ecrMock.onAnyCommand().resolves({});
    iamMock.onAnyCommand().resolves({});
    codebuildMock.onAnyCommand().resolves({});
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['buildwarden-build'], IsTruncated: false });
    iamMock.on(ListAttachedRolePoliciesCommand).resolves(attachedSample());
    const p = plan();
    const adapter = provisioner();

    // Act
    await adapter.createRepository(p.createRepository);
    await adapter.putLifecyclePolicy(p.putLifecyclePolicy);
    await adapter.createRole(p.createRole);
    await adapter.putRolePolicy(p.putRolePolicy);
    await adapter.createProject(p.createProject);
    await adapter.putImageTagMutability(REPOSITORY, 'IMMUTABLE');
    await adapter.putImageScanningConfiguration(REPOSITORY, true);
    await adapter.putRegistryScanningConfiguration({ scanType: 'ENHANCED', rules: [] });
    await adapter.updateAssumeRolePolicy(p.roleName, p.createRole.AssumeRolePolicyDocument);
    await adapter.putRolePermissionsBoundary(p.roleName, `arn:aws:iam::${ACCOUNT}:policy/boundary`);
    await adapter.updateProject(projectUpdate(p, expectedState(p).project));
    await adapter.imageCount(REPOSITORY);
    await adapter.deleteProject(p.projectName);
    await adapter.deleteRole(p.roleName);
    await adapter.deleteRepository(REPOSITORY, false);

    // Assess
    const sent = new Set(actionsSent());
    const expected = provisionerActions.filter((a) => !a.startsWith('kms:') && !IMPLICIT.has(a));
    expect([...sent].sort()).toEqual([...expected].sort());
  });
});

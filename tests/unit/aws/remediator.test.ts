/**
 * AwsRemediator: one SDK command per remediation write, with the exact request the ECR, IAM and CodeBuild APIs
 * expect.
 */
import {
  CodeBuildClient,
  ResourceNotFoundException,
  UpdateProjectVisibilityCommand,
} from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCreationTemplateCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryPolicyCommand,
  ECRClient,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
  UpdateRepositoryCreationTemplateCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  ServerException,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  DetachRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { NotFoundError } from '../../../lib/errors';
import 'aws-sdk-client-mock-jest';
import {
  AwsRemediator,
  DEPENDENT_ACTIONS,
  remediatorActions,
  WRITE_ACTIONS,
  writeActions,
} from '../../../lib/aws/remediator';
import { RULES } from '../../../lib/policy/rules/index';
import { functionActions } from '../../../lib/runtime/actions';
import type { RemediationWrite } from '../../../lib/policy/remediation';

const ecrMock = mockClient(ECRClient);
const iamMock = mockClient(IAMClient);
const codebuildMock = mockClient(CodeBuildClient);
const PROJECT_ARN = `arn:aws:codebuild:us-east-1:123456789012:project/docs-site`;

const ACCOUNT = '123456789012';
const LIFECYCLE_TEXT = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'buildwarden: expire untagged images 14 days after push',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});
const POLICY_TEXT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CiPush',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ci` },
      Action: ['ecr:PutImage'],
    },
  ],
});
const ROLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'ecr:PutImage',
      Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/web/frontend`,
    },
  ],
});

/** Every RemediationWrite type, the command it must send, and the exact input of that command. */
const CASES: {
  label: string;
  write: RemediationWrite;
  command: { name: string };
  input: Record<string, unknown>;
  client: 'ecr' | 'iam' | 'codebuild';
}[] = [
  {
    label: 'PutLifecyclePolicy',
    write: {
      type: 'PutLifecyclePolicy',
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
      lifecyclePolicyText: LIFECYCLE_TEXT,
    },
    command: PutLifecyclePolicyCommand,
    input: { repositoryName: 'web/frontend', registryId: ACCOUNT, lifecyclePolicyText: LIFECYCLE_TEXT },
    client: 'ecr',
  },
  {
    label: 'PutImageScanningConfiguration',
    write: {
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
      scanOnPush: true,
    },
    command: PutImageScanningConfigurationCommand,
    input: {
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
      imageScanningConfiguration: { scanOnPush: true },
    },
    client: 'ecr',
  },
  {
    label: 'PutRegistryScanningConfiguration',
    write: {
      type: 'PutRegistryScanningConfiguration',
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'payments/*', filterType: 'WILDCARD' },
            { filter: 'web/frontend', filterType: 'WILDCARD' },
          ],
        },
      ],
    },
    command: PutRegistryScanningConfigurationCommand,
    input: {
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'payments/*', filterType: 'WILDCARD' },
            { filter: 'web/frontend', filterType: 'WILDCARD' },
          ],
        },
      ],
    },
    client: 'ecr',
  },
  {
    label: 'PutImageTagMutability IMMUTABLE',
    write: {
      type: 'PutImageTagMutability',
      repositoryName: 'web/frontend',
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE',
    },
    command: PutImageTagMutabilityCommand,
    input: { repositoryName: 'web/frontend', registryId: ACCOUNT, imageTagMutability: 'IMMUTABLE' },
    client: 'ecr',
  },
  {
    label: 'PutImageTagMutability IMMUTABLE_WITH_EXCLUSION',
    write: {
      type: 'PutImageTagMutability',
      repositoryName: 'payments/worker',
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
    },
    command: PutImageTagMutabilityCommand,
    input: {
      repositoryName: 'payments/worker',
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
    },
    client: 'ecr',
  },
  {
    label: 'SetRepositoryPolicy',
    write: {
      type: 'SetRepositoryPolicy',
      repositoryName: 'web/legacy-cache',
      registryId: ACCOUNT,
      policyText: POLICY_TEXT,
    },
    command: SetRepositoryPolicyCommand,
    input: { repositoryName: 'web/legacy-cache', registryId: ACCOUNT, policyText: POLICY_TEXT },
    client: 'ecr',
  },
  {
    label: 'DeleteRepositoryPolicy',
    write: { type: 'DeleteRepositoryPolicy', repositoryName: 'web/legacy-cache', registryId: ACCOUNT },
    command: DeleteRepositoryPolicyCommand,
    input: { repositoryName: 'web/legacy-cache', registryId: ACCOUNT },
    client: 'ecr',
  },
  {
    label: 'PutRolePolicy',
    write: {
      type: 'PutRolePolicy',
      roleName: 'web-build-role',
      policyName: 'buildwarden-ecr-push',
      policyDocument: ROLE_POLICY,
    },
    command: PutRolePolicyCommand,
    input: { RoleName: 'web-build-role', PolicyName: 'buildwarden-ecr-push', PolicyDocument: ROLE_POLICY },
    client: 'iam',
  },
  {
    label: 'DetachRolePolicy',
    write: {
      type: 'DetachRolePolicy',
      roleName: 'legacy-build-role',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    },
    command: DetachRolePolicyCommand,
    input: { RoleName: 'legacy-build-role', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    client: 'iam',
  },
  {
    label: 'UpdateProjectVisibility',
    write: { type: 'UpdateProjectVisibility', projectArn: PROJECT_ARN, projectVisibility: 'PRIVATE' },
    command: UpdateProjectVisibilityCommand,
    input: { projectArn: PROJECT_ARN, projectVisibility: 'PRIVATE' },
    client: 'codebuild',
  },
  {
    label: 'PutReplicationConfiguration',
    write: {
      type: 'PutReplicationConfiguration',
      replicationConfiguration: {
        rules: [
          {
            destinations: [{ region: 'us-west-2', registryId: ACCOUNT }],
            repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    },
    command: PutReplicationConfigurationCommand,
    input: {
      replicationConfiguration: {
        rules: [
          {
            destinations: [{ region: 'us-west-2', registryId: ACCOUNT }],
            repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    },
    client: 'ecr',
  },
  {
    label: 'PutRegistryPolicy',
    write: { type: 'PutRegistryPolicy', policyText: '{"Version":"2012-10-17","Statement":[]}' },
    command: PutRegistryPolicyCommand,
    input: { policyText: '{"Version":"2012-10-17","Statement":[]}' },
    client: 'ecr',
  },
  {
    label: 'DeleteRegistryPolicy',
    write: { type: 'DeleteRegistryPolicy' },
    command: DeleteRegistryPolicyCommand,
    input: {},
    client: 'ecr',
  },
  {
    label: 'CreateRepositoryCreationTemplate',
    write: {
      type: 'CreateRepositoryCreationTemplate',
      prefix: 'ecr-public',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'IMMUTABLE',
      lifecyclePolicy: LIFECYCLE_TEXT,
      encryptionConfiguration: { encryptionType: 'KMS' },
      customRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecr-template`,
    },
    command: CreateRepositoryCreationTemplateCommand,
    input: {
      prefix: 'ecr-public',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'IMMUTABLE',
      lifecyclePolicy: LIFECYCLE_TEXT,
      encryptionConfiguration: { encryptionType: 'KMS' },
      customRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecr-template`,
    },
    client: 'ecr',
  },
  {
    label: 'UpdateRepositoryCreationTemplate',
    write: {
      type: 'UpdateRepositoryCreationTemplate',
      prefix: 'docker-hub',
      appliedFor: ['PULL_THROUGH_CACHE'],
      resourceTags: [{ Key: 'team', Value: 'platform' }],
      imageTagMutability: 'IMMUTABLE',
    },
    command: UpdateRepositoryCreationTemplateCommand,
    input: {
      prefix: 'docker-hub',
      appliedFor: ['PULL_THROUGH_CACHE'],
      resourceTags: [{ Key: 'team', Value: 'platform' }],
      imageTagMutability: 'IMMUTABLE',
    },
    client: 'ecr',
  },
];

const MOCKS = { ecr: ecrMock, iam: iamMock, codebuild: codebuildMock };

/** Every command sent through any client, in order. */
function sentCommands(): { name: string; input: Record<string, unknown> }[] {
  return [...ecrMock.calls(), ...iamMock.calls(), ...codebuildMock.calls()].map((call) => {
    const command = call.args[0] as unknown as {
      constructor: { name: string };
      input: Record<string, unknown>;
    };
    return { name: command.constructor.name, input: command.input };
  });
}

/** Drops keys whose value is undefined (the SDK does not serialise them). */
function defined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

beforeEach(() => {
  ecrMock.reset();
  iamMock.reset();
  codebuildMock.reset();
  ecrMock.onAnyCommand().resolves({});
  iamMock.onAnyCommand().resolves({});
  codebuildMock.onAnyCommand().resolves({});
});

describe('AwsRemediator.apply', () => {
  it.each(CASES.map((c) => [c.label, c] as const))(
    '%s sends one command with the exact input',
    async (_type, c) => {
      // Act
      await new AwsRemediator().apply(c.write);

      // Assess
      const sent = sentCommands();
      expect(sent).toHaveLength(1);
      expect(sent[0]!.name).toBe(c.command.name);
      expect(defined(sent[0]!.input)).toEqual(c.input);
    },
  );

  it.each(CASES.map((c) => [c.label, c] as const))(
    '%s does not leak the write type into the input',
    async (_type, c) => {
      // Act
      await new AwsRemediator().apply(c.write);

      // Assess
      expect(sentCommands()[0]!.input).not.toHaveProperty('type');
    },
  );

  it.each(CASES.map((c) => [c.label, c.client, c] as const))(
    '%s goes to the %s client',
    async (_label, _client, c) => {
      // Act
      await new AwsRemediator().apply(c.write);

      // Assess
      const calls = Object.fromEntries(Object.entries(MOCKS).map(([name, m]) => [name, m.calls().length]));
      expect(calls).toEqual({ ecr: 0, iam: 0, codebuild: 0, [c.client]: 1 });
    },
  );

  it('uses the clients it is given', async () => {
    // Prepare
    const ecr = new ECRClient({ region: 'eu-west-1' });
    const iam = new IAMClient({ region: 'eu-west-1' });

    // Act
    await new AwsRemediator(ecr, iam).apply(CASES[0]!.write);

    // Assess
    expect(ecrMock.call(0).thisValue).toBe(ecr);
  });

  it('treats RepositoryPolicyNotFoundException from DeleteRepositoryPolicy as success (already gone)', async () => {
    // Prepare
    ecrMock
      .on(DeleteRepositoryPolicyCommand)
      .rejects(
        new RepositoryPolicyNotFoundException({ message: 'Repository policy does not exist', $metadata: {} }),
      );

    // Act
    const applying = new AwsRemediator().apply({
      type: 'DeleteRepositoryPolicy',
      repositoryName: 'web/legacy-cache',
    });

    // Assess
    await expect(applying).resolves.toBeUndefined();
  });

  it('rethrows any other error from DeleteRepositoryPolicy, a repository gone as NotFoundError', async () => {
    // Prepare
    ecrMock
      .on(DeleteRepositoryPolicyCommand)
      .rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));

    // Act
    const applying = new AwsRemediator().apply({
      type: 'DeleteRepositoryPolicy',
      repositoryName: 'web/legacy-cache',
    });

    // Assess
    const error = await applying.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ resource: 'repository', cause: expect.any(RepositoryNotFoundException) });
  });

  it('treats NoSuchEntityException from DetachRolePolicy as success (already detached)', async () => {
    // Prepare
    iamMock
      .on(DetachRolePolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'Policy is not attached to role', $metadata: {} }));

    // Act
    const applying = new AwsRemediator().apply({
      type: 'DetachRolePolicy',
      roleName: 'legacy-build-role',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });

    // Assess
    await expect(applying).resolves.toBeUndefined();
  });

  it('rethrows any other error from DetachRolePolicy', async () => {
    // Prepare
    iamMock
      .on(DetachRolePolicyCommand)
      .rejects(new ServiceFailureException({ message: 'internal failure', $metadata: {} }));

    // Act
    const applying = new AwsRemediator().apply({
      type: 'DetachRolePolicy',
      roleName: 'legacy-build-role',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });

    // Assess
    await expect(applying).rejects.toThrow(ServiceFailureException);
  });

  it.each(['PutLifecyclePolicy', 'PutImageTagMutability', 'SetRepositoryPolicy'] as const)(
    'rethrows a service error from %s',
    async (type) => {
      // Prepare
      ecrMock.onAnyCommand().rejects(new ServerException({ message: 'internal failure', $metadata: {} }));
      const write = CASES.find((c) => c.write.type === type)!.write;

      // Act
      const applying = new AwsRemediator().apply(write);

      // Assess
      await expect(applying).rejects.toThrow(ServerException);
    },
  );

  it('throws NotFoundError for ResourceNotFoundException from UpdateProjectVisibility (the use case decides the project is gone)', async () => {
    // Prepare
    codebuildMock
      .on(UpdateProjectVisibilityCommand)
      .rejects(new ResourceNotFoundException({ message: 'Project not found', $metadata: {} }));
    const write = CASES.find((c) => c.write.type === 'UpdateProjectVisibility')!.write;

    // Act
    const applying = new AwsRemediator().apply(write);

    // Assess
    const error = await applying.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ cause: expect.any(ResourceNotFoundException) });
  });

  it('throws NotFoundError for NoSuchEntityException from PutRolePolicy (only DetachRolePolicy treats it as done)', async () => {
    // Prepare
    iamMock
      .on(PutRolePolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'role not found', $metadata: {} }));
    const write = CASES.find((c) => c.write.type === 'PutRolePolicy')!.write;

    // Act
    const applying = new AwsRemediator().apply(write);

    // Assess
    const error = await applying.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ cause: expect.any(NoSuchEntityException) });
  });
});

describe('remediatorActions', () => {
  it('names exactly the IAM actions of the commands the remediator sends', async () => {
    // Prepare
    const remediator = new AwsRemediator();

    // Act
    for (const c of CASES) await remediator.apply(c.write);

    // Assess
    const sent = [
      ...ecrMock.calls().map((call) => `ecr:${call.args[0].constructor.name.replace(/Command$/, '')}`),
      ...iamMock.calls().map((call) => `iam:${call.args[0].constructor.name.replace(/Command$/, '')}`),
      ...codebuildMock
        .calls()
        .map((call) => `codebuild:${call.args[0].constructor.name.replace(/Command$/, '')}`),
    ];
    const dependent = Object.values(DEPENDENT_ACTIONS).flat();
    expect([...new Set([...sent, ...dependent])].sort()).toEqual([...remediatorActions].sort());
  });

  it('covers every RemediationWrite type', () => {
    // Prepare
    const types = new Set(CASES.map((c) => c.write.type));

    // Assess
    expect([...types].sort()).toEqual(Object.keys(WRITE_ACTIONS).sort());
  });
});

describe('WRITE_ACTIONS', () => {
  it.each(CASES.map((c) => [c.label, c] as const))(
    'maps %s to the IAM action of the command it sends',
    async (_label, c) => {
      // Act
      await new AwsRemediator().apply(c.write);

      // Assess
      const mock = { ecr: ecrMock, iam: iamMock, codebuild: codebuildMock }[c.client];
      const sent = mock
        .calls()
        .map((call) => `${c.client}:${call.args[0].constructor.name.replace(/Command$/, '')}`);
      expect(sent).toEqual([WRITE_ACTIONS[c.write.type]]);
    },
  );

  it("grants the change handler the actions of every write a rule's remediation declares, and no other", () => {
    // Prepare
    const declared = writeActions(RULES.flatMap((rule) => rule.remediation?.writes ?? []));

    // Act
    const granted = functionActions.onChange.filter((a) =>
      (remediatorActions as readonly string[]).includes(a),
    );

    // Assess
    expect([...granted].sort()).toEqual([...declared].sort());
  });

  it('names each action once, in the order of the writes', () => {
    // Act
    const actions = writeActions(['PutRolePolicy', 'PutLifecyclePolicy', 'PutRolePolicy']);

    // Assess
    expect(actions).toEqual(['iam:PutRolePolicy', 'ecr:PutLifecyclePolicy']);
  });
});

/**
 * The Remediator port's contract, run against the sandbox account and the remediation adapter: each write takes
 * effect as its API does (read back through the reader ports), a write whose effect is already in place or
 * whose target is already gone succeeds, and a write to a resource that does not exist fails as AWS fails it.
 */
import type { RemediationWrite } from '../../lib/policy/remediation';
import { goodLifecyclePolicy } from '../fixtures/builders';
import { ACCOUNTS, closeAccounts } from './accounts';
import { expectFailure } from './errors';
import { managedPolicy, policyArn, project, repository, role, world } from './world';

const REPOSITORY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Pull', Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'ecr:BatchGetImage' },
  ],
});
const PUSH_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*' }],
});

afterEach(closeAccounts);

describe.each(ACCOUNTS)('Remediator contract: %s', (_name, open) => {
  test('PutLifecyclePolicy replaces the lifecycle policy', async () => {
    // Prepare
    const account = open(world({ repositories: [repository('web/frontend')] }));
    const text = goodLifecyclePolicy(30);

    // Act
    await account.remediator.apply({
      type: 'PutLifecyclePolicy',
      repositoryName: 'web/frontend',
      lifecyclePolicyText: text,
    });

    // Assess
    expect((await account.registry.repository('web/frontend'))?.lifecyclePolicyText).toBe(text);
  });

  test('a write to a repository that does not exist fails with RepositoryNotFoundException', async () => {
    // Prepare
    const account = open(world());

    // Act
    const write = account.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/gone',
      scanOnPush: true,
    });

    // Assess
    await expectFailure(write, { kind: 'not-found', aws: 'RepositoryNotFoundException' });
  });

  test('PutImageScanningConfiguration turns scan on push on', async () => {
    // Prepare
    const account = open(
      world({
        repositories: [repository('web/frontend', { imageScanningConfiguration: { scanOnPush: false } })],
      }),
    );

    // Act
    await account.remediator.apply({
      type: 'PutImageScanningConfiguration',
      repositoryName: 'web/frontend',
      scanOnPush: true,
    });

    // Assess
    expect((await account.registry.repository('web/frontend'))?.imageScanningConfiguration).toEqual({
      scanOnPush: true,
    });
  });

  test('PutImageTagMutability sets the exclusion filters sent, and clears them when none are sent', async () => {
    // Prepare
    const account = open(
      world({ repositories: [repository('web/frontend', { imageTagMutability: 'MUTABLE' })] }),
    );
    const filters = [{ filterType: 'WILDCARD', filter: 'latest' }];

    // Act
    await account.remediator.apply({
      type: 'PutImageTagMutability',
      repositoryName: 'web/frontend',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: filters,
    });
    const withFilters = await account.registry.repository('web/frontend');
    await account.remediator.apply({
      type: 'PutImageTagMutability',
      repositoryName: 'web/frontend',
      imageTagMutability: 'IMMUTABLE',
    });
    const without = await account.registry.repository('web/frontend');

    // Assess
    expect(withFilters).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: filters,
    });
    expect(without?.imageTagMutability).toBe('IMMUTABLE');
    expect(without).not.toHaveProperty('imageTagMutabilityExclusionFilters');
  });

  test('SetRepositoryPolicy sets the policy and DeleteRepositoryPolicy removes it', async () => {
    // Prepare
    const account = open(world({ repositories: [repository('web/frontend')] }));

    // Act
    await account.remediator.apply({
      type: 'SetRepositoryPolicy',
      repositoryName: 'web/frontend',
      policyText: REPOSITORY_POLICY,
    });
    const set = await account.registry.repository('web/frontend');
    await account.remediator.apply({ type: 'DeleteRepositoryPolicy', repositoryName: 'web/frontend' });
    const deleted = await account.registry.repository('web/frontend');

    // Assess
    expect(set?.repositoryPolicyText).toBe(REPOSITORY_POLICY);
    expect(deleted).not.toHaveProperty('repositoryPolicyText');
  });

  test('DeleteRepositoryPolicy succeeds when the repository has no policy (already gone)', async () => {
    // Prepare
    const account = open(world({ repositories: [repository('web/frontend')] }));

    // Act
    const write = account.remediator.apply({
      type: 'DeleteRepositoryPolicy',
      repositoryName: 'web/frontend',
    });

    // Assess
    await expect(write).resolves.toBeUndefined();
  });

  test('PutRegistryScanningConfiguration replaces the registry configuration', async () => {
    // Prepare
    const account = open(world({ registryScanningConfiguration: { scanType: 'BASIC', rules: [] } }));
    const rules = [
      {
        scanFrequency: 'SCAN_ON_PUSH' as const,
        repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' as const }],
      },
    ];

    // Act
    await account.remediator.apply({ type: 'PutRegistryScanningConfiguration', scanType: 'BASIC', rules });

    // Assess
    expect(await account.registry.scanningConfiguration()).toEqual({ scanType: 'BASIC', rules });
  });

  test('PutReplicationConfiguration replaces the replication configuration', async () => {
    // Prepare
    const account = open(
      world({
        registrySettings: {
          replicationConfiguration: {
            rules: [
              {
                destinations: [
                  { region: 'us-west-2', registryId: '123456789012' },
                  { region: 'eu-west-1', registryId: '999988887777' },
                ],
              },
            ],
          },
        },
      }),
    );
    const replicationConfiguration = {
      rules: [{ destinations: [{ region: 'us-west-2', registryId: '123456789012' }] }],
    };

    // Act
    await account.remediator.apply({ type: 'PutReplicationConfiguration', replicationConfiguration });

    // Assess
    expect(await account.registry.replicationConfiguration()).toEqual(replicationConfiguration);
  });

  test('PutRegistryPolicy sets the registry policy, DeleteRegistryPolicy removes it, twice without failing', async () => {
    // Prepare
    const account = open(world({ registrySettings: { registryPolicyText: null } }));

    // Act
    await account.remediator.apply({ type: 'PutRegistryPolicy', policyText: REPOSITORY_POLICY });
    const set = await account.registry.registryPolicyText();
    await account.remediator.apply({ type: 'DeleteRegistryPolicy' });
    await account.remediator.apply({ type: 'DeleteRegistryPolicy' });

    // Assess
    expect(set).toBe(REPOSITORY_POLICY);
    expect(await account.registry.registryPolicyText()).toBeNull();
  });

  test('CreateRepositoryCreationTemplate creates a template; UpdateRepositoryCreationTemplate replaces its settings', async () => {
    // Prepare
    const account = open(world({ registrySettings: { repositoryCreationTemplates: [] } }));
    const template = {
      prefix: 'ecr-public',
      appliedFor: ['PULL_THROUGH_CACHE' as const],
      imageTagMutability: 'MUTABLE' as const,
      encryptionConfiguration: { encryptionType: 'AES256' as const },
    };

    // Act
    await account.remediator.apply({ type: 'CreateRepositoryCreationTemplate', ...template });
    await account.remediator.apply({
      type: 'UpdateRepositoryCreationTemplate',
      ...template,
      imageTagMutability: 'IMMUTABLE',
      lifecyclePolicy: goodLifecyclePolicy(),
    });

    // Assess
    const [read] = await account.registry.repositoryCreationTemplates();
    expect(read).toMatchObject({
      ...template,
      imageTagMutability: 'IMMUTABLE',
      lifecyclePolicy: goodLifecyclePolicy(),
    });
  });

  test('CreateRepositoryCreationTemplate of an existing prefix fails with TemplateAlreadyExistsException', async () => {
    // Prepare
    const template = { prefix: 'ecr-public', appliedFor: ['PULL_THROUGH_CACHE' as const] };
    const account = open(world({ registrySettings: { repositoryCreationTemplates: [template] } }));

    // Act
    const write = account.remediator.apply({ type: 'CreateRepositoryCreationTemplate', ...template });

    // Assess
    await expectFailure(write, { kind: 'conflict', aws: 'TemplateAlreadyExistsException' });
  });

  test('UpdateRepositoryCreationTemplate of a missing prefix fails with TemplateNotFoundException', async () => {
    // Prepare
    const account = open(world({ registrySettings: { repositoryCreationTemplates: [] } }));

    // Act
    const write = account.remediator.apply({
      type: 'UpdateRepositoryCreationTemplate',
      prefix: 'ecr-public',
      appliedFor: ['PULL_THROUGH_CACHE'],
    });

    // Assess
    await expectFailure(write, { kind: 'not-found', aws: 'TemplateNotFoundException' });
  });

  test('PutRolePolicy adds an inline policy, and replaces one of the same name', async () => {
    // Prepare
    const account = open(world({ roles: [role('web-build-role')] }));
    const write: RemediationWrite = {
      type: 'PutRolePolicy',
      roleName: 'web-build-role',
      policyName: 'ecr-push',
      policyDocument: PUSH_POLICY,
    };

    // Act
    await account.remediator.apply(write);
    await account.remediator.apply({ ...write, policyName: 'buildwarden-push' });

    // Assess
    const read = await account.identity.role('web-build-role');
    expect(read?.role.RolePolicyList).toEqual([
      { PolicyName: 'ecr-push', PolicyDocument: JSON.parse(PUSH_POLICY) },
      { PolicyName: 'buildwarden-push', PolicyDocument: JSON.parse(PUSH_POLICY) },
    ]);
  });

  test('PutRolePolicy on a role that does not exist fails with NoSuchEntityException', async () => {
    // Act
    const write = open(world()).remediator.apply({
      type: 'PutRolePolicy',
      roleName: 'gone-role',
      policyName: 'p',
      policyDocument: PUSH_POLICY,
    });

    // Assess
    await expectFailure(write, { kind: 'not-found', aws: 'NoSuchEntityException' });
  });

  test('DetachRolePolicy detaches the managed policy', async () => {
    // Prepare
    const attached = { PolicyName: 'team-read', PolicyArn: policyArn('team-read') };
    const account = open(
      world({
        roles: [role('web-build-role', { AttachedManagedPolicies: [attached] })],
        policies: [managedPolicy('team-read')],
      }),
    );

    // Act
    await account.remediator.apply({
      type: 'DetachRolePolicy',
      roleName: 'web-build-role',
      policyArn: attached.PolicyArn,
    });

    // Assess
    expect((await account.identity.role('web-build-role'))?.role.AttachedManagedPolicies).toEqual([]);
  });

  test.each([
    ['the policy is not attached', 'web-build-role'],
    ['the role is gone', 'gone-role'],
  ])('DetachRolePolicy succeeds when %s (already in place)', async (_why, roleName) => {
    // Prepare
    const account = open(world({ roles: [role('web-build-role')] }));

    // Act
    const write = account.remediator.apply({
      type: 'DetachRolePolicy',
      roleName,
      policyArn: policyArn('team-read'),
    });

    // Assess
    await expect(write).resolves.toBeUndefined();
  });

  test('UpdateProjectVisibility makes the project private', async () => {
    // Prepare
    const stored = project('web-frontend-build', { projectVisibility: 'PUBLIC_READ' });
    const account = open(world({ projects: [stored] }));

    // Act
    await account.remediator.apply({
      type: 'UpdateProjectVisibility',
      projectArn: stored.arn,
      projectVisibility: 'PRIVATE',
    });

    // Assess
    expect((await account.projects.project('web-frontend-build'))?.projectVisibility).toBe('PRIVATE');
  });

  test('UpdateProjectVisibility of a project that does not exist fails with ResourceNotFoundException', async () => {
    // Act
    const write = open(world()).remediator.apply({
      type: 'UpdateProjectVisibility',
      projectArn: project('gone').arn,
      projectVisibility: 'PRIVATE',
    });

    // Assess
    await expectFailure(write, { kind: 'not-found', aws: 'ResourceNotFoundException' });
  });

  test('applying a write twice leaves what applying it once leaves', async () => {
    // Prepare
    const account = open(
      world({ repositories: [repository('web/frontend', { imageTagMutability: 'MUTABLE' })] }),
    );
    const write: RemediationWrite = {
      type: 'PutImageTagMutability',
      repositoryName: 'web/frontend',
      imageTagMutability: 'IMMUTABLE',
    };
    await account.remediator.apply(write);
    const once = await account.registry.repository('web/frontend');

    // Act
    await account.remediator.apply(write);

    // Assess
    expect(await account.registry.repository('web/frontend')).toEqual(once);
  });
});

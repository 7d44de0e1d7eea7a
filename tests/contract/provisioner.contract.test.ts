/**
 * The Provisioner port's contract, run against the sandbox account and the provisioning adapter with the calls
 * of a real plan: each create takes effect as its API does (read back through the reader ports), creating what
 * exists fails as AWS fails it, and deleting what is already gone succeeds.
 */
import { defaultGuardrails } from '../../lib/policy/guardrails';
import { planProvisioning, type ProvisioningPlan } from '../../lib/policy/provisioning/plan';
import { parseProjectRequest } from '../../lib/policy/provisioning/request';
import { ACCOUNTS, closeAccounts, type Account } from './accounts';
import { expectFailure } from './errors';
import { ACCOUNT, REGION, images, managedPolicy, policyArn, project, repository, role, world } from './world';

/** The plan for team/app: the calls the provisioning use case makes. */
function teamAppPlan(
  at: { region: string; partition: string } = { region: REGION, partition: 'aws' },
): ProvisioningPlan {
  const request = parseProjectRequest({
    name: 'team/app',
    source: { type: 'GITHUB', location: 'https://github.com/example/app.git', branch: 'main' },
    tags: [{ key: 'team', value: 'payments' }],
  });
  return planProvisioning(request, {
    accountId: ACCOUNT,
    ...at,
    guardrails: defaultGuardrails(),
    requestToken: 'request-0001',
  });
}

async function createRoleAndProject(account: Account, plan: ProvisioningPlan): Promise<void> {
  await account.provisioner.createRole(plan.createRole);
  await account.provisioner.putRolePolicy(plan.putRolePolicy);
  await account.provisioner.createProject(plan.createProject);
}

afterEach(closeAccounts);

describe.each(ACCOUNTS)('Provisioner contract: %s', (_name, open) => {
  describe('the repository', () => {
    test('is created as the plan describes it: ARN, URI, settings and tags', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(world());

      // Act
      await account.provisioner.createRepository(plan.createRepository);

      // Assess
      expect(await account.registry.repository('team/app')).toMatchObject({
        repositoryArn: plan.resources.repositoryArn,
        repositoryUri: plan.resources.repositoryUri,
        registryId: ACCOUNT,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: plan.createRepository.encryptionConfiguration,
        tags: plan.createRepository.tags,
      });
    });

    test("in a China region, its URI is in the partition's domain, as the plan says", async () => {
      // Prepare
      const plan = teamAppPlan({ region: 'cn-north-1', partition: 'aws-cn' });
      const account = open(world({ region: 'cn-north-1' }));

      // Act
      await account.provisioner.createRepository(plan.createRepository);

      // Assess
      expect(await account.registry.repository('team/app')).toMatchObject({
        repositoryArn: plan.resources.repositoryArn,
        repositoryUri: `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app`,
      });
    });

    test('creating a repository that exists fails with RepositoryAlreadyExistsException', async () => {
      // Prepare
      const account = open(world({ repositories: [repository('team/app')] }));

      // Act
      const create = account.provisioner.createRepository(teamAppPlan().createRepository);

      // Assess
      await expectFailure(create, { kind: 'conflict', aws: 'RepositoryAlreadyExistsException' });
    });

    test('takes the lifecycle policy, tag immutability, scan on push and the registry scanning it is given', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(
        world({
          repositories: [
            repository('team/app', {
              lifecyclePolicyText: undefined,
              imageTagMutability: 'MUTABLE',
              imageScanningConfiguration: { scanOnPush: false },
            }),
          ],
        }),
      );
      const scanning = {
        scanType: 'ENHANCED' as const,
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN' as const,
            repositoryFilters: [{ filter: 'team/*', filterType: 'WILDCARD' as const }],
          },
        ],
      };

      // Act
      await account.provisioner.putLifecyclePolicy(plan.putLifecyclePolicy);
      await account.provisioner.putImageTagMutability('team/app', 'IMMUTABLE');
      await account.provisioner.putImageScanningConfiguration('team/app', true);
      await account.provisioner.putRegistryScanningConfiguration(scanning);

      // Assess
      expect(await account.registry.repository('team/app')).toMatchObject({
        lifecyclePolicyText: plan.putLifecyclePolicy.lifecyclePolicyText,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
      });
      expect(await account.registry.scanningConfiguration()).toEqual(scanning);
    });

    test('counts every image of a repository, across pages (DescribeImages maxResults 1000)', async () => {
      // Prepare
      const account = open(
        world({ repositories: [repository('team/app', { images: images('team/app', 1001) })] }),
      );

      // Act
      const count = await account.provisioner.imageCount('team/app');

      // Assess
      expect(count).toBe(1001);
    });

    test('deleting a repository that holds images fails with RepositoryNotEmptyException unless forced', async () => {
      // Prepare
      const account = open(
        world({ repositories: [repository('team/app', { images: images('team/app', 1) })] }),
      );

      // Act
      const refused = account.provisioner.deleteRepository('team/app', false);
      await expectFailure(refused, { kind: 'conflict', aws: 'RepositoryNotEmptyException' });
      await account.provisioner.deleteRepository('team/app', true);

      // Assess
      expect(await account.registry.repository('team/app')).toBeUndefined();
    });

    test('deleting a repository that is already gone succeeds', async () => {
      await expect(open(world()).provisioner.deleteRepository('team/app', false)).resolves.toBeUndefined();
    });
  });

  describe('the role', () => {
    test('is created with its path, trust policy, boundary and tags, and takes its inline policy', async () => {
      // Prepare
      const plan = teamAppPlan();
      const boundary = policyArn('build-boundary');
      const account = open(world({ policies: [managedPolicy('build-boundary')] }));

      // Act
      await account.provisioner.createRole({ ...plan.createRole, PermissionsBoundary: boundary });
      await account.provisioner.putRolePolicy(plan.putRolePolicy);

      // Assess
      const read = await account.identity.role(plan.roleName);
      expect(read?.role).toMatchObject({
        RoleName: plan.roleName,
        Path: plan.createRole.Path,
        Arn: plan.resources.roleArn,
        AssumeRolePolicyDocument: JSON.parse(plan.createRole.AssumeRolePolicyDocument),
        RolePolicyList: [
          {
            PolicyName: plan.putRolePolicy.PolicyName,
            PolicyDocument: JSON.parse(plan.putRolePolicy.PolicyDocument),
          },
        ],
        PermissionsBoundary: { PermissionsBoundaryArn: boundary },
        Tags: plan.createRole.Tags,
      });
    });

    test('creating a role that exists fails with EntityAlreadyExistsException', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(world({ roles: [role(plan.roleName)] }));

      // Act
      const create = account.provisioner.createRole(plan.createRole);

      // Assess
      await expectFailure(create, { kind: 'conflict', aws: 'EntityAlreadyExistsException' });
    });

    test('takes a new trust policy and permissions boundary', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(
        world({ roles: [role(plan.roleName)], policies: [managedPolicy('build-boundary')] }),
      );

      // Act
      await account.provisioner.updateAssumeRolePolicy(
        plan.roleName,
        plan.createRole.AssumeRolePolicyDocument,
      );
      await account.provisioner.putRolePermissionsBoundary(plan.roleName, policyArn('build-boundary'));

      // Assess
      expect((await account.identity.role(plan.roleName))?.role).toMatchObject({
        AssumeRolePolicyDocument: JSON.parse(plan.createRole.AssumeRolePolicyDocument),
        PermissionsBoundary: { PermissionsBoundaryArn: policyArn('build-boundary') },
      });
    });

    test('changing a role that does not exist fails with NoSuchEntityException', async () => {
      // Act
      const change = open(world()).provisioner.updateAssumeRolePolicy(
        'gone-role',
        '{"Version":"2012-10-17"}',
      );

      // Assess
      await expectFailure(change, { kind: 'not-found', aws: 'NoSuchEntityException' });
    });

    test('deleting a role detaches its managed policies and deletes its inline ones first', async () => {
      // Prepare
      const attached = { PolicyName: 'team-read', PolicyArn: policyArn('team-read') };
      const account = open(
        world({
          roles: [role('old-role', { AttachedManagedPolicies: [attached] })],
          policies: [managedPolicy('team-read')],
        }),
      );

      // Act
      await account.provisioner.deleteRole('old-role');

      // Assess
      expect(await account.identity.role('old-role')).toBeUndefined();
      expect(await account.identity.rolesUsingPolicy(attached.PolicyArn)).toEqual([]);
    });

    test('deleting a role that is already gone succeeds', async () => {
      await expect(open(world()).provisioner.deleteRole('gone-role')).resolves.toBeUndefined();
    });
  });

  describe('the project', () => {
    test('is created as the plan describes it once its role exists', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(world());

      // Act
      await createRoleAndProject(account, plan);

      // Assess
      const { name, source, sourceVersion, artifacts, environment, serviceRole, logsConfig, tags } =
        plan.createProject;
      expect(await account.projects.project(plan.projectName)).toMatchObject({
        arn: plan.resources.projectArn,
        ...{ name, source, sourceVersion, artifacts, environment, serviceRole, logsConfig, tags },
      });
    });

    test('creating a project whose service role does not exist fails with InvalidInputException', async () => {
      // Act
      const create = open(world()).provisioner.createProject(teamAppPlan().createProject);

      // Assess
      await expectFailure(create, { kind: 'upstream', aws: 'InvalidInputException' });
    });

    test('creating a project that exists fails with ResourceAlreadyExistsException', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(world());
      await createRoleAndProject(account, plan);

      // Act
      const create = account.provisioner.createProject(plan.createProject);

      // Assess
      await expectFailure(create, { kind: 'conflict', aws: 'ResourceAlreadyExistsException' });
    });

    test('an update replaces the fields it gives', async () => {
      // Prepare
      const plan = teamAppPlan();
      const account = open(world());
      await createRoleAndProject(account, plan);
      const environment = { ...plan.createProject.environment, image: 'aws/codebuild/standard:7.0' };

      // Act
      await account.provisioner.updateProject({ ...plan.createProject, environment, tags: [] });

      // Assess
      expect(await account.projects.project(plan.projectName)).toMatchObject({ environment, tags: [] });
    });

    test('updating a project that does not exist fails with ResourceNotFoundException', async () => {
      // Act
      const update = open(world()).provisioner.updateProject({ ...teamAppPlan().createProject, tags: [] });

      // Assess
      await expectFailure(update, { kind: 'not-found', aws: 'ResourceNotFoundException' });
    });

    test('deleting a project removes it, and deleting one already gone succeeds', async () => {
      // Prepare
      const account = open(world({ projects: [project('team-app')] }));

      // Act
      await account.provisioner.deleteProject('team-app');
      await account.provisioner.deleteProject('team-app');

      // Assess
      expect(await account.projects.project('team-app')).toBeUndefined();
    });
  });
});

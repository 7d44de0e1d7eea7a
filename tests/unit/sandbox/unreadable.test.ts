/** The sandbox fails a read a snapshot records as unreadable at the same call, with the same error. */
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { UnreadableError } from '../../../lib/ports';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { repository } from '../../fixtures/builders';

const DENIED = 'AccessDeniedException: not authorized';

function sandbox(overrides: { repositories?: unknown[]; ecr?: object; iam?: object } = {}): SandboxAccount {
  return new SandboxAccount(
    parseSnapshot(
      JSON.stringify({
        format: 'buildwarden-snapshot/1',
        accountId: '123456789012',
        region: 'us-east-1',
        ecr: { repositories: overrides.repositories ?? [], ...overrides.ecr },
        codebuild: { projects: [] },
        iam: { roles: [], policies: [], ...overrides.iam },
      }),
    ),
  );
}

describe('a repository recorded as unreadable', () => {
  const denied = (call: string) =>
    repository('team/app', { unreadable: { call, error: DENIED }, repositoryPolicyText: undefined });

  test('fails repositoryDetails at the recorded call with the recorded error', async () => {
    // Prepare
    const account = sandbox({ repositories: [denied('ecr:GetRepositoryPolicy')] });

    // Act
    const reading = account.registry.repositoryDetails(repository('team/app'), { images: false });

    // Assess
    await expect(reading).rejects.toThrow(UnreadableError);
    await expect(reading).rejects.toThrow(`ecr:GetRepositoryPolicy: ${DENIED}`);
  });

  test('makes every call of the round, as the ECR adapter sends them together', async () => {
    // Prepare
    const account = sandbox({ repositories: [denied('ecr:GetRepositoryPolicy')] });

    // Act
    await account.registry.repositoryDetails(repository('team/app'), { images: true }).catch(() => undefined);

    // Assess
    expect([...account.calls.keys()]).toEqual([
      'ecr:GetLifecyclePolicy',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
      'ecr:DescribeImages',
    ]);
  });

  test('fails at DescribeImages only when images are read', async () => {
    // Prepare
    const account = sandbox({ repositories: [denied('ecr:DescribeImages')] });

    // Act
    const withoutImages = await account.registry.repositoryDetails(repository('team/app'), { images: false });
    const withImages = account.registry.repositoryDetails(repository('team/app'), { images: true });

    // Assess
    expect(withoutImages.lifecyclePolicyText).toBeDefined();
    await expect(withImages).rejects.toThrow(`ecr:DescribeImages: ${DENIED}`);
  });

  test('a failure without a call fails the first call', async () => {
    // Prepare
    const account = sandbox({
      repositories: [repository('team/app', { unreadable: { error: DENIED } })],
    });

    // Act
    const reading = account.registry.repositoryDetails(repository('team/app'), { images: false });

    // Assess
    await expect(reading).rejects.toThrow(new UnreadableError(undefined, DENIED));
    expect([...account.calls.keys()]).toEqual([
      'ecr:GetLifecyclePolicy',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
    ]);
  });

  test('is listed by DescribeRepositories without the recorded failure', async () => {
    // Prepare
    const account = sandbox({ repositories: [denied('ecr:GetRepositoryPolicy')] });

    // Act
    const pages = [];
    for await (const page of account.registry.repositoryPages()) pages.push(...page);

    // Assess
    expect(pages[0]).not.toHaveProperty('unreadable');
  });
});

describe('sections recorded as unreadable', () => {
  test('the registry scanning configuration fails as recorded', async () => {
    // Prepare
    const account = sandbox({
      ecr: { unreadable: { call: 'ecr:GetRegistryScanningConfiguration', error: DENIED } },
    });

    // Act
    const reading = account.registry.scanningConfiguration();

    // Assess
    await expect(reading).rejects.toThrow(`ecr:GetRegistryScanningConfiguration: ${DENIED}`);
  });

  test('the IAM data fails as recorded, for the whole account and for one role', async () => {
    // Prepare
    const account = sandbox({
      iam: { unreadable: { call: 'iam:GetAccountAuthorizationDetails', error: DENIED } },
    });

    // Act
    const all = account.identity.authorizationDetails();
    const one = account.identity.role('any');

    // Assess
    await expect(all).rejects.toThrow(`iam:GetAccountAuthorizationDetails: ${DENIED}`);
    await expect(one).rejects.toThrow(`iam:GetAccountAuthorizationDetails: ${DENIED}`);
  });
});

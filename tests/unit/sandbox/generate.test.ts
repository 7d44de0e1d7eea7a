/** The GENERATED sandbox account for benchmarks: deterministic, valid snapshot, realistic mixes. */
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { generateAccount } from '../../../lib/sandbox/generate';

const SMALL = { repositories: 2000, projects: 400, roles: 100 };

describe('generateAccount', () => {
  test('the same seed gives the same account', () => {
    expect(generateAccount({ ...SMALL, seed: 5 })).toEqual(generateAccount({ ...SMALL, seed: 5 }));
  });

  test('another seed gives another account', () => {
    expect(generateAccount({ ...SMALL, seed: 6 })).not.toEqual(generateAccount({ ...SMALL, seed: 5 }));
  });

  test('it is a valid snapshot: parsing it changes nothing', () => {
    const account = generateAccount(SMALL);

    expect(parseSnapshot(JSON.stringify(account))).toEqual(account);
  });

  test('the defaults are 10,000 repositories, 2,000 projects and 500 roles, with unique names', () => {
    const account = generateAccount();

    expect(account.ecr.repositories).toHaveLength(10_000);
    expect(account.codebuild.projects).toHaveLength(2_000);
    expect(account.iam.roles).toHaveLength(500);
    expect(new Set(account.ecr.repositories.map((r) => r.repositoryName)).size).toBe(10_000);
    expect(new Set(account.codebuild.projects.map((p) => p.name)).size).toBe(2_000);
  });

  test('settings are mixed, compliant and violating alike', () => {
    const { ecr, codebuild, iam } = generateAccount(SMALL);
    const share = (n: number) => n / ecr.repositories.length;

    const immutable = ecr.repositories.filter((r) => r.imageTagMutability !== 'MUTABLE').length;
    const scanOnPush = ecr.repositories.filter((r) => r.imageScanningConfiguration?.scanOnPush).length;
    const lifecycle = ecr.repositories.filter((r) => r.lifecyclePolicyText !== undefined).length;
    const policy = ecr.repositories.filter((r) => r.repositoryPolicyText !== undefined).length;
    const exempt = ecr.repositories.filter((r) => r.tags?.some((t) => t.Key === 'buildwarden:exempt')).length;

    expect(share(immutable)).toBeGreaterThan(0.45);
    expect(share(immutable)).toBeLessThan(0.65);
    expect(share(scanOnPush)).toBeGreaterThan(0.5);
    expect(share(scanOnPush)).toBeLessThan(0.7);
    expect(share(lifecycle)).toBeGreaterThan(0.55);
    expect(share(lifecycle)).toBeLessThan(0.75);
    expect(share(policy)).toBeGreaterThan(0.2);
    expect(share(policy)).toBeLessThan(0.4);
    expect(exempt).toBeGreaterThan(0);
    expect(codebuild.projects.some((p) => p.environment?.privilegedMode)).toBe(true);
    expect(codebuild.projects.some((p) => !p.environment?.privilegedMode)).toBe(true);
    expect(iam.roles.some((r) => r.AttachedManagedPolicies.length > 0)).toBe(true);
  });

  test('every project service role exists, and most projects push to a repository that exists', () => {
    const { ecr, codebuild, iam } = generateAccount(SMALL);
    const roleArns = new Set(iam.roles.map((r) => r.Arn));
    const names = new Set(ecr.repositories.map((r) => r.repositoryName));
    const target = (p: (typeof codebuild.projects)[number]) =>
      p.environment?.environmentVariables?.find((v) => v.name === 'IMAGE_REPO_NAME')?.value;

    expect(codebuild.projects.every((p) => p.serviceRole !== undefined && roleArns.has(p.serviceRole))).toBe(
      true,
    );
    const existing = codebuild.projects.filter((p) => names.has(target(p) ?? '')).length;
    expect(existing / codebuild.projects.length).toBeGreaterThan(0.7);
    expect(existing).toBeLessThan(codebuild.projects.length);
  });
});

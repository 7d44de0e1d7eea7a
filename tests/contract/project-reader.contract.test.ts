/**
 * The ProjectReader port's contract (CodeBuild's read side), run against the sandbox account and the CodeBuild
 * adapter: every project once, in batches BatchGetProjects accepts, and what a missing project reads as.
 */
import { ACCOUNTS, closeAccounts, pagesOf } from './accounts';
import { project, roleArn, world } from './world';

afterEach(closeAccounts);

describe.each(ACCOUNTS)('ProjectReader contract: %s', (_name, open) => {
  test('lists every project once, in batches of at most 100 (BatchGetProjects names)', async () => {
    // Prepare
    const names = Array.from({ length: 250 }, (_, i) => `app-${String(i).padStart(3, '0')}-build`);
    const account = open(world({ projects: names.map((n) => project(n)) }));

    // Act
    const batches = await pagesOf(account.projects.projectPages());

    // Assess
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(
      batches
        .flat()
        .map((p) => p.name)
        .sort(),
    ).toEqual(names);
  });

  test('an account without projects has no batches', async () => {
    // Act
    const batches = await pagesOf(open(world()).projects.projectPages());

    // Assess
    expect(batches).toEqual([]);
  });

  test('reads a project as BatchGetProjects describes it', async () => {
    // Prepare
    const stored = project('web-frontend-build', { serviceRole: roleArn('web-build-role') });

    // Act
    const read = await open(world({ projects: [stored] })).projects.project('web-frontend-build');

    // Assess
    expect(read).toEqual(stored);
  });

  test('a project that does not exist is undefined', async () => {
    // Act
    const read = await open(world({ projects: [project('web-frontend-build')] })).projects.project('gone');

    // Assess
    expect(read).toBeUndefined();
  });
});

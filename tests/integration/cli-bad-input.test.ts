/**
 * Every file the CLI reads is bounded in how deeply it may nest: a 5,000-deep JSON or YAML value is bad input
 * (exit 2, the file and the depth named), never a stack overflow (exit 4) or a silent success.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, tempFile } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const DEEP = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');

function expectDepthRefused(result: { code: number; stderr: string; stdout: string }, file: string) {
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(file);
  expect(result.stderr).toMatch(/nested deeper than 512 levels/);
  expect(result.stdout).toBe('');
}

describe('a 5,000-deep value in an input file exits 2', () => {
  test('audit --snapshot, deep inside a repository object', async () => {
    // Prepare
    const file = tempFile(
      'deep.json',
      demoText.replace('"repositoryName": "payments/api"', `"repositoryName": "payments/api", "x": ${DEEP}`),
    );

    // Act
    const result = await cli(['audit', '--snapshot', file]);

    // Assess
    expectDepthRefused(result, file);
  });

  test('config validate, deep in YAML flow style', async () => {
    // Prepare
    const file = tempFile('guardrails.yml', `version: 1\nrules: ${DEEP}\n`);

    // Act
    const result = await cli(['config', 'validate', file]);

    // Assess
    expectDepthRefused(result, file);
  });

  test('config validate, deep in JSON', async () => {
    // Prepare
    const file = tempFile('guardrails.json', `{"version": 1, "exemptions": ${DEEP}}`);

    // Act
    const result = await cli(['config', 'validate', file]);

    // Assess
    expectDepthRefused(result, file);
  });

  test('lifecycle validate --policy', async () => {
    // Prepare
    const file = tempFile('policy.json', `{"rules": ${DEEP}}`);

    // Act
    const result = await cli(['lifecycle', 'validate', '--policy', file]);

    // Assess
    expectDepthRefused(result, file);
  });

  test('lifecycle preview --images', async () => {
    // Prepare
    const policy = tempFile(
      'policy.json',
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      }),
    );
    const images = tempFile('images.json', DEEP);

    // Act
    const result = await cli(['lifecycle', 'preview', '--policy', policy, '--images', images]);

    // Assess
    expectDepthRefused(result, images);
  });

  test('projects create --file', async () => {
    // Prepare
    const body = tempFile('body.json', `{"name": "team/app", "tags": ${DEEP}}`);
    const snapshot = tempFile('account.json', demoText);

    // Act
    const result = await cli(['projects', 'create', '--file', body, '--snapshot', snapshot]);

    // Assess
    expectDepthRefused(result, body);
  });
});

describe('a snapshot whose sections do not say what the account holds exits 2', () => {
  const base = JSON.parse(demoText) as Record<string, Record<string, unknown>>;

  test('a typo inside a section (repositoriez) names the path and prints no audit', async () => {
    // Prepare
    const { repositories, ...ecr } = base.ecr!;
    const file = tempFile(
      'typo.json',
      JSON.stringify({ ...base, ecr: { ...ecr, repositoriez: repositories } }),
    );

    // Act
    const result = await cli(['audit', '--snapshot', file]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/ecr\.repositoriez: unknown key/);
    expect(result.stderr).toMatch(/ecr\.repositories: required/);
    expect(result.stdout).toBe('');
  });

  test('a missing iam section names it', async () => {
    // Prepare
    const { iam: _iam, ...withoutIam } = base;
    const file = tempFile('no-iam.json', JSON.stringify(withoutIam));

    // Act
    const result = await cli(['audit', '--snapshot', file]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/iam: required section is missing/);
    expect(result.stdout).toBe('');
  });
});

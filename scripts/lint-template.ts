/**
 * `npm run lint:template`: lints the CloudFormation templates with cfn-lint (settings in .cfnlintrc.yaml): the
 * packaged hub template and the member-account template (deploy/member-account.yml). Errors fail; warnings are
 * printed. The hub template comes from the deploy tests' packaging fixture, which caches the package under a
 * hash of its inputs, so `npm test` packages once for this step and the deploy tests.
 *
 * cfn-lint is a Python tool outside the npm dependencies: without it on PATH this step says so and skips, unless
 * BUILDWARDEN_REQUIRE_CFN_LINT=1 (set by .ci/run), where a missing linter fails.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../tests/fixtures/load';
import { packagedTemplateFile } from '../tests/fixtures/package-template';
import { MEMBER_TEMPLATE_FILE } from './member-template';

const CONFIG_FILE = path.join(REPO_ROOT, '.cfnlintrc.yaml');

function cfnLintVersion(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  return probe.stdout.trim();
}

function main(): number {
  const version = cfnLintVersion();
  if (version === undefined) {
    if (process.env.BUILDWARDEN_REQUIRE_CFN_LINT === '1') {
      console.error('lint:template: cfn-lint is not on PATH and BUILDWARDEN_REQUIRE_CFN_LINT=1: failing.');
      return 1;
    }
    console.log('lint:template: cfn-lint is not on PATH: skipped linting the CloudFormation templates.');
    return 0;
  }

  const templates = [
    { name: 'the packaged template', file: packagedTemplateFile() },
    { name: MEMBER_TEMPLATE_FILE, file: path.join(REPO_ROOT, MEMBER_TEMPLATE_FILE) },
  ];
  let failed = 0;
  for (const { name, file } of templates) {
    const lint = spawnSync(
      'cfn-lint',
      ['--config-file', CONFIG_FILE, '--non-zero-exit-code', 'error', '--', file],
      {
        stdio: 'inherit',
      },
    );
    if (lint.error) throw lint.error;
    if (lint.status !== 0) {
      console.error(`lint:template: ${version} found errors in ${name} (above).`);
      failed = lint.status ?? 1;
    } else {
      console.log(`lint:template: ${version}: ${name} has no errors.`);
    }
  }
  return failed;
}

process.exitCode = main();

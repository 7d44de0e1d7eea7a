/**
 * The simulated reports bucket beside a sandbox file: the local stage writes the latest version of each report
 * the invocation kept under `reports/` beside the file, where a browser can open it, and nothing outside it.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSnapshot } from '../../../lib/policy/snapshot';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { reportsDirectory, withSandboxFile } from '../../../lib/sandbox/local-stage';
import { REPO_ROOT } from '../../fixtures/load';

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'bw-reports-'));
const emptyAccount = () =>
  new SandboxAccount(
    parseSnapshot(
      JSON.stringify({
        format: 'buildwarden-snapshot/1',
        accountId: '123456789012',
        region: 'us-east-1',
        ecr: { repositories: [] },
        codebuild: { projects: [] },
        iam: { roles: [], policies: [] },
      }),
    ),
  );

describe('SandboxReportStore.saveUnder', () => {
  it('writes the latest version of each report at its key under the directory', async () => {
    // Prepare
    const dir = freshDir();
    const sandbox = emptyAccount();
    const key = 'audits/123456789012/us-east-1/20261125T120000Z/report.html';
    await sandbox.reports.putReport({ key, body: 'first', contentType: 'text/html' });
    await sandbox.reports.putReport({ key, body: 'second', contentType: 'text/html' });

    // Act
    const written = sandbox.reports.saveUnder(dir);

    // Assess
    expect(written).toEqual([path.join(dir, key)]);
    expect(readFileSync(path.join(dir, key), 'utf8')).toBe('second');
  });

  it('writes nothing outside the directory for a key with `..` segments', async () => {
    // Prepare
    const dir = path.join(freshDir(), 'reports');
    const sandbox = emptyAccount();
    await sandbox.reports.putReport({ key: '../outside.html', body: 'x', contentType: 'text/html' });

    // Act
    const written = sandbox.reports.saveUnder(dir);

    // Assess
    expect(written).toEqual([]);
    expect(existsSync(path.join(dir, '..', 'outside.html'))).toBe(false);
  });
});

describe('the local stage', () => {
  it('writes the reports an invocation kept under reports/ beside the sandbox file', async () => {
    // Prepare
    const file = path.join(freshDir(), 'account.json');
    copyFileSync(path.join(REPO_ROOT, 'demo/account.json'), file);
    const key = 'audits/123456789012/us-east-1/20261125T120000Z/report.html';

    // Act
    await withSandboxFile(file, async (sandbox) =>
      sandbox.reports.putReport({ key, body: '<!doctype html>', contentType: 'text/html' }),
    );

    // Assess
    expect(reportsDirectory(file)).toBe(path.join(path.dirname(file), 'reports'));
    expect(readFileSync(path.join(reportsDirectory(file), key), 'utf8')).toBe('<!doctype html>');
  });
});

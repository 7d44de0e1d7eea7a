/**
 * `npm start` as the README shows it: serverless-offline serves the HTTP API on a file-backed sandbox account;
 * a project created over HTTP is then visible to `buildwarden audit --snapshot` on the same file. Parallel
 * requests run in serverless-offline's worker threads against that one file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Snapshot } from '../../lib/policy/snapshot';
import { cli } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';

const httpPort = 39000 + Math.floor(Math.random() * 500);
const lambdaPort = httpPort + 600;
const sandboxFile = path.join(mkdtempSync(path.join(tmpdir(), 'bw-local-')), 'account.json');
const base = `http://127.0.0.1:${httpPort}`;
let server: ChildProcess;
let output = '';

async function waitForServer(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      await fetch(`${base}/projects`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`serverless-offline did not start:\n${output}`);
}

beforeAll(async () => {
  copyFileSync(path.join(REPO_ROOT, 'demo/account.json'), sandboxFile);
  server = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      BUILDWARDEN_SANDBOX_FILE: sandboxFile,
      BUILDWARDEN_HTTP_PORT: String(httpPort),
      BUILDWARDEN_LAMBDA_PORT: String(lambdaPort),
    },
    detached: true,
  });
  server.stdout?.on('data', (d) => (output += String(d)));
  server.stderr?.on('data', (d) => (output += String(d)));
  await waitForServer(60_000);
}, 90_000);

afterAll(() => {
  if (server.pid) process.kill(-server.pid, 'SIGTERM');
});

const body = JSON.parse(readFileSync(path.join(REPO_ROOT, 'demo/new-project.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** POST /projects with `json`, its response read (so the connection is released). */
/** The demo request under another name: its parameter reference moved into that project's namespace. */
function bodyNamed(name: string): Record<string, unknown> {
  const project = name.replaceAll('/', '-');
  const variables = (body.environmentVariables as { value: string }[]).map((v) => ({
    ...v,
    value: v.value.replace('/ci/payments-ledger/', `/ci/${project}/`),
  }));
  return { ...body, name, environmentVariables: variables };
}

async function post(json: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('the local stack', () => {
  test('POST /projects creates a project that the audit of the same sandbox file then sees as compliant', async () => {
    const created = await fetch(`${base}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    expect(created.status).toBe(201);
    const audit = await cli(['audit', '--snapshot', sandboxFile, '--format', 'json']);
    const ledger = (
      JSON.parse(audit.stdout) as { findings: { resourceArn: string; status: string }[] }
    ).findings.filter((f) => /payments[/-]ledger/.test(f.resourceArn));
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger.filter((f) => f.status !== 'compliant')).toEqual([]);
  }, 30_000);

  test('state persists across requests: the same POST again answers 200', async () => {
    const again = await fetch(`${base}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    expect(again.status).toBe(200);
  }, 30_000);

  test('10 identical POSTs at once: one project, one 201, the others 200, no 5xx', async () => {
    // Prepare
    const identical = bodyNamed('race/same');

    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(identical)));

    // Assess
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const saved = JSON.parse(readFileSync(sandboxFile, 'utf8')) as Snapshot;
    expect(saved.codebuild.projects.filter((p) => p.name === 'race-same')).toHaveLength(1);
    expect(saved.ecr.repositories.filter((r) => r.repositoryName === 'race/same')).toHaveLength(1);
  }, 90_000);

  test('20 distinct POSTs at once: twenty 201s, and each project is found afterwards', async () => {
    // Prepare
    const names = Array.from({ length: 20 }, (_, i) => `race/distinct-${i}`);

    // Act
    const responses = await Promise.all(names.map((name) => post(bodyNamed(name))));

    // Assess
    expect(responses.map((r) => r.status)).toEqual(names.map(() => 201));
    const found = await Promise.all(names.map((name) => fetch(`${base}/projects/${name}`)));
    expect(found.map((r) => r.status)).toEqual(names.map(() => 200));
    const saved = JSON.parse(readFileSync(sandboxFile, 'utf8')) as Snapshot;
    for (const name of names) {
      expect(saved.codebuild.projects.filter((p) => p.name === name.replace('/', '-'))).toHaveLength(1);
    }
  }, 90_000);

  test('leaves no lock or temporary file beside the sandbox file', () => {
    // `reports/` is where the local stage keeps the scheduled audit's reports when that audit has run.
    const beside = readdirSync(path.dirname(sandboxFile)).filter((name) => name !== 'reports');
    expect(beside).toEqual(['account.json']);
  });

  test('the verdict API answers 404 for an image not scanned yet', async () => {
    const response = await fetch(`${base}/images/web/frontend/sha256:${'a'.repeat(64)}/verdict`);

    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toMatch(/not been scanned yet/);
  }, 30_000);
});

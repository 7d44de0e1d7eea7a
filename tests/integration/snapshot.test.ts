/** Capturing an account into a snapshot: a round trip through the snapshot format keeps every finding. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { sandboxDeps } from '../../lib/cli/deps';
import { runAudit } from '../../lib/usecases/audit';
import { captureSnapshot } from '../../lib/usecases/snapshot';
import { REPO_ROOT } from '../fixtures/load';
import { NOW } from '../fixtures/builders';

const demo = () =>
  new SandboxAccount(parseSnapshot(readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8')));
const guardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));

describe('captureSnapshot', () => {
  test('a captured snapshot parses and audits to exactly the findings of the account it was read from', async () => {
    const source = demo();

    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    const reread = new SandboxAccount(parseSnapshot(JSON.stringify(captured)));
    const before = await runAudit(sandboxDeps(demo()), guardrails, { now: NOW });
    const after = await runAudit(sandboxDeps(reread), guardrails, { now: NOW });
    expect(after.findings).toEqual(before.findings);
  });

  test('capturing uses read calls only and leaves the account unchanged', async () => {
    const source = demo();
    const before = JSON.stringify(source.snapshot);

    await captureSnapshot(sandboxDeps(source), { now: NOW });

    expect(JSON.stringify(source.snapshot)).toBe(before);
    const writes = [...source.calls.keys()].filter((a) => !/:(Describe|Get|List|BatchGet)/.test(a));
    expect(writes).toEqual([]);
  });

  test('a repository whose details cannot be read is kept without them and reported', async () => {
    const source = demo();
    const original = source.repositoryDetails.bind(source);
    source.repositoryDetails = async (repository, options) => {
      if (repository.repositoryName === 'data/etl')
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      return original(repository, options);
    };
    const unreadable: string[] = [];

    const captured = await captureSnapshot(sandboxDeps(source), {
      now: NOW,
      onUnreadable: (name) => unreadable.push(name),
    });

    expect(unreadable).toEqual(['data/etl']);
    expect(
      captured.ecr.repositories.find((r) => r.repositoryName === 'data/etl')?.lifecyclePolicyText,
    ).toBeUndefined();
  });

  test.each([
    ['the organization of a member account', 'o-a1b2c3d4e5'],
    ['null for an account in no organization', null],
  ])('records organizationId: %s', async (_name, organizationId) => {
    // Prepare
    const source = demo();
    source.snapshot.organizationId = organizationId;

    // Act
    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    // Assess
    expect(captured.organizationId).toBe(organizationId);
    expect(parseSnapshot(JSON.stringify(captured)).organizationId).toBe(organizationId);
  });

  test('leaves organizationId out and reports why when the organization cannot be read', async () => {
    // Prepare
    const source = demo();
    source.organizationId = async () => {
      throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    };
    const reasons: string[] = [];

    // Act
    const captured = await captureSnapshot(sandboxDeps(source), {
      now: NOW,
      onOrganizationUnreadable: (reason) => reasons.push(reason),
    });

    // Assess
    expect('organizationId' in captured).toBe(false);
    expect(reasons).toEqual(['AccessDeniedException: not authorized']);
  });
});

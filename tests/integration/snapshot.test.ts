/** Capturing an account into a snapshot: a round trip through the snapshot format keeps every finding. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { sandboxDeps } from '../../lib/cli/deps';
import { runAudit } from '../../lib/usecases/audit';
import { captureSnapshot } from '../../lib/usecases/snapshot';
import { UnreadableError } from '../../lib/ports';
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

  test('captures the registry-level settings under their keys, in the shapes of their API answers', async () => {
    const source = demo();

    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    const {
      replicationConfiguration,
      registryPolicyText,
      pullThroughCacheRules,
      repositoryCreationTemplates,
    } = source.snapshot.ecr;
    expect(captured.ecr).toMatchObject({
      replicationConfiguration,
      registryPolicyText,
      pullThroughCacheRules,
      repositoryCreationTemplates,
    });
  });

  test('leaves out, and reports, a registry setting that cannot be read (not captured, never "none")', async () => {
    const source = demo();
    source.registry.registryPolicyText = () =>
      Promise.reject(new UnreadableError('ecr:GetRegistryPolicy', 'AccessDeniedException: not authorized'));
    const unreadable: string[] = [];

    const captured = await captureSnapshot(sandboxDeps(source), {
      now: NOW,
      onUnreadable: (name) => unreadable.push(name),
    });

    expect('registryPolicyText' in captured.ecr).toBe(false);
    expect(unreadable).toContain('registry policy');
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
    const original = source.registry.repositoryDetails.bind(source.registry);
    source.registry.repositoryDetails = async (repository, options) => {
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

  test('a repository whose details cannot be read is recorded with the call and the error', async () => {
    // Prepare
    const source = demo();
    const original = source.registry.repositoryDetails.bind(source.registry);
    source.registry.repositoryDetails = async (repository, options) => {
      if (repository.repositoryName === 'data/etl')
        throw new UnreadableError('ecr:GetRepositoryPolicy', 'AccessDeniedException: denied');
      return original(repository, options);
    };

    // Act
    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    // Assess
    expect(captured.ecr.repositories.find((r) => r.repositoryName === 'data/etl')?.unreadable).toEqual({
      call: 'ecr:GetRepositoryPolicy',
      error: 'AccessDeniedException: denied',
    });
  });

  test('a repository whose images alone cannot be read keeps its other details', async () => {
    // Prepare
    const source = demo();
    const original = source.registry.repositoryDetails.bind(source.registry);
    source.registry.repositoryDetails = async (repository, options) => {
      if (repository.repositoryName === 'payments/api' && options.images === true)
        throw new UnreadableError('ecr:DescribeImages', 'AccessDeniedException: denied');
      return original(repository, options);
    };

    // Act
    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    // Assess
    const api = captured.ecr.repositories.find((r) => r.repositoryName === 'payments/api')!;
    expect(api.unreadable).toEqual({ call: 'ecr:DescribeImages', error: 'AccessDeniedException: denied' });
    expect(api.lifecyclePolicyText).toBeDefined();
    expect(api.images).toBeUndefined();
  });

  test.each([
    [
      'IAM',
      (s: SandboxAccount) => {
        s.identity.authorizationDetails = () =>
          Promise.reject(
            new UnreadableError('iam:GetAccountAuthorizationDetails', 'AccessDeniedException: no'),
          );
      },
    ],
    [
      'the registry scanning configuration',
      (s: SandboxAccount) => {
        s.registry.scanningConfiguration = () =>
          Promise.reject(
            new UnreadableError('ecr:GetRegistryScanningConfiguration', 'AccessDeniedException: no'),
          );
      },
    ],
    [
      'a repository',
      (s: SandboxAccount) => {
        const original = s.registry.repositoryDetails.bind(s.registry);
        s.registry.repositoryDetails = async (repository, options) => {
          if (repository.repositoryName === 'web/frontend')
            throw new UnreadableError('ecr:GetLifecyclePolicy', 'AccessDeniedException: no');
          return original(repository, options);
        };
      },
    ],
  ])('when %s cannot be read, the captured snapshot audits exactly as the account', async (_what, deny) => {
    // Prepare
    const source = demo();
    deny(source);
    const live = await runAudit(sandboxDeps(source), guardrails, { now: NOW });

    // Act
    const captured = await captureSnapshot(sandboxDeps(source), { now: NOW });

    // Assess
    const reread = new SandboxAccount(parseSnapshot(JSON.stringify(captured)));
    const after = await runAudit(sandboxDeps(reread), guardrails, { now: NOW });
    expect(after.findings).toEqual(live.findings);
    expect(after.findings.some((f) => f.status === 'not-visible')).toBe(true);
  });

  test('leaves organizationId out and reports why when the organization cannot be read', async () => {
    // Prepare
    const source = demo();
    source.organization.organizationId = async () => {
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

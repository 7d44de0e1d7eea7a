/**
 * Managed build projects end to end on the SIMULATED sandbox account (demo/account.json), no mocks: the
 * create/list/show/delete use cases with their ports served by the sandbox, the audit run over what they
 * leave behind, and failures injected into the sandbox's Provisioner to prove every rollback.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import { parseGuardrails, RULE_IDS } from '../../lib/policy/guardrails';
import type { Repository } from '../../lib/policy/model';
import { parseSnapshot, type Snapshot } from '../../lib/policy/snapshot';
import type { Provisioner } from '../../lib/ports';
import { SandboxAccount, simulatedAwsError } from '../../lib/sandbox/account';
import { runAudit } from '../../lib/usecases/audit';
import {
  createManagedProject,
  deleteManagedProject,
  listManagedProjects,
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RepositoryNotEmptyError,
  showManagedProject,
  type ProvisioningDeps,
} from '../../lib/usecases/provisioning';
import { NOW } from '../fixtures/builders';
import { REPO_ROOT } from '../fixtures/load';

// ---------------------------------------------------------------------------------------------------------
// Helpers

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const guardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));
const newProjectText = readFileSync(path.join(REPO_ROOT, 'demo/new-project.json'), 'utf8');

type Body = Record<string, unknown>;

/** The demo's request body (payments/ledger), fresh per call, with `overrides` on top. */
function requestBody(overrides: Body = {}): Body {
  return { ...(JSON.parse(newProjectText) as Body), ...overrides };
}

const NAME = 'payments/ledger';
const PROJECT_NAME = 'payments-ledger';
const ROLE_NAME = 'buildwarden-payments-ledger';
const CREATED = {
  name: NAME,
  projectName: PROJECT_NAME,
  repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/payments/ledger',
  repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/ledger',
  roleArn: `arn:aws:iam::123456789012:role/service-role/${ROLE_NAME}`,
  projectArn: `arn:aws:codebuild:us-east-1:123456789012:project/${PROJECT_NAME}`,
};

function demoSandbox(): SandboxAccount {
  return new SandboxAccount(parseSnapshot(demoText));
}

function depsOf(
  sandbox: SandboxAccount,
  provisioner: Provisioner = sandbox,
  sleep: (ms: number) => Promise<void> = async () => undefined,
): ProvisioningDeps {
  return {
    account: sandbox.info,
    registry: sandbox,
    projects: sandbox,
    identity: sandbox,
    provisioner,
    sleep,
  };
}

const snapshotOf = (sandbox: SandboxAccount): Snapshot => structuredClone(sandbox.snapshot);

/** The calls that create or change something, by action, as the sandbox counted them. */
function writeCalls(sandbox: SandboxAccount): Record<string, number> {
  return Object.fromEntries(
    [...sandbox.calls].filter(([action]) => /:(?:Create|Put|Delete|Tag|Update)/.test(action)),
  );
}

function repositoryIn(sandbox: SandboxAccount, name: string): Repository {
  const found = sandbox.snapshot.ecr.repositories.find((r) => r.repositoryName === name);
  if (!found) throw new Error(`test setup: no repository ${name}`);
  return found;
}

/** The rejection of `promise`; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const CREATE_STEPS = [
  'createRepository',
  'putLifecyclePolicy',
  'createRole',
  'putRolePolicy',
  'createProject',
] as const;
type Method = keyof Provisioner;

/** The sandbox's Provisioner; `failures[method](attempt)` may return an error to throw instead (attempt from 1). */
function provisionerWith(
  sandbox: SandboxAccount,
  failures: Partial<Record<Method, (attempt: number) => Error | undefined>>,
): Provisioner & { attempts: (method: Method) => number } {
  const attempts = new Map<Method, number>();
  const wrap =
    (method: Method) =>
    async (...args: unknown[]): Promise<unknown> => {
      const attempt = (attempts.get(method) ?? 0) + 1;
      attempts.set(method, attempt);
      const error = failures[method]?.(attempt);
      if (error) throw error;
      return (sandbox[method] as (...a: unknown[]) => Promise<unknown>).apply(sandbox, args);
    };
  const methods: Method[] = [
    ...CREATE_STEPS,
    'deleteProject',
    'deleteRole',
    'deleteRepository',
    'imageCount',
  ];
  return {
    ...(Object.fromEntries(methods.map((m) => [m, wrap(m)])) as unknown as Provisioner),
    attempts: (method) => attempts.get(method) ?? 0,
  };
}

const injected = () => simulatedAwsError('ServiceUnavailableException', 'injected failure');

/** The sandbox's Provisioner with the `n`th create call (1-based, over all five create steps) failing. */
function nthCreateCallFails(sandbox: SandboxAccount, n: number): Provisioner {
  let creates = 0;
  const nth = () => (++creates === n ? injected() : undefined);
  return provisionerWith(sandbox, Object.fromEntries(CREATE_STEPS.map((step) => [step, nth])));
}

/** The error CodeBuild returns while IAM has not yet propagated a just-created role. */
const rolePropagation = () =>
  simulatedAwsError(
    'InvalidInputException',
    `CodeBuild is not authorized to perform: sts:AssumeRole on ${CREATED.roleArn}`,
  );

async function sandboxWithLedger(): Promise<SandboxAccount> {
  const sandbox = demoSandbox();
  await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });
  return sandbox;
}

// ---------------------------------------------------------------------------------------------------------

describe('createManagedProject on the sandbox: a new project', () => {
  it('answers 201 with the ARNs and URI of the repository, role and project', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(result).toEqual({ status: 201, body: CREATED });
  });

  it('creates exactly the repository, the role with its one inline policy and the project', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(writeCalls(sandbox)).toEqual({
      'ecr:CreateRepository': 1,
      'ecr:PutLifecyclePolicy': 1,
      'iam:CreateRole': 1,
      'iam:PutRolePolicy': 1,
      'codebuild:CreateProject': 1,
    });
  });

  it('leaves resources the audit finds with no violation and nothing not-visible', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const own = new Set([CREATED.repositoryArn, CREATED.roleArn, CREATED.projectArn]);

    // Act
    const report = await runAudit(sandboxDeps(sandbox), guardrails, { now: NOW });

    // Assess
    const bad = report.findings
      .filter((f) => own.has(f.resourceArn))
      .filter((f) => f.status === 'violation' || f.status === 'not-visible')
      .map((f) => `${f.ruleId} ${f.status}: ${f.message}`);
    expect(bad).toEqual([]);
  });

  it('leaves resources the audit evaluates under every rule id', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const own = new Set([CREATED.repositoryArn, CREATED.roleArn, CREATED.projectArn]);

    // Act
    const report = await runAudit(sandboxDeps(sandbox), guardrails, { now: NOW });

    // Assess
    const ruleIds = new Set(report.findings.filter((f) => own.has(f.resourceArn)).map((f) => f.ruleId));
    expect([...ruleIds].sort()).toEqual([...RULE_IDS].sort());
  });
});

describe('createManagedProject on the sandbox: the same name again', () => {
  it('answers 200 with the same body for the identical request', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const again = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(again).toEqual({ status: 200, body: CREATED });
  });

  it('creates nothing for the identical request', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const before = writeCalls(sandbox);
    const snapshot = snapshotOf(sandbox);

    // Act
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(writeCalls(sandbox)).toEqual(before);
    expect(sandbox.snapshot).toEqual(snapshot);
  });

  it('answers 200 for the same request with variables and tags in another order and defaults spelled out', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const original = requestBody();
    const reordered = requestBody({
      environmentVariables: [...(original.environmentVariables as unknown[])].reverse(),
      tags: { team: 'payments' },
      image: 'aws/codebuild/standard:8.0',
    });

    // Act
    const again = await createManagedProject(reordered, depsOf(sandbox), { guardrails });

    // Assess
    expect(again.status).toBe(200);
  });

  it('refuses a different spec with ProjectConflictError naming every differing field', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const changed = requestBody({
      computeType: 'BUILD_GENERAL1_LARGE',
      source: { type: 'GITHUB', location: 'https://github.com/example-org/ledger.git', branch: 'release' },
      environmentVariables: [{ name: 'NODE_ENV', value: 'staging' }],
    });

    // Act
    const error = await rejectionOf(createManagedProject(changed, depsOf(sandbox), { guardrails }));

    // Assess
    expect(error).toBeInstanceOf(ProjectConflictError);
    expect([...(error as ProjectConflictError).differences].sort()).toEqual([
      'computeType',
      'environmentVariables[NODE_ENV].value',
      'environmentVariables[SONAR_TOKEN]',
      'source.branch',
    ]);
  });

  it('changes nothing when it refuses a different spec', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const snapshot = snapshotOf(sandbox);
    const before = writeCalls(sandbox);

    // Act
    await rejectionOf(
      createManagedProject(requestBody({ computeType: 'BUILD_GENERAL1_LARGE' }), depsOf(sandbox), {
        guardrails,
      }),
    );

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
    expect(writeCalls(sandbox)).toEqual(before);
  });
});

describe('createManagedProject on the sandbox: resources it does not manage', () => {
  /** Adds an unmanaged role named like the one buildwarden would create for payments/ledger. */
  function withForeignRole(sandbox: SandboxAccount): void {
    const template = sandbox.snapshot.iam.roles.find((r) => r.RoleName === 'payments-build-role')!;
    sandbox.snapshot.iam.roles.push({
      ...structuredClone(template),
      RoleName: ROLE_NAME,
      Arn: CREATED.roleArn,
    });
  }

  it.each([
    ['a CodeBuild project (payments-api-build)', 'payments-api-build', () => undefined],
    ['a repository (payments/api)', 'payments/api', () => undefined],
    ['a role (buildwarden-payments-ledger)', NAME, withForeignRole],
  ])(
    'refuses with NotManagedError when %s of that name exists',
    async (_case, name, prepare: (s: SandboxAccount) => void) => {
      // Prepare
      const sandbox = demoSandbox();
      prepare(sandbox);
      // Without the demo's variable: its parameter lives in payments-ledger's namespace, not this name's.
      const body = requestBody({ name, environmentVariables: [] });

      // Act
      const error = await rejectionOf(createManagedProject(body, depsOf(sandbox), { guardrails }));

      // Assess
      expect(error).toBeInstanceOf(NotManagedError);
    },
  );

  it.each([
    ['a CodeBuild project', 'payments-api-build', () => undefined],
    ['a repository', 'payments/api', () => undefined],
    ['a role', NAME, withForeignRole],
  ])(
    'changes nothing and calls no write when %s of that name exists',
    async (_case, name, prepare: (s: SandboxAccount) => void) => {
      // Prepare
      const sandbox = demoSandbox();
      prepare(sandbox);
      const snapshot = snapshotOf(sandbox);
      const body = requestBody({ name, environmentVariables: [] });

      // Act
      const error = await rejectionOf(createManagedProject(body, depsOf(sandbox), { guardrails }));

      // Assess
      expect(error).toBeInstanceOf(NotManagedError);
      expect(sandbox.snapshot).toEqual(snapshot);
      expect(writeCalls(sandbox)).toEqual({});
    },
  );
});

describe('createManagedProject on the sandbox: a step fails', () => {
  const cases = CREATE_STEPS.map((step, index) => [index + 1, step] as const);

  it.each(cases)('create call %i failing throws ProvisioningFailedError naming step %s', async (n, step) => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, nthCreateCallFails(sandbox, n)), { guardrails }),
    );

    // Assess
    expect(error).toBeInstanceOf(ProvisioningFailedError);
    expect(error).toMatchObject({ step, leftovers: [] });
  });

  it.each(cases)('create call %i (%s) failing leaves the account as it was', async (n) => {
    // Prepare
    const sandbox = demoSandbox();
    const snapshot = snapshotOf(sandbox);

    // Act
    await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, nthCreateCallFails(sandbox, n)), { guardrails }),
    );

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
  });

  /** The call takes effect, then its answer is lost (a timeout, or the SDK's retry answering AlreadyExists). */
  const failsAfterTakingEffect = (
    sandbox: SandboxAccount,
    step: (typeof CREATE_STEPS)[number],
  ): Provisioner => {
    const wrapped = provisionerWith(sandbox, {});
    return {
      ...wrapped,
      [step]: async (input: never) => {
        await (sandbox[step] as (i: never) => Promise<void>).call(sandbox, input);
        throw simulatedAwsError('TimeoutError', 'socket hang up');
      },
    };
  };

  it.each(['putLifecyclePolicy', 'putRolePolicy'] as const)(
    '%s failing after it took effect still leaves the account as it was',
    async (step) => {
      // Prepare
      const sandbox = demoSandbox();
      const snapshot = snapshotOf(sandbox);

      // Act
      await rejectionOf(
        createManagedProject(requestBody(), depsOf(sandbox, failsAfterTakingEffect(sandbox, step)), {
          guardrails,
        }),
      );

      // Assess
      expect(sandbox.snapshot).toEqual(snapshot);
    },
  );

  it.each(['createRepository', 'createRole', 'createProject'] as const)(
    '%s failing after it took effect still leaves the account as it was',
    async (step) => {
      // Prepare
      const sandbox = demoSandbox();
      const snapshot = snapshotOf(sandbox);

      // Act
      await rejectionOf(
        createManagedProject(requestBody(), depsOf(sandbox, failsAfterTakingEffect(sandbox, step)), {
          guardrails,
        }),
      );

      // Assess
      expect(sandbox.snapshot).toEqual(snapshot);
    },
  );

  it('keeps the cause in the error reason, by name and message', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, nthCreateCallFails(sandbox, 3)), { guardrails }),
    );

    // Assess
    expect(error).toMatchObject({ reason: 'ServiceUnavailableException: injected failure' });
  });

  it('lists what it could not remove when the rollback itself fails', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const provisioner = provisionerWith(sandbox, {
      createProject: injected,
      deleteRole: () => simulatedAwsError('ServiceFailureException', 'rollback failed'),
    });

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails }),
    );

    // Assess
    expect(error).toBeInstanceOf(ProvisioningFailedError);
    expect(error).toMatchObject({ step: 'createProject', leftovers: [`role ${ROLE_NAME}`] });
    expect((error as Error).message).toContain(`could not remove: role ${ROLE_NAME}`);
  });

  it('still removes the rest when one rollback step fails', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const provisioner = provisionerWith(sandbox, {
      createProject: injected,
      deleteRole: () => simulatedAwsError('ServiceFailureException', 'rollback failed'),
    });

    // Act
    await rejectionOf(createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails }));

    // Assess
    expect(sandbox.snapshot.ecr.repositories.map((r) => r.repositoryName)).not.toContain(NAME);
    expect(sandbox.snapshot.iam.roles.map((r) => r.RoleName)).toContain(ROLE_NAME);
  });

  it('lists every leftover when every rollback step fails', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const rollbackFails = () => simulatedAwsError('ServiceFailureException', 'rollback failed');
    const provisioner = provisionerWith(sandbox, {
      createProject: injected,
      deleteRole: rollbackFails,
      deleteRepository: rollbackFails,
    });

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails }),
    );

    // Assess
    expect(error).toMatchObject({ leftovers: [`role ${ROLE_NAME}`, `repository ${NAME}`] });
  });
});

describe('createManagedProject on the sandbox: IAM propagation delay on CreateProject', () => {
  it('retries and answers 201 when the propagation error clears after two attempts', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const provisioner = provisionerWith(sandbox, {
      createProject: (attempt) => (attempt <= 2 ? rolePropagation() : undefined),
    });

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails });

    // Assess
    expect(result).toEqual({ status: 201, body: CREATED });
    expect(provisioner.attempts('createProject')).toBe(3);
  });

  it('waits with the backoff delays between the attempts, through the injected sleep', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const sleep = jest.fn(async (_ms: number) => undefined);
    const provisioner = provisionerWith(sandbox, {
      createProject: (attempt) => (attempt <= 2 ? rolePropagation() : undefined),
    });

    // Act
    await createManagedProject(requestBody(), depsOf(sandbox, provisioner, sleep), { guardrails });

    // Assess
    expect(sleep.mock.calls).toEqual([[1000], [2000]]);
  });

  it('gives up after a bounded number of attempts when the propagation error never clears', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const sleep = jest.fn(async (_ms: number) => undefined);
    const provisioner = provisionerWith(sandbox, { createProject: rolePropagation });

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, provisioner, sleep), { guardrails }),
    );

    // Assess
    expect(error).toBeInstanceOf(ProvisioningFailedError);
    expect(error).toMatchObject({ step: 'createProject', leftovers: [] });
    expect(sleep.mock.calls).toEqual([[1000], [2000], [4000], [6000]]);
    expect(provisioner.attempts('createProject')).toBe(5);
  });

  it('rolls back the role and repository when the propagation error never clears', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const snapshot = snapshotOf(sandbox);
    const provisioner = provisionerWith(sandbox, { createProject: rolePropagation });

    // Act
    await rejectionOf(createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails }));

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
  });

  it('does not retry an InvalidInputException that is not about the role', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const sleep = jest.fn(async (_ms: number) => undefined);
    const provisioner = provisionerWith(sandbox, {
      createProject: () => simulatedAwsError('InvalidInputException', 'Invalid buildspec'),
    });

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, provisioner, sleep), { guardrails }),
    );

    // Assess
    expect(error).toMatchObject({ step: 'createProject' });
    expect(provisioner.attempts('createProject')).toBe(1);
    expect(sleep).not.toHaveBeenCalled();
  });
});

describe('listManagedProjects on the sandbox', () => {
  it('lists only the projects buildwarden manages, each with its compliance', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    await createManagedProject(
      { name: 'web/admin', source: { type: 'GITHUB', location: 'https://github.com/example-org/admin.git' } },
      depsOf(sandbox),
      { guardrails },
    );

    // Act
    const listed = await listManagedProjects(depsOf(sandbox), guardrails);

    // Assess
    expect(listed).toEqual([
      {
        name: NAME,
        projectName: PROJECT_NAME,
        projectArn: CREATED.projectArn,
        repositoryArn: CREATED.repositoryArn,
        roleArn: CREATED.roleArn,
        compliant: true,
        findings: [],
      },
      {
        name: 'web/admin',
        projectName: 'web-admin',
        projectArn: 'arn:aws:codebuild:us-east-1:123456789012:project/web-admin',
        repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/web/admin',
        roleArn: 'arn:aws:iam::123456789012:role/service-role/buildwarden-web-admin',
        compliant: true,
        findings: [],
      },
    ]);
  });

  it('lists nothing in the demo account, whose projects buildwarden did not create', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const listed = await listManagedProjects(depsOf(sandbox), guardrails);

    // Assess
    expect(listed).toEqual([]);
  });
});

describe('showManagedProject on the sandbox', () => {
  it('shows a freshly created project as compliant', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), guardrails);

    // Assess
    expect(shown).toMatchObject({
      name: NAME,
      projectArn: CREATED.projectArn,
      compliant: true,
      findings: [],
    });
  });

  it('shows a project made non-compliant afterwards as not compliant, with the finding', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).imageTagMutability = 'MUTABLE';

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), guardrails);

    // Assess
    expect(shown.compliant).toBe(false);
    expect(shown.findings).toEqual([
      expect.objectContaining({
        ruleId: 'ecr.tag-immutability',
        resourceArn: CREATED.repositoryArn,
        status: 'violation',
      }),
    ]);
  });

  it("shows a project whose role may read every parameter, and which reads another team's, as not compliant", async () => {
    // Prepare: what a request could obtain before references were held to namespaces.
    const sandbox = await sandboxWithLedger();
    const role = sandbox.snapshot.iam.roles.find((r) => r.RoleName === ROLE_NAME)!;
    const policy = role.RolePolicyList[0]!.PolicyDocument as { Statement: Record<string, unknown>[] };
    policy.Statement.push({
      Sid: 'ReadParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/*',
    });
    const project = sandbox.snapshot.codebuild.projects.find((p) => p.name === PROJECT_NAME)!;
    project.source!.buildspec =
      'version: 0.2\nenv:\n  parameter-store:\n    DB: /prod/payments/db-password\nphases:\n  build:\n    commands: [env]\n';

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), guardrails);

    // Assess
    expect(shown.compliant).toBe(false);
    const finding = shown.findings.find((f) => f.ruleId === 'codebuild.role-least-privilege');
    expect(finding).toMatchObject({ status: 'violation', resourceArn: CREATED.roleArn });
    expect(finding?.message).toContain('allows reading parameters (ssm:GetParameters) beyond the namespaces');
    expect(finding?.message).toContain(
      'can read parameter /prod/payments/db-password (ssm:GetParameters), which project payments-ledger references in buildspec env.parameter-store.DB',
    );
  });

  it('finds the project by its project name too', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const shown = await showManagedProject(PROJECT_NAME, depsOf(sandbox), guardrails);

    // Assess
    expect(shown.projectArn).toBe(CREATED.projectArn);
  });

  it('throws ProjectNotFoundError for a name with no project', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(showManagedProject('nobody/here', depsOf(sandbox), guardrails));

    // Assess
    expect(error).toBeInstanceOf(ProjectNotFoundError);
  });

  it('throws NotManagedError for a project buildwarden did not create', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(showManagedProject('payments-api-build', depsOf(sandbox), guardrails));

    // Assess
    expect(error).toBeInstanceOf(NotManagedError);
  });
});

describe('deleteManagedProject on the sandbox', () => {
  const IMAGE = {
    imageDigest: `sha256:${'a'.repeat(64)}`,
    imageTags: ['3f2c1e0'],
    imagePushedAt: '2026-11-20T10:00:00Z',
  };

  it('removes the project, the role and the repository, and reports their ARNs', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox), { force: false });

    // Assess
    expect(result).toEqual({ deleted: [CREATED.repositoryArn, CREATED.roleArn, CREATED.projectArn] });
  });

  it('leaves the account as it was before the project was created', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const before = snapshotOf(sandbox);
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Act
    await deleteManagedProject(NAME, depsOf(sandbox), { force: false });

    // Assess
    expect(sandbox.snapshot).toEqual(before);
  });

  it('refuses a repository that holds images with RepositoryNotEmptyError when not forced', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).images = [IMAGE];

    // Act
    const error = await rejectionOf(deleteManagedProject(NAME, depsOf(sandbox), { force: false }));

    // Assess
    expect(error).toBeInstanceOf(RepositoryNotEmptyError);
  });

  it('deletes nothing when it refuses a repository that holds images', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).images = [IMAGE];
    const snapshot = snapshotOf(sandbox);

    // Act
    await rejectionOf(deleteManagedProject(NAME, depsOf(sandbox), { force: false }));

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
  });

  it('deletes a repository that holds images when forced', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).images = [IMAGE];

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox), { force: true });

    // Assess
    expect(result.deleted).toContain(CREATED.repositoryArn);
    expect(sandbox.snapshot.ecr.repositories.map((r) => r.repositoryName)).not.toContain(NAME);
  });

  it('completes the deletion when retried after deleting the role failed', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const before = snapshotOf(sandbox);
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });
    const flaky = provisionerWith(sandbox, {
      deleteRole: (attempt) =>
        attempt === 1 ? simulatedAwsError('ServiceFailureException', 'try again') : undefined,
    });
    await rejectionOf(deleteManagedProject(NAME, depsOf(sandbox, flaky), { force: false }));

    // Act
    await deleteManagedProject(NAME, depsOf(sandbox, flaky), { force: false });

    // Assess
    expect(sandbox.snapshot).toEqual(before);
  });

  it('refuses a project buildwarden did not create with NotManagedError', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(
      deleteManagedProject('payments-api-build', depsOf(sandbox), { force: true }),
    );

    // Assess
    expect(error).toBeInstanceOf(NotManagedError);
  });

  it('deletes nothing for a project buildwarden did not create', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const snapshot = snapshotOf(sandbox);

    // Act
    await rejectionOf(deleteManagedProject('payments-api-build', depsOf(sandbox), { force: true }));

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
    expect(writeCalls(sandbox)).toEqual({});
  });
});

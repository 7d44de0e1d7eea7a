/**
 * Managed build projects end to end on the SIMULATED sandbox account (demo/account.json), no mocks: the
 * create/list/show/delete use cases with their ports served by the sandbox, the audit run over what they
 * leave behind, and failures injected into the sandbox's Provisioner to prove every rollback.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxDeps } from '../../lib/cli/deps';
import { parseGuardrails, RULE_IDS } from '../../lib/policy/guardrails';
import { ruleById } from '../../lib/policy/rules/index';
import type { RegistryScanningConfiguration, Repository } from '../../lib/policy/model';
import { parseSnapshot, type Snapshot } from '../../lib/policy/snapshot';
import type { Provisioner } from '../../lib/ports';
import { translateAwsError } from '../../lib/aws/errors';
import { RoleNotAssumableYetError } from '../../lib/errors';
import { SandboxAccount, simulatedAwsError } from '../../lib/sandbox/account';
import { runAudit } from '../../lib/usecases/audit';
import {
  ConcurrentProvisioningError,
  createManagedProject,
  deleteManagedProject,
  listManagedProjects,
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RegistryCoverageError,
  RepairFailedError,
  RepositoryNotEmptyError,
  showManagedProject,
  type ProvisioningDeps,
} from '../../lib/usecases/provisioning';
import { NOW } from '../fixtures/builders';
import { awsSample, REPO_ROOT } from '../fixtures/load';

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
  provisioner: Provisioner = sandbox.provisioner,
  sleep: (ms: number) => Promise<void> = async () => undefined,
): ProvisioningDeps {
  return {
    account: sandbox.info,
    registry: sandbox.registry,
    projects: sandbox.projects,
    identity: sandbox.identity,
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
      const port = sandbox.provisioner;
      return (port[method] as (...a: unknown[]) => Promise<unknown>).apply(port, args);
    };
  const methods = Object.keys({
    createRepository: true,
    putLifecyclePolicy: true,
    createRole: true,
    putRolePolicy: true,
    createProject: true,
    putImageTagMutability: true,
    putImageScanningConfiguration: true,
    putRegistryScanningConfiguration: true,
    updateAssumeRolePolicy: true,
    putRolePermissionsBoundary: true,
    updateProject: true,
    deleteProject: true,
    deleteRole: true,
    deleteRepository: true,
    imageCount: true,
  } satisfies Record<Method, true>) as Method[];
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

/**
 * The error CodeBuild returns while IAM has not yet propagated a just-created role, as the Provisioner port
 * raises it: translated by the adapters' one translation (RoleNotAssumableYetError).
 */
const rolePropagation = () =>
  translateAwsError(
    simulatedAwsError(
      'InvalidInputException',
      `CodeBuild is not authorized to perform: sts:AssumeRole on ${CREATED.roleArn}`,
    ),
  ) as Error;

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
    expect(result).toEqual({ created: true, body: { status: 'created', ...CREATED } });
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
    // (Registry rules judge registry-level resources, never a provisioned one.)
    const judging = RULE_IDS.filter((id) => ruleById(id)?.scope !== 'registry');
    expect([...ruleIds].sort()).toEqual([...judging].sort());
  });
});

describe('createManagedProject on the sandbox: the same name again', () => {
  it('answers 200 with the same body for the identical request', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const again = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(again).toEqual({ created: false, body: { status: 'unchanged', ...CREATED } });
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
    expect(again.created).toBe(false);
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
        await (sandbox.provisioner[step] as (i: never) => Promise<void>).call(sandbox.provisioner, input);
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
  it('meets the same RoleNotAssumableYetError on the sandbox as through the AWS adapter', async () => {
    // Prepare: CreateProject naming a service role that does not exist (yet)
    const sandbox = demoSandbox();
    const project = { name: 'team-app', serviceRole: 'arn:aws:iam::123456789012:role/service-role/absent' };

    // Act
    const error = await rejectionOf(
      sandbox.provisioner.createProject(project as Parameters<Provisioner['createProject']>[0]),
    );

    // Assess
    expect(error).toBeInstanceOf(RoleNotAssumableYetError);
    expect(error).toMatchObject({ cause: { name: 'InvalidInputException' } });
  });

  it('retries and answers 201 when the propagation error clears after two attempts', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const provisioner = provisionerWith(sandbox, {
      createProject: (attempt) => (attempt <= 2 ? rolePropagation() : undefined),
    });

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails });

    // Assess
    expect(result).toEqual({ created: true, body: { status: 'created', ...CREATED } });
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
    const listed = await listManagedProjects(depsOf(sandbox), { guardrails });

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
        parts: expect.any(Array),
      },
      {
        name: 'web/admin',
        projectName: 'web-admin',
        projectArn: 'arn:aws:codebuild:us-east-1:123456789012:project/web-admin',
        repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/web/admin',
        roleArn: 'arn:aws:iam::123456789012:role/service-role/buildwarden-web-admin',
        compliant: true,
        findings: [],
        parts: expect.any(Array),
      },
    ]);
    expect(listed.flatMap((p) => p.parts).filter((part) => part.status !== 'ok')).toEqual([]);
  });

  it('lists nothing in the demo account, whose projects buildwarden did not create', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const listed = await listManagedProjects(depsOf(sandbox), { guardrails });

    // Assess
    expect(listed).toEqual([]);
  });
});

describe('showManagedProject on the sandbox', () => {
  it('shows a freshly created project as compliant', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

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
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

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

  it('shows a project whose repository the own organization may pull from as compliant', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    sandbox.snapshot.organizationId = 'o-ownorg0001';
    repositoryIn(sandbox, NAME).repositoryPolicyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OrgPull',
          Effect: 'Allow',
          Principal: '*',
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-ownorg0001' } },
        },
      ],
    });

    // Act
    const shown = await showManagedProject(
      NAME,
      { ...depsOf(sandbox), organization: sandbox.organization },
      { guardrails },
    );

    // Assess
    expect(shown).toMatchObject({ compliant: true, findings: [] });
    expect(sandbox.calls.get('organizations:DescribeOrganization')).toBe(1);
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
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

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
    const shown = await showManagedProject(PROJECT_NAME, depsOf(sandbox), { guardrails });

    // Assess
    expect(shown.projectArn).toBe(CREATED.projectArn);
  });

  it('throws ProjectNotFoundError for a name with no project', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(showManagedProject('nobody/here', depsOf(sandbox), { guardrails }));

    // Assess
    expect(error).toBeInstanceOf(ProjectNotFoundError);
  });

  it('throws NotManagedError for a project buildwarden did not create', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(
      showManagedProject('payments-api-build', depsOf(sandbox), { guardrails }),
    );

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
    expect(result).toEqual({
      deleted: [CREATED.repositoryArn, CREATED.roleArn, CREATED.projectArn],
      alreadyGone: [],
    });
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

// ---------------------------------------------------------------------------------------------------------
// Convergence: an identical create on a project whose parts drifted

function roleIn(sandbox: SandboxAccount, name: string = ROLE_NAME) {
  const found = sandbox.snapshot.iam.roles.find((r) => r.RoleName === name);
  if (!found) throw new Error(`test setup: no role ${name}`);
  return found;
}

function projectIn(sandbox: SandboxAccount, name: string = PROJECT_NAME) {
  const found = sandbox.snapshot.codebuild.projects.find((p) => p.name === name);
  if (!found) throw new Error(`test setup: no project ${name}`);
  return found;
}

/** The findings on the ledger's own resources that are not compliant, as `rule status` lines. */
async function ledgerViolations(sandbox: SandboxAccount): Promise<string[]> {
  const report = await runAudit(sandboxDeps(sandbox), guardrails, { now: NOW });
  const own = new Set([CREATED.repositoryArn, CREATED.roleArn, CREATED.projectArn]);
  return report.findings
    .filter((f) => own.has(f.resourceArn) && f.status !== 'compliant')
    .map((f) => `${f.ruleId} ${f.status}`);
}

const repairedParts = (body: { repaired?: { part: string; status: string }[] }) =>
  (body.repaired ?? []).map((p) => `${p.part} ${p.status}`);

describe('createManagedProject on the sandbox: the identical request on a drifted project', () => {
  it('restores a deleted inline policy and answers 200 status repaired naming it', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    roleIn(sandbox).RolePolicyList = [];

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(result.created).toBe(false);
    expect(result.body).toMatchObject({ ...CREATED, status: 'repaired' });
    expect(repairedParts(result.body)).toEqual(['role.buildPolicy missing']);
    expect(roleIn(sandbox).RolePolicyList.map((p) => p.PolicyName)).toEqual(['buildwarden-build']);
  });

  it('recreates a deleted repository with its lifecycle policy, tagged with the repairing request token', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    sandbox.snapshot.ecr.repositories = sandbox.snapshot.ecr.repositories.filter(
      (r) => r.repositoryName !== NAME,
    );
    const deps = { ...depsOf(sandbox), newRequestToken: () => 'repairing-request-0001' };

    // Act
    const result = await createManagedProject(requestBody(), deps, { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual(['repository missing']);
    expect(repositoryIn(sandbox, NAME).lifecyclePolicyText).toBeDefined();
    expect(repositoryIn(sandbox, NAME).tags).toContainEqual({
      Key: 'buildwarden:request',
      Value: 'repairing-request-0001',
    });
    expect(await ledgerViolations(sandbox)).toEqual([]);
  });

  it('recreates a deleted role with its build policy', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    sandbox.snapshot.iam.roles = sandbox.snapshot.iam.roles.filter((r) => r.RoleName !== ROLE_NAME);

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual(['role missing']);
    expect(roleIn(sandbox).RolePolicyList.map((p) => p.PolicyName)).toEqual(['buildwarden-build']);
    expect(await ledgerViolations(sandbox)).toEqual([]);
  });

  it('restores tag immutability, scan on push and the lifecycle policy in one request', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const repository = repositoryIn(sandbox, NAME);
    repository.imageTagMutability = 'MUTABLE';
    repository.imageScanningConfiguration = { scanOnPush: false };
    delete repository.lifecyclePolicyText;

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual([
      'repository.tagMutability drifted',
      'repository.scanning drifted',
      'repository.lifecyclePolicy missing',
    ]);
    expect(await ledgerViolations(sandbox)).toEqual([]);
  });

  it('puts back a changed trust policy', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const before = structuredClone(roleIn(sandbox).AssumeRolePolicyDocument);
    roleIn(sandbox).AssumeRolePolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    };

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual(['role.trustPolicy drifted']);
    expect(roleIn(sandbox).AssumeRolePolicyDocument).toEqual(before);
  });

  it('updates the project back when its service role and logs were changed', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const project = projectIn(sandbox);
    project.serviceRole = 'arn:aws:iam::123456789012:role/payments-build-role';
    project.logsConfig = { cloudWatchLogs: { status: 'DISABLED' } };

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual(['project drifted']);
    expect(projectIn(sandbox)).toMatchObject({
      serviceRole: CREATED.roleArn,
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: `/aws/codebuild/${PROJECT_NAME}` } },
    });
    expect(writeCalls(sandbox)['codebuild:UpdateProject']).toBe(1);
  });

  it('keeps the project user tags and request token when it updates the project', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    const tagsBefore = structuredClone(projectIn(sandbox).tags);
    projectIn(sandbox).environment!.privilegedMode = false;

    // Act
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    const byKey = (t: { key: string }[]) => [...t].sort((a, b) => a.key.localeCompare(b.key));
    expect(byKey(projectIn(sandbox).tags!)).toEqual(byKey(tagsBefore!));
  });

  it('reports a repository encrypted otherwise as unrepaired and changes nothing', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).encryptionConfiguration = { encryptionType: 'AES256' };
    const snapshot = snapshotOf(sandbox);
    const before = writeCalls(sandbox);

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(result).toMatchObject({
      created: false,
      body: {
        status: 'unchanged',
        unrepaired: [expect.objectContaining({ part: 'repository.encryption', status: 'drifted' })],
      },
    });
    expect(sandbox.snapshot).toEqual(snapshot);
    expect(writeCalls(sandbox)).toEqual(before);
  });

  it('reports a managed policy someone attached to the role as unrepaired, and leaves it attached', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    roleIn(sandbox).AttachedManagedPolicies = [
      { PolicyName: 'SecurityAudit', PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
    ];

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(result.body.unrepaired?.map((p) => p.part)).toEqual(['role.otherPolicies']);
    expect(roleIn(sandbox).AttachedManagedPolicies).toHaveLength(1);
  });

  it('answers unchanged for the identical request once repaired', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    roleIn(sandbox).RolePolicyList = [];
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Act
    const again = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(again).toEqual({ created: false, body: { status: 'unchanged', ...CREATED } });
  });

  it('fails with RepairFailedError naming the step and what it repaired before; running it again finishes', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    repositoryIn(sandbox, NAME).imageTagMutability = 'MUTABLE';
    roleIn(sandbox).RolePolicyList = [];
    const flaky = provisionerWith(sandbox, {
      putRolePolicy: (attempt) => (attempt === 1 ? injected() : undefined),
    });

    // Act
    const error = await rejectionOf(
      createManagedProject(requestBody(), depsOf(sandbox, flaky), { guardrails }),
    );
    const again = await createManagedProject(requestBody(), depsOf(sandbox, flaky), { guardrails });

    // Assess
    expect(error).toBeInstanceOf(RepairFailedError);
    expect(error).toMatchObject({
      step: 'role.buildPolicy: putRolePolicy',
      repaired: ['repository.tagMutability'],
    });
    expect(repairedParts(again.body)).toEqual(['role.buildPolicy missing']);
    expect(await ledgerViolations(sandbox)).toEqual([]);
  });
});

describe('showManagedProject on the sandbox: the parts', () => {
  it('lists every part as ok for a project as it was created', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

    // Assess
    expect(shown.parts.filter((p) => p.status !== 'ok')).toEqual([]);
    expect(shown.parts.map((p) => p.part)).toContain('role.buildPolicy');
  });

  it('names a missing role instead of answering compliant false with no findings', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    sandbox.snapshot.iam.roles = sandbox.snapshot.iam.roles.filter((r) => r.RoleName !== ROLE_NAME);

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

    // Assess
    expect(shown.compliant).toBe(false);
    expect(shown.parts.filter((p) => p.status !== 'ok')).toEqual([
      { part: 'role', status: 'missing', detail: `role ${ROLE_NAME} does not exist` },
    ]);
  });

  it('names a deleted inline policy and is not compliant', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    roleIn(sandbox).RolePolicyList = [];

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

    // Assess
    expect(shown.compliant).toBe(false);
    expect(shown.parts.filter((p) => p.status !== 'ok').map((p) => `${p.part} ${p.status}`)).toEqual([
      'role.buildPolicy missing',
    ]);
  });

  it('names a missing repository', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    sandbox.snapshot.ecr.repositories = sandbox.snapshot.ecr.repositories.filter(
      (r) => r.repositoryName !== NAME,
    );

    // Act
    const shown = await showManagedProject(NAME, depsOf(sandbox), { guardrails });

    // Assess
    expect(shown.parts.filter((p) => p.status !== 'ok').map((p) => `${p.part} ${p.status}`)).toEqual([
      'repository missing',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Enhanced registry scanning

/**
 * Enhanced scanning with the ECR User Guide's example rules (continuous scanning for repositories with `prod`
 * in the name), or with a continuous-scan rule of the given filters.
 */
function withEnhancedScanning(sandbox: SandboxAccount, filters?: string[]): SandboxAccount {
  const rules = filters
    ? [
        {
          scanFrequency: 'CONTINUOUS_SCAN' as const,
          repositoryFilters: filters.map((filter) => ({ filter, filterType: 'WILDCARD' as const })),
        },
      ]
    : awsSample<RegistryScanningConfiguration['rules']>(
        'ecr-registry-scanning-rules.enhanced-prod.user-guide.json',
      );
  sandbox.snapshot.ecr.registryScanningConfiguration = { scanType: 'ENHANCED', rules };
  return sandbox;
}

const registryFilters = (sandbox: SandboxAccount) =>
  sandbox.snapshot.ecr.registryScanningConfiguration?.rules.flatMap((r) =>
    r.repositoryFilters.map((f) => `${r.scanFrequency} ${f.filter}`),
  );

describe('createManagedProject on the sandbox: enhanced registry scanning', () => {
  it('adds the new repository to the continuous-scan rule, and the audit finds it scanned', async () => {
    // Prepare
    const sandbox = withEnhancedScanning(demoSandbox());

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(result.created).toBe(true);
    expect(registryFilters(sandbox)).toEqual(['CONTINUOUS_SCAN prod', `CONTINUOUS_SCAN ${NAME}`]);
    expect(await ledgerViolations(sandbox)).toEqual([]);
  });

  it('writes nothing to the registry when a rule already covers the repository', async () => {
    // Prepare
    const sandbox = withEnhancedScanning(demoSandbox(), ['payments/*']);

    // Act
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(writeCalls(sandbox)['ecr:PutRegistryScanningConfiguration']).toBeUndefined();
  });

  it('refuses with RegistryCoverageError before creating anything when the rule holds 100 filters', async () => {
    // Prepare
    const sandbox = withEnhancedScanning(
      demoSandbox(),
      Array.from({ length: 100 }, (_, i) => `other-${i}`),
    );
    const snapshot = snapshotOf(sandbox);

    // Act
    const error = await rejectionOf(createManagedProject(requestBody(), depsOf(sandbox), { guardrails }));

    // Assess
    expect(error).toBeInstanceOf(RegistryCoverageError);
    expect((error as Error).message).toContain('100 filters');
    expect(sandbox.snapshot).toEqual(snapshot);
    expect(writeCalls(sandbox)).toEqual({});
  });

  it('takes its filter back when a later step fails', async () => {
    // Prepare
    const sandbox = withEnhancedScanning(demoSandbox());
    const snapshot = snapshotOf(sandbox);
    const provisioner = provisionerWith(sandbox, { createRole: injected });

    // Act
    await rejectionOf(createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails }));

    // Assess
    expect(sandbox.snapshot).toEqual(snapshot);
  });

  it('writes again when another writer replaced the configuration meanwhile, until it is covered', async () => {
    // Prepare
    const sandbox = withEnhancedScanning(demoSandbox());
    const original = structuredClone(sandbox.snapshot.ecr.registryScanningConfiguration);
    const wrapped = provisionerWith(sandbox, {});
    let writes = 0;
    const provisioner: Provisioner = {
      ...wrapped,
      async putRegistryScanningConfiguration(configuration) {
        await sandbox.provisioner.putRegistryScanningConfiguration(configuration);
        // Someone else's write of the document they read before ours lands right after the first one.
        if (++writes === 1) sandbox.snapshot.ecr.registryScanningConfiguration = structuredClone(original);
      },
    };

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox, provisioner), { guardrails });

    // Assess
    expect(result.created).toBe(true);
    expect(writes).toBe(2);
    expect(registryFilters(sandbox)).toContain(`CONTINUOUS_SCAN ${NAME}`);
  });

  it('covers an existing project that enhanced scanning does not reach, on the identical request', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    withEnhancedScanning(sandbox);

    // Act
    const result = await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });

    // Assess
    expect(repairedParts(result.body)).toEqual(['repository.scanning drifted']);
    expect(registryFilters(sandbox)).toContain(`CONTINUOUS_SCAN ${NAME}`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Deleting: thorough and resumable

describe('deleteManagedProject on the sandbox: managed policies, partial deletes and leftovers', () => {
  it('deletes a role someone attached a managed policy to, detaching it first', async () => {
    // Prepare
    const sandbox = await sandboxWithLedger();
    roleIn(sandbox).AttachedManagedPolicies = [
      { PolicyName: 'SecurityAudit', PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
    ];

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox), { force: false });

    // Assess
    expect(result.deleted).toContain(CREATED.roleArn);
    expect(sandbox.snapshot.iam.roles.map((r) => r.RoleName)).not.toContain(ROLE_NAME);
    expect(sandbox.calls.get('iam:DetachRolePolicy')).toBe(1);
  });

  it('finishes a delete that failed part way, naming what was already gone', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const before = snapshotOf(sandbox);
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });
    const flaky = provisionerWith(sandbox, {
      deleteRole: (attempt) =>
        attempt === 1 ? simulatedAwsError('DeleteConflictException', 'Cannot delete entity') : undefined,
    });
    await rejectionOf(deleteManagedProject(NAME, depsOf(sandbox, flaky), { force: false }));

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox, flaky), { force: false });

    // Assess
    expect(result).toEqual({
      deleted: [CREATED.roleArn, CREATED.projectArn],
      alreadyGone: [CREATED.repositoryArn],
    });
    expect(sandbox.snapshot).toEqual(before);
  });

  it('cleans up a managed repository and role left over when the project is already gone', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const before = snapshotOf(sandbox);
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });
    sandbox.snapshot.codebuild.projects = sandbox.snapshot.codebuild.projects.filter(
      (p) => p.name !== PROJECT_NAME,
    );

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox), { force: false });

    // Assess
    expect(result).toEqual({
      deleted: [CREATED.repositoryArn, CREATED.roleArn],
      alreadyGone: [CREATED.projectArn],
    });
    expect(sandbox.snapshot).toEqual(before);
  });

  it('leaves an unmanaged repository of that name alone and says so', async () => {
    // Prepare
    const sandbox = demoSandbox();
    await createManagedProject(requestBody(), depsOf(sandbox), { guardrails });
    sandbox.snapshot.codebuild.projects = sandbox.snapshot.codebuild.projects.filter(
      (p) => p.name !== PROJECT_NAME,
    );
    repositoryIn(sandbox, NAME).tags = [{ Key: 'team', Value: 'payments' }];

    // Act
    const result = await deleteManagedProject(NAME, depsOf(sandbox), { force: true });

    // Assess
    expect(result).toEqual({
      deleted: [CREATED.roleArn],
      alreadyGone: [CREATED.projectArn],
      notManaged: [CREATED.repositoryArn],
    });
    expect(sandbox.snapshot.ecr.repositories.map((r) => r.repositoryName)).toContain(NAME);
  });

  it('throws ProjectNotFoundError when nothing managed of that name is left', async () => {
    // Prepare
    const sandbox = demoSandbox();

    // Act
    const error = await rejectionOf(deleteManagedProject('payments/api', depsOf(sandbox), { force: true }));

    // Assess
    expect(error).toBeInstanceOf(ProjectNotFoundError);
    expect(writeCalls(sandbox)).toEqual({});
  });
});

describe('createManagedProject on the sandbox: identical requests at once, with the sandbox claims', () => {
  it('creates one project and answers every request with its body', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const deps = { ...depsOf(sandbox), claims: sandbox.claims };

    // Act
    const results = await Promise.all(
      Array.from({ length: 5 }, () => createManagedProject(requestBody(), deps, { guardrails })),
    );

    // Assess
    expect(results.map((r) => r.created).sort()).toEqual([false, false, false, false, true]);
    expect(sandbox.snapshot.codebuild.projects.filter((p) => p.name === PROJECT_NAME)).toHaveLength(1);
  });

  it('refuses a delete while a create of that name is in flight', async () => {
    // Prepare
    const sandbox = demoSandbox();
    const deps = { ...depsOf(sandbox), claims: sandbox.claims };

    // Act
    const [created, deleted] = await Promise.allSettled([
      createManagedProject(requestBody(), deps, { guardrails }),
      deleteManagedProject(NAME, deps, { force: true }),
    ]);

    // Assess
    expect(created).toMatchObject({ status: 'fulfilled', value: { created: true } });
    expect(deleted).toMatchObject({ status: 'rejected', reason: expect.any(ConcurrentProvisioningError) });
  });
});

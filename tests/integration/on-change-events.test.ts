/**
 * The change handler's full event set and its own scope, end to end on the sandbox (the simulated account of
 * demo/account.json), no mocks: tag events, permission-boundary removal, policy versions, project visibility,
 * calls naming another account, denied calls, and the remediableRoles pattern.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseChangeEvent } from '../../lib/policy/change-events';
import { parseGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import type { Project, Repository, Role } from '../../lib/policy/model';
import { managedPolicySchema } from '../../lib/policy/model';
import { SandboxAccount } from '../../lib/sandbox/account';
import { onChangeEvent, type ChangeOptions, type ChangeResult } from '../../lib/usecases/on-change';
import { NOW } from '../fixtures/builders';
import { loadJson, REPO_ROOT } from '../fixtures/load';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '999999999999';
const LEGACY_POLICY = `arn:aws:iam::${ACCOUNT}:policy/legacy-ci-access`;

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;

function eventFile(name: string): RawEvent {
  return loadJson<RawEvent>(path.join('..', '..', 'events', name));
}

function request(raw: RawEvent): Record<string, unknown> {
  return raw.detail.requestParameters as Record<string, unknown>;
}

function freshSandbox(): SandboxAccount {
  return SandboxAccount.fromFile(path.join(REPO_ROOT, 'demo/account.json'));
}

function demoGuardrails(): Guardrails {
  return parseGuardrails(
    readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'),
    'demo/guardrails.yml',
  );
}

/** The demo guardrails with codebuild.project-visibility set to these options. */
function visibilityRule(options: { mode: 'remediate'; dryRun?: boolean }): Guardrails {
  const guardrails = demoGuardrails();
  guardrails.rules['codebuild.project-visibility'] = {
    ...guardrails.rules['codebuild.project-visibility'],
    ...options,
  };
  return guardrails;
}

function run(
  raw: unknown,
  sandbox: SandboxAccount,
  guardrails: Guardrails = demoGuardrails(),
  options: Partial<ChangeOptions> = {},
): Promise<ChangeResult> {
  return onChangeEvent(parseChangeEvent(raw), sandbox.ports(), guardrails, {
    now: NOW,
    ownRoleArns: [],
    ...options,
  });
}

function repo(sandbox: SandboxAccount, name: string): Repository {
  return sandbox.snapshot.ecr.repositories.find((r) => r.repositoryName === name)!;
}

function role(sandbox: SandboxAccount, name: string): Role {
  return sandbox.snapshot.iam.roles.find((r) => r.RoleName === name)!;
}

function project(sandbox: SandboxAccount, name: string): Project {
  return sandbox.snapshot.codebuild.projects.find((p) => p.name === name)!;
}

const WRITES = [
  'ecr:PutLifecyclePolicy',
  'ecr:PutImageScanningConfiguration',
  'ecr:PutRegistryScanningConfiguration',
  'ecr:PutImageTagMutability',
  'ecr:SetRepositoryPolicy',
  'ecr:DeleteRepositoryPolicy',
  'iam:PutRolePolicy',
  'iam:DetachRolePolicy',
  'codebuild:UpdateProjectVisibility',
];

function writesMade(sandbox: SandboxAccount): string[] {
  return [...sandbox.calls.keys()].filter((action) => WRITES.includes(action)).sort();
}

const subjects = (result: ChangeResult) => result.notifications.map((n) => n.subject);

describe('tag events re-evaluate the resource at once', () => {
  it('ECR UntagResource removing buildwarden:exempt: the repository is fixed by the same event', async () => {
    // Prepare: web/frontend was exempt from everything; the tag has just been removed.
    const sandbox = freshSandbox();
    repo(sandbox, 'web/frontend').tags = [{ Key: 'team', Value: 'web' }];

    // Act
    const result = await run(eventFile('ecr-UntagResource.json'), sandbox);

    // Assess
    expect(result.skipped).toBeNull();
    expect(repo(sandbox, 'web/frontend')).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    });
  });

  it('ECR TagResource adding buildwarden:exempt=*: nothing is changed and nothing is notified', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = structuredClone(repo(sandbox, 'web/frontend'));
    repo(sandbox, 'web/frontend').tags = [{ Key: 'buildwarden:exempt', Value: '*' }];

    // Act
    const result = await run(eventFile('ecr-TagResource.json'), sandbox);

    // Assess
    expect(result.actions).toEqual([]);
    expect(result.notifications).toEqual([]);
    expect(repo(sandbox, 'web/frontend')).toEqual({
      ...before,
      tags: [{ Key: 'buildwarden:exempt', Value: '*' }],
    });
  });

  it('an exemption tag naming a rule in another case and with `+` exempts from that rule only', async () => {
    // Prepare
    const sandbox = freshSandbox();
    repo(sandbox, 'web/frontend').tags = [
      { Key: 'buildwarden:exempt', Value: 'ECR.TAG-IMMUTABILITY+ecr.encryption' },
    ];

    // Act
    const result = await run(eventFile('ecr-TagResource.json'), sandbox);

    // Assess
    expect(repo(sandbox, 'web/frontend').imageTagMutability).toBe('MUTABLE');
    expect(result.actions.map((a) => a.action)).toEqual([
      'PutLifecyclePolicy',
      'PutImageScanningConfiguration',
    ]);
  });

  it('an exemption tag naming no rule exempts nothing, and each notification carries the note', async () => {
    // Prepare
    const sandbox = freshSandbox();
    repo(sandbox, 'web/frontend').tags = [{ Key: 'buildwarden:exempt', Value: 'ecr.tag-imutability' }];

    // Act
    const result = await run(eventFile('ecr-TagResource.json'), sandbox);

    // Assess
    expect(repo(sandbox, 'web/frontend').imageTagMutability).toBe('IMMUTABLE');
    expect(result.notifications.length).toBeGreaterThan(0);
    for (const n of result.notifications) {
      expect(n.message).toContain('Note: exemption tag not understood: ecr.tag-imutability');
    }
  });

  it('IAM UntagRole removing buildwarden:exempt: the role is fixed by the same event', async () => {
    // Prepare: data-build-role lacks push rights; its exemption has just been removed.
    const sandbox = freshSandbox();
    const raw = eventFile('iam-UntagRole.json');
    request(raw).roleName = 'data-build-role';

    // Act
    const result = await run(raw, sandbox);

    // Assess
    expect(result.actions).toEqual([
      expect.objectContaining({ ruleId: 'codebuild.role-can-push', action: 'PutRolePolicy', applied: true }),
    ]);
    expect(role(sandbox, 'data-build-role').RolePolicyList.map((p) => p.PolicyName)).toContain(
      'buildwarden-ecr-push',
    );
  });

  it('IAM TagRole with buildwarden:exempt naming the rule: the role is not changed', async () => {
    // Prepare
    const sandbox = freshSandbox();
    role(sandbox, 'data-build-role').Tags = [
      { Key: 'buildwarden:exempt', Value: 'codebuild.role-can-push codebuild.role-least-privilege' },
    ];
    const raw = eventFile('iam-TagRole.json');
    request(raw).roleName = 'data-build-role';

    // Act
    const result = await run(raw, sandbox);

    // Assess
    expect(result.actions).toEqual([]);
    expect(writesMade(sandbox)).toEqual([]);
  });
});

describe('DeleteRolePermissionsBoundary', () => {
  it('re-evaluates the role like any role event', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('iam-DeleteRolePermissionsBoundary.json'), sandbox);

    // Assess
    expect(result.skipped).toBeNull();
    expect(sandbox.calls.get('iam:GetRole')).toBe(1);
    expect(sandbox.calls.get('codebuild:BatchGetProjects')).toBeGreaterThan(0);
  });

  it('a denied call (requestParameters null) is skipped before anything is read', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('iam-DeleteRolePermissionsBoundary-denied.json'), sandbox);

    // Assess
    expect(result).toEqual({
      skipped: 'the DeleteRolePermissionsBoundary call failed (AccessDenied); nothing changed',
      actions: [],
      notifications: [],
    });
    expect(sandbox.calls.size).toBe(0);
  });
});

describe('policy-version events re-evaluate the CodeBuild service roles using the policy', () => {
  /** The demo account with legacy-ci-access present; legacy-build-role (legacy-build's role) attaches it. */
  function withLegacyPolicy(): SandboxAccount {
    const sandbox = freshSandbox();
    sandbox.snapshot.iam.policies.push(
      managedPolicySchema().parse({
        PolicyName: 'legacy-ci-access',
        Arn: LEGACY_POLICY,
        DefaultVersionId: 'v2',
        PolicyVersionList: [
          {
            VersionId: 'v2',
            IsDefaultVersion: true,
            Document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
            },
          },
        ],
      }),
    );
    return sandbox;
  }

  it.each([
    'iam-CreatePolicyVersion.json',
    'iam-SetDefaultPolicyVersion.json',
    'iam-DeletePolicyVersion.json',
  ])('%s lists the roles of the policy and fixes only the service role that uses it', async (file) => {
    // Prepare
    const sandbox = withLegacyPolicy();

    // Act
    const result = await run(eventFile(file), sandbox);

    // Assess
    expect(result.skipped).toBeNull();
    expect(sandbox.calls.get('iam:ListEntitiesForPolicy')).toBe(1);
    expect(new Set(result.actions.map((a) => a.resourceArn))).toEqual(
      new Set([role(sandbox, 'legacy-build-role').Arn]),
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({ ruleId: 'codebuild.role-can-push', action: 'PutRolePolicy', applied: true }),
    );
  });

  it('reaches every service role the policy is attached to, including as a permissions boundary', async () => {
    // Prepare
    const sandbox = withLegacyPolicy();
    role(sandbox, 'data-build-role').PermissionsBoundary = {
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: LEGACY_POLICY,
    };

    // Act
    const result = await run(eventFile('iam-CreatePolicyVersion.json'), sandbox);

    // Assess
    const roles = new Set(
      result.notifications.flatMap((n) => [...n.message.matchAll(/^Resource: (\S+)$/gm)].map((m) => m[1])),
    );
    expect(roles).toEqual(
      new Set([role(sandbox, 'legacy-build-role').Arn, role(sandbox, 'data-build-role').Arn]),
    );
  });

  it('has the reads of the roles the policy is attached to in flight together', async () => {
    // Prepare
    const sandbox = withLegacyPolicy();
    role(sandbox, 'data-build-role').PermissionsBoundary = {
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: LEGACY_POLICY,
    };
    const ports = sandbox.ports();
    const started: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const identity = new Proxy(ports.identity, {
      get(obj, prop) {
        const value = Reflect.get(obj, prop, obj) as (...args: unknown[]) => unknown;
        if (prop !== 'role') return typeof value === 'function' ? value.bind(obj) : value;
        return async (name: string) => {
          started.push(name);
          await gate;
          return value.call(obj, name);
        };
      },
    });

    // Act
    const handling = onChangeEvent(
      parseChangeEvent(eventFile('iam-CreatePolicyVersion.json')),
      { ...ports, identity },
      parseGuardrails('{}', 'guardrails.yml'),
      { now: NOW, ownRoleArns: [] },
    );
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const inFlight = [...started].sort();
    open();
    await handling;

    // Assess
    expect(inFlight).toEqual(['data-build-role', 'legacy-build-role']);
  });

  it('skips an AWS managed policy: it is not changed by a call in this account', async () => {
    // Prepare
    const sandbox = withLegacyPolicy();
    const raw = eventFile('iam-SetDefaultPolicyVersion.json');
    request(raw).policyArn = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';

    // Act
    const result = await run(raw, sandbox);

    // Assess
    expect(result.skipped).toBe(
      `policy arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser is not a customer managed policy of account ${ACCOUNT}`,
    );
    expect(sandbox.calls.size).toBe(0);
  });

  it('skips a policy attached to no role', async () => {
    // Prepare
    const sandbox = withLegacyPolicy();
    const raw = eventFile('iam-CreatePolicyVersion.json');
    request(raw).policyArn = `arn:aws:iam::${ACCOUNT}:policy/unused`;

    // Act
    const result = await run(raw, sandbox);

    // Assess
    expect(result.skipped).toBe(`policy arn:aws:iam::${ACCOUNT}:policy/unused is attached to no role`);
    expect(writesMade(sandbox)).toEqual([]);
  });

  it('skips a policy whose roles are not the service role of any project', async () => {
    // Prepare
    const sandbox = withLegacyPolicy();
    sandbox.snapshot.codebuild.projects = sandbox.snapshot.codebuild.projects.filter(
      (p) => p.name !== 'legacy-build',
    );

    // Act
    const result = await run(eventFile('iam-CreatePolicyVersion.json'), sandbox);

    // Assess
    expect(result.skipped).toBe(
      `policy ${LEGACY_POLICY} is not used by the service role of any CodeBuild project`,
    );
    expect(writesMade(sandbox)).toEqual([]);
  });
});

describe('UpdateProjectVisibility and codebuild.project-visibility', () => {
  it('with the default guardrails, reports the PUBLIC_READ project once and changes nothing', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('codebuild-UpdateProjectVisibility.json'), sandbox);

    // Assess
    expect(subjects(result)).toEqual([
      'buildwarden found a violation of codebuild.project-visibility on docs-site',
    ]);
    expect(project(sandbox, 'docs-site').projectVisibility).toBe('PUBLIC_READ');
    expect(writesMade(sandbox)).toEqual([]);
  });

  it('in mode remediate, makes the project PRIVATE and notifies the fix', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = visibilityRule({ mode: 'remediate' });

    // Act
    const result = await run(eventFile('codebuild-UpdateProjectVisibility.json'), sandbox, guardrails);

    // Assess
    expect(project(sandbox, 'docs-site').projectVisibility).toBe('PRIVATE');
    expect(result.actions).toEqual([
      {
        ruleId: 'codebuild.project-visibility',
        resourceArn: project(sandbox, 'docs-site').arn,
        action: 'UpdateProjectVisibility',
        applied: true,
        before: 'PUBLIC_READ',
        after: 'PRIVATE',
      },
    ]);
    expect(subjects(result)).toEqual(['buildwarden fixed codebuild.project-visibility on docs-site']);
  });

  it('in mode remediate with dry run, plans the change and leaves the project public', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = visibilityRule({ mode: 'remediate', dryRun: true });

    // Act
    const result = await run(eventFile('codebuild-UpdateProjectVisibility.json'), sandbox, guardrails);

    // Assess
    expect(result.actions).toEqual([
      expect.objectContaining({ action: 'UpdateProjectVisibility', applied: false, reason: 'dry run' }),
    ]);
    expect(project(sandbox, 'docs-site').projectVisibility).toBe('PUBLIC_READ');
  });

  it('a second delivery after the fix finds the project PRIVATE and plans nothing', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = visibilityRule({ mode: 'remediate' });
    await run(eventFile('codebuild-UpdateProjectVisibility.json'), sandbox, guardrails);

    // Act
    const second = await run(eventFile('codebuild-UpdateProjectVisibility.json'), sandbox, guardrails);

    // Assess
    expect(second.actions).toEqual([]);
    expect(sandbox.calls.get('codebuild:UpdateProjectVisibility')).toBe(1);
  });
});

describe('the change handler respects remediableRoles', () => {
  it('a role outside the pattern is never written: its violation is reported once, saying why', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('iam-PutRolePolicy.json'), sandbox, demoGuardrails(), {
      remediableRoles: 'ci/*',
    });

    // Assess
    expect(sandbox.calls.get('iam:PutRolePolicy')).toBeUndefined();
    const canPush = result.notifications.filter((n) => n.subject.includes('codebuild.role-can-push'));
    expect(canPush.map((n) => n.subject)).toEqual([
      'buildwarden did not fix codebuild.role-can-push on service-role/data-build-role (+1 more)',
    ]);
    expect(canPush[0]!.message).toContain(
      'role data-build-role is outside remediableRoles (ci/*): buildwarden may not change it',
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({ ruleId: 'codebuild.role-can-push', action: 'none', applied: false }),
    );
  });

  it('a role at the root path is outside the default pattern service-role/*', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const data = role(sandbox, 'data-build-role');
    data.Path = '/';
    data.Arn = `arn:aws:iam::${ACCOUNT}:role/data-build-role`;
    project(sandbox, 'data-etl-build').serviceRole = data.Arn;

    // Act
    const result = await run(eventFile('iam-PutRolePolicy.json'), sandbox);

    // Assess
    expect(writesMade(sandbox)).toEqual([]);
    expect(result.actions.find((a) => a.ruleId === 'codebuild.role-can-push')?.reason).toMatch(
      /outside remediableRoles \(service-role\/\*\)/,
    );
  });

  it('a role inside the pattern is fixed as before', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    await run(eventFile('iam-PutRolePolicy.json'), sandbox, demoGuardrails(), {
      remediableRoles: 'service-role/*-build-role',
    });

    // Assess
    expect(writesMade(sandbox)).toEqual(['iam:PutRolePolicy']);
  });
});

describe('calls naming another account are skipped, even in an envelope of the own account', () => {
  it.each([
    [
      'ECR registryId',
      'ecr-PutImageTagMutability.json',
      (raw: RawEvent) => (request(raw).registryId = OTHER_ACCOUNT),
      'requestParameters.registryId',
    ],
    [
      'ECR TagResource resourceArn',
      'ecr-TagResource.json',
      (raw: RawEvent) => {
        request(raw).resourceArn = `arn:aws:ecr:us-east-1:${OTHER_ACCOUNT}:repository/web/frontend`;
        delete raw.detail.resources;
      },
      'requestParameters.resourceArn',
    ],
    [
      'recipientAccountId',
      'iam-PutRolePolicy.json',
      (raw: RawEvent) => (raw.detail.recipientAccountId = OTHER_ACCOUNT),
      'recipientAccountId',
    ],
    [
      'UpdateProjectVisibility projectArn',
      'codebuild-UpdateProjectVisibility.json',
      (raw: RawEvent) =>
        (request(raw).projectArn = `arn:aws:codebuild:us-east-1:${OTHER_ACCOUNT}:project/docs-site`),
      'requestParameters.projectArn',
    ],
  ])('%s of another account: skipped with the reason, nothing read', async (_case, file, change, field) => {
    // Prepare
    const sandbox = freshSandbox();
    const raw = eventFile(file);
    change(raw);

    // Act
    const result = await run(raw, sandbox);

    // Assess
    expect(result).toEqual({
      skipped: `the call names account ${OTHER_ACCOUNT} (${field}), not ${ACCOUNT}`,
      actions: [],
      notifications: [],
    });
    expect(sandbox.calls.size).toBe(0);
  });
});

describe('the change handler detaches only the policies its grant allows', () => {
  /** web-build-role with the customer managed legacy-ci-access attached, forbidden by the guardrails. */
  function withForbiddenCustomPolicy(): { sandbox: SandboxAccount; guardrails: Guardrails } {
    const sandbox = freshSandbox();
    sandbox.snapshot.iam.policies.push(
      managedPolicySchema().parse({
        PolicyName: 'legacy-ci-access',
        Arn: LEGACY_POLICY,
        DefaultVersionId: 'v1',
        PolicyVersionList: [
          {
            VersionId: 'v1',
            IsDefaultVersion: true,
            Document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
            },
          },
        ],
      }),
    );
    role(sandbox, 'web-build-role').AttachedManagedPolicies.push({
      PolicyName: 'legacy-ci-access',
      PolicyArn: LEGACY_POLICY,
    });
    const guardrails = demoGuardrails();
    guardrails.rules['codebuild.role-least-privilege'] = {
      ...guardrails.rules['codebuild.role-least-privilege'],
      mode: 'remediate',
      dryRun: false,
      forbiddenManagedPolicies: ['legacy-ci-access'],
    };
    return { sandbox, guardrails };
  }

  it('refuses to detach a forbidden customer managed policy that detachablePolicyArns does not list', async () => {
    // Prepare
    const { sandbox, guardrails } = withForbiddenCustomPolicy();

    // Act
    const result = await run(eventFile('iam-AttachRolePolicy.json'), sandbox, guardrails);

    // Assess
    expect(sandbox.calls.get('iam:DetachRolePolicy')).toBeUndefined();
    expect(role(sandbox, 'web-build-role').AttachedManagedPolicies.map((p) => p.PolicyArn)).toContain(
      LEGACY_POLICY,
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({
        ruleId: 'codebuild.role-least-privilege',
        applied: false,
        reason: expect.stringContaining(
          `policy ${LEGACY_POLICY} is not administrator-class and not listed in detachablePolicyArns`,
        ),
      }),
    );
  });

  it('detaches it when detachablePolicyArns lists its ARN', async () => {
    // Prepare
    const { sandbox, guardrails } = withForbiddenCustomPolicy();

    // Act
    const result = await run(eventFile('iam-AttachRolePolicy.json'), sandbox, guardrails, {
      detachablePolicyArns: [LEGACY_POLICY],
    });

    // Assess
    expect(sandbox.calls.get('iam:DetachRolePolicy')).toBe(1);
    expect(role(sandbox, 'web-build-role').AttachedManagedPolicies.map((p) => p.PolicyArn)).not.toContain(
      LEGACY_POLICY,
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({ ruleId: 'codebuild.role-least-privilege', applied: true }),
    );
  });
});

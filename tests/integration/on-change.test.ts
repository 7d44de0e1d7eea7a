/**
 * Change events end to end on the sandbox (the simulated account of demo/account.json), no mocks: the event
 * files of events/ go through parseChangeEvent and onChangeEvent, and the tests look at the account afterwards.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Notification } from '../../lib/ports';
import { CHANGE_DETAIL_TYPES, parseChangeEvent } from '../../lib/policy/change-events';
import { evaluateRepository } from '../../lib/policy/evaluate';
import { defaultGuardrails, parseGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { parseLifecyclePolicy } from '../../lib/policy/lifecycle/grammar';
import type { Repository } from '../../lib/policy/model';
import type { Snapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { onChangeEvent, type ChangeOptions, type ChangeResult } from '../../lib/usecases/on-change';
import { accountView, NOW } from '../fixtures/builders';
import { loadJson, REPO_ROOT } from '../fixtures/load';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/PlatformAdmin/jane.doe`;
const WRITE_ACTIONS = [
  'ecr:PutLifecyclePolicy',
  'ecr:PutImageScanningConfiguration',
  'ecr:PutRegistryScanningConfiguration',
  'ecr:PutImageTagMutability',
  'ecr:SetRepositoryPolicy',
  'ecr:DeleteRepositoryPolicy',
  'iam:PutRolePolicy',
  'iam:DetachRolePolicy',
];

type RawEvent = { detail: Record<string, unknown> } & Record<string, unknown>;

function eventFile(name: string): RawEvent {
  return loadJson<RawEvent>(path.join('..', '..', 'events', name));
}

/** A copy of an event file that names another repository everywhere the file names one. */
function eventFor(name: string, repositoryName: string): RawEvent {
  const raw = eventFile(name);
  raw.detail.requestParameters = { ...(raw.detail.requestParameters as object), repositoryName };
  raw.detail.responseElements = null;
  raw.detail.resources = [
    { ARN: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repositoryName}`, accountId: ACCOUNT },
  ];
  return raw;
}

function freshSandbox(): SandboxAccount {
  return SandboxAccount.fromFile(path.join(REPO_ROOT, 'demo/account.json'));
}

/** The guardrails of the demo account (tmp/* exempt by config, the organization allowed to pull). */
function demoGuardrails(): Guardrails {
  return parseGuardrails(
    readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'),
    'demo/guardrails.yml',
  );
}

/** The lines of the block about `ruleId` in a change notification's message. */
function blockOf(notification: Notification, ruleId: string): string[] {
  const block = notification.message.split('\n\n').find((b) => b.startsWith(`Rule: ${ruleId}\n`));
  return block?.split('\n') ?? [];
}

/** [rule, outcome] of every block of a change notification's message, in order. */
function outcomesIn(notification: Notification): [string, string][] {
  return notification.message
    .split('\n\n')
    .filter((b) => b.startsWith('Rule: '))
    .map((b) => {
      const lines = b.split('\n');
      const outcome = lines.find((l) => l.startsWith('Outcome: ')) ?? '';
      return [lines[0]!.slice('Rule: '.length), outcome.slice('Outcome: '.length)];
    });
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
  const found = sandbox.snapshot.ecr.repositories.find((r) => r.repositoryName === name);
  if (!found) throw new Error(`no repository ${name} in the sandbox`);
  return found;
}

function writesMade(sandbox: SandboxAccount): Record<string, number> {
  return Object.fromEntries([...sandbox.calls].filter(([action]) => WRITE_ACTIONS.includes(action)));
}

/** The account's ECR state: what remediation may change. */
function ecrState(sandbox: SandboxAccount): Snapshot['ecr'] {
  return structuredClone(sandbox.snapshot.ecr);
}

function statementsOf(policyText: string | undefined): { Sid?: string }[] {
  return (JSON.parse(policyText ?? '{}') as { Statement: { Sid?: string }[] }).Statement;
}

const WEB_FRONTEND_FIXED = (r: Repository) => {
  expect(r.imageTagMutability).toBe('IMMUTABLE');
  expect(r.imageScanningConfiguration).toEqual({ scanOnPush: true });
  const policy = parseLifecyclePolicy(r.lifecyclePolicyText ?? '');
  expect(policy.ok && policy.policy.rules).toEqual([
    expect.objectContaining({
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    }),
  ]);
};

const LEGACY_CACHE_FIXED = (r: Repository) => {
  expect(r.imageTagMutability).toBe('IMMUTABLE');
  const policy = parseLifecyclePolicy(r.lifecyclePolicyText ?? '');
  expect(policy.ok && policy.policy.rules).toEqual([
    {
      rulePriority: 1,
      description: 'Keep last 30 tagged images',
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: ['v'],
        countType: 'imageCountMoreThan',
        countNumber: 30,
      },
      action: { type: 'expire' },
    },
    expect.objectContaining({
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
    }),
  ]);
  expect(statementsOf(r.repositoryPolicyText).map((s) => s.Sid)).toEqual(['CiPush']);
};

/** Each repository event in events/, the repository it names, and that repository's state afterwards. */
const REPOSITORY_EVENTS: [
  file: string,
  repository: string,
  expectAfter: (r: Repository, before: Repository) => void,
][] = [
  ['ecr-PutImageTagMutability.json', 'web/frontend', WEB_FRONTEND_FIXED],
  ['ecr-CreateRepository.json', 'web/frontend', WEB_FRONTEND_FIXED],
  ['ecr-PutImageScanningConfiguration.json', 'web/frontend', WEB_FRONTEND_FIXED],
  // Tag changes re-evaluate the repository (the demo's web/frontend carries no exemption).
  ['ecr-TagResource.json', 'web/frontend', WEB_FRONTEND_FIXED],
  ['ecr-UntagResource.json', 'web/frontend', WEB_FRONTEND_FIXED],
  ['ecr-PutLifecyclePolicy.json', 'web/legacy-cache', LEGACY_CACHE_FIXED],
  ['ecr-SetRepositoryPolicy.json', 'web/legacy-cache', LEGACY_CACHE_FIXED],
  [
    'ecr-DeleteRepositoryPolicy.json',
    'data/etl',
    (r, before) => {
      // The partner account statement goes; the lifecycle rule (30 days) cannot be merged and stays.
      expect(statementsOf(r.repositoryPolicyText).map((s) => s.Sid)).toEqual(['DenyDeleteOutsideCI']);
      expect(r.lifecyclePolicyText).toBe(before.lifecyclePolicyText);
    },
  ],
  ['ecr-DeleteLifecyclePolicy.json', 'payments/api', (r, before) => expect(r).toEqual(before)],
  // tmp/* is exempt by the demo guardrails.
  ['ecr-CreateRepository-service-event.json', 'tmp/spike-grpc', (r, before) => expect(r).toEqual(before)],
  // A failed call changed nothing and is skipped.
  ['ecr-PutImageTagMutability-failed.json', 'payments/api', (r, before) => expect(r).toEqual(before)],
];

describe('onChangeEvent on the demo account: end state per repository event', () => {
  it('covers every repository change event in events/', () => {
    // Prepare
    const files = readdirSync(path.join(REPO_ROOT, 'events')).filter((f) => f.endsWith('.json'));

    // Act
    const repositoryEvents = files.filter((f) => {
      const raw = eventFile(f);
      if (!(CHANGE_DETAIL_TYPES as readonly unknown[]).includes(raw['detail-type'])) return false;
      return parseChangeEvent(raw).target?.kind === 'repository';
    });

    // Assess
    expect(repositoryEvents.sort()).toEqual(REPOSITORY_EVENTS.map(([file]) => file).sort());
  });

  it.each(REPOSITORY_EVENTS)('%s leaves %s in the expected state', async (file, name, expectAfter) => {
    // Prepare
    const sandbox = freshSandbox();
    const before = structuredClone(repo(sandbox, name));

    // Act
    await run(eventFile(file), sandbox);

    // Assess
    expectAfter(repo(sandbox, name), before);
  });

  it.each(REPOSITORY_EVENTS)('%s changes no repository but %s, and not the registry', async (file, name) => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);

    // Act
    await run(eventFile(file), sandbox);

    // Assess
    const after = ecrState(sandbox);
    expect(after.registryScanningConfiguration).toEqual(before.registryScanningConfiguration);
    expect(after.repositories.filter((r) => r.repositoryName !== name)).toEqual(
      before.repositories.filter((r) => r.repositoryName !== name),
    );
  });

  it.each(REPOSITORY_EVENTS)(
    '%s a second time changes nothing and plans no write (idempotent)',
    async (file) => {
      // Prepare
      const sandbox = freshSandbox();
      const first = await run(eventFile(file), sandbox);
      const afterFirst = ecrState(sandbox);
      const writesAfterFirst = writesMade(sandbox);

      // Act
      const second = await run(eventFile(file), sandbox);

      // Assess: only refusals (no write to make) are reported again.
      expect(second.actions).toEqual(first.actions.filter((a) => a.action === 'none'));
      expect(ecrState(sandbox)).toEqual(afterFirst);
      expect(writesMade(sandbox)).toEqual(writesAfterFirst);
    },
  );

  it.each(REPOSITORY_EVENTS)('%s run twice concurrently leaves the state one run leaves', async (file) => {
    // Prepare
    const once = freshSandbox();
    await run(eventFile(file), once);
    const twice = freshSandbox();

    // Act
    await Promise.all([run(eventFile(file), twice), run(eventFile(file), twice)]);

    // Assess
    expect(ecrState(twice)).toEqual(ecrState(once));
  });

  it('reports the applied fixes of PutImageTagMutability on web/frontend, before and after', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('ecr-PutImageTagMutability.json'), sandbox);

    // Assess
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/web/frontend`;
    expect(result.skipped).toBeNull();
    expect(result.actions).toEqual([
      {
        ruleId: 'ecr.lifecycle-policy',
        resourceArn: arn,
        action: 'PutLifecyclePolicy',
        applied: true,
        before: null,
        after: repo(sandbox, 'web/frontend').lifecyclePolicyText,
      },
      {
        ruleId: 'ecr.scan-on-push',
        resourceArn: arn,
        action: 'PutImageScanningConfiguration',
        applied: true,
        before: { scanOnPush: false },
        after: { scanOnPush: true },
      },
      {
        ruleId: 'ecr.tag-immutability',
        resourceArn: arn,
        action: 'PutImageTagMutability',
        applied: true,
        before: 'MUTABLE',
        after: 'IMMUTABLE',
      },
    ]);
  });

  it('skips an event for a repository that no longer exists, writing nothing', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);

    // Act
    const result = await run(eventFor('ecr-PutImageTagMutability.json', 'web/deleted-yesterday'), sandbox);

    // Assess
    expect(result).toEqual({
      skipped: 'repository web/deleted-yesterday no longer exists',
      actions: [],
      notifications: [],
    });
    expect(ecrState(sandbox)).toEqual(before);
  });

  it('skips a failed call without reading the account', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('ecr-PutImageTagMutability-failed.json'), sandbox);

    // Assess
    expect(result.skipped).toMatch(/AccessDenied/);
    expect(sandbox.calls.size).toBe(0);
  });

  it('skips an event caused by the own remediation role', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const raw = eventFile('ecr-PutImageTagMutability.json');
    const identity = raw.detail.userIdentity as {
      arn: string;
      sessionContext: { sessionIssuer: { arn: string } };
    };
    identity.arn = `arn:aws:sts::${ACCOUNT}:assumed-role/buildwarden-remediation/run`;
    identity.sessionContext.sessionIssuer.arn = `arn:aws:iam::${ACCOUNT}:role/buildwarden-remediation`;

    // Act
    const result = await run(raw, sandbox, demoGuardrails(), {
      ownRoleArns: [`arn:aws:iam::${ACCOUNT}:role/buildwarden-remediation`],
    });

    // Assess
    expect(result.skipped).toBe("caused by buildwarden's own remediation role");
    expect(writesMade(sandbox)).toEqual({});
  });
});

describe('onChangeEvent: dry run', () => {
  it('writes nothing under the global dryRun, but returns the planned actions', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);
    const guardrails = { ...demoGuardrails(), dryRun: true };

    // Act
    const result = await run(eventFile('ecr-PutImageTagMutability.json'), sandbox, guardrails);

    // Assess
    expect(ecrState(sandbox)).toEqual(before);
    expect(writesMade(sandbox)).toEqual({});
    expect(result.actions.map((a) => [a.action, a.applied, a.reason])).toEqual([
      ['PutLifecyclePolicy', false, 'dry run'],
      ['PutImageScanningConfiguration', false, 'dry run'],
      ['PutImageTagMutability', false, 'dry run'],
    ]);
  });

  it('writes nothing with the dryRun option, but notifies what it would fix', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);

    // Act
    const result = await run(eventFile('ecr-PutImageTagMutability.json'), sandbox, demoGuardrails(), {
      dryRun: true,
    });

    // Assess
    expect(ecrState(sandbox)).toEqual(before);
    expect(result.actions.every((a) => !a.applied && a.reason === 'dry run')).toBe(true);
    expect(result.notifications.map((n) => n.subject)).toEqual([
      'buildwarden would fix (dry run) ecr.scan-on-push on web/frontend (+3 more)',
    ]);
    expect(outcomesIn(result.notifications[0]!)).toEqual(
      expect.arrayContaining([
        ['ecr.lifecycle-policy', 'dry-run — dry run'],
        ['ecr.scan-on-push', 'dry-run — dry run'],
        ['ecr.tag-immutability', 'dry-run — dry run'],
      ]),
    );
  });

  it('applies every fix but the one whose rule is in dryRun', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = demoGuardrails();
    guardrails.rules['ecr.tag-immutability'].dryRun = true;

    // Act
    const result = await run(eventFile('ecr-PutImageTagMutability.json'), sandbox, guardrails);

    // Assess
    expect(result.actions.map((a) => [a.ruleId, a.applied])).toEqual([
      ['ecr.lifecycle-policy', true],
      ['ecr.scan-on-push', true],
      ['ecr.tag-immutability', false],
    ]);
    expect(repo(sandbox, 'web/frontend').imageTagMutability).toBe('MUTABLE');
    expect(repo(sandbox, 'web/frontend').imageScanningConfiguration).toEqual({ scanOnPush: true });
  });
});

describe('onChangeEvent: exempt repositories', () => {
  it('never changes a repository tagged buildwarden:exempt=* (sandbox/experiments)', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = structuredClone(repo(sandbox, 'sandbox/experiments'));

    // Act
    const result = await run(eventFor('ecr-PutImageTagMutability.json', 'sandbox/experiments'), sandbox);

    // Assess
    expect(result.actions).toEqual([]);
    expect(repo(sandbox, 'sandbox/experiments')).toEqual(before);
  });

  it('never changes a repository exempt by the guardrails (tmp/* in the demo config)', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = structuredClone(repo(sandbox, 'tmp/spike-grpc'));

    // Act
    const result = await run(eventFile('ecr-CreateRepository-service-event.json'), sandbox);

    // Assess
    expect(result.actions).toEqual([]);
    expect(repo(sandbox, 'tmp/spike-grpc')).toEqual(before);
  });

  it('does change tmp/spike-grpc when the guardrails exempt nothing (the exemption is what protects it)', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(
      eventFile('ecr-CreateRepository-service-event.json'),
      sandbox,
      defaultGuardrails(),
    );

    // Assess
    expect(result.actions.filter((a) => a.applied).length).toBeGreaterThan(0);
    expect(repo(sandbox, 'tmp/spike-grpc').imageTagMutability).toBe('IMMUTABLE');
  });
});

describe('onChangeEvent: notifications', () => {
  async function notificationsOfWebFrontendFix(): Promise<{ result: ChangeResult; sandbox: SandboxAccount }> {
    const sandbox = freshSandbox();
    const result = await run(eventFile('ecr-PutImageTagMutability.json'), sandbox);
    return { result, sandbox };
  }

  it('sends one notification for the event, naming the most severe outcome and how many more there are', async () => {
    // Act
    const { result } = await notificationsOfWebFrontendFix();

    // Assess
    expect(result.notifications.map((n) => n.subject)).toEqual([
      'buildwarden fixed ecr.scan-on-push on web/frontend (+3 more)',
    ]);
  });

  it('lists every action and every violation of the event in its one message, in order', async () => {
    // Act
    const { result } = await notificationsOfWebFrontendFix();

    // Assess
    expect(outcomesIn(result.notifications[0]!)).toEqual([
      ...result.actions.map((a) => [a.ruleId, 'applied']),
      ['ecr.encryption', 'reported'],
    ]);
    expect(result.notifications[0]!.message.split('\n')[0]).toBe('3 fixed, 1 violation(s) left for people.');
  });

  it('gives the notification every kind, the repository and the most severe severity as attributes', async () => {
    // Act
    const { result } = await notificationsOfWebFrontendFix();

    // Assess
    expect(result.notifications.map((n) => n.attributes)).toEqual([
      {
        kind: ['remediation', 'guardrail-violation'],
        severity: 'high',
        repository: 'web/frontend',
        project: '',
      },
    ]);
  });

  it('writes before, after, the principal and a console link into the message', async () => {
    // Act
    const { result } = await notificationsOfWebFrontendFix();

    // Assess
    const immutability = blockOf(result.notifications[0]!, 'ecr.tag-immutability');
    expect(immutability).toEqual(
      expect.arrayContaining([
        'Before: MUTABLE',
        'After:  IMMUTABLE',
        `Console: https://${REGION}.console.aws.amazon.com/ecr/repositories/private/${ACCOUNT}/web/frontend?region=${REGION}`,
      ]),
    );
    expect(result.notifications[0]!.message.split('\n')).toContain(
      `Triggered by: PutImageTagMutability by ${PRINCIPAL}`,
    );
  });

  it('reports a violation it may not fix (encryption) once, without before and after', async () => {
    // Act
    const { result } = await notificationsOfWebFrontendFix();

    // Assess
    const reported = outcomesIn(result.notifications[0]!).filter(([, outcome]) => outcome === 'reported');
    expect(reported).toEqual([['ecr.encryption', 'reported']]);
    expect(blockOf(result.notifications[0]!, 'ecr.encryption').some((l) => l.startsWith('Before:'))).toBe(
      false,
    );
  });

  it('when one write fails, still notifies once what the others did, says so, and rethrows', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const ports = sandbox.ports();
    let writes = 0;
    const failing = {
      ...ports,
      remediator: {
        apply: async (write: Parameters<typeof ports.remediator.apply>[0]) => {
          if (++writes === 2) throw new Error('Rate exceeded');
          return ports.remediator.apply(write);
        },
      },
    };

    // Act
    const handling = onChangeEvent(
      parseChangeEvent(eventFile('ecr-PutImageTagMutability.json')),
      failing,
      demoGuardrails(),
      { now: NOW, ownRoleArns: [] },
    );

    // Assess
    await expect(handling).rejects.toThrow('Rate exceeded');
    const messages = sandbox.snapshot.sns?.topics[0]?.messages as unknown as Notification[];
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toBe('buildwarden fixed ecr.lifecycle-policy on web/frontend (+1 more)');
    expect(outcomesIn(messages[0]!)).toEqual([
      ['ecr.lifecycle-policy', 'applied'],
      ['ecr.tag-immutability', 'applied'],
    ]);
    expect(messages[0]!.message).toContain(
      'The handling stopped before the end and will be retried: Error: Rate exceeded',
    );
  });

  it('publishes through the notifier exactly the notifications it returns', async () => {
    // Act
    const { result, sandbox } = await notificationsOfWebFrontendFix();

    // Assess: as SNS delivers them, an attribute without a value is not sent (see the Notifier contract).
    const delivered = result.notifications.map((n) => ({
      ...n,
      attributes: Object.fromEntries(Object.entries(n.attributes).filter(([, value]) => value !== '')),
    }));
    expect(sandbox.snapshot.sns?.topics[0]?.messages).toEqual(delivered);
  });

  it('reports a violation it cannot fix with the reason (data/etl: its untagged rule blocks the merge)', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run(eventFile('ecr-DeleteRepositoryPolicy.json'), sandbox);

    // Assess
    expect(result.notifications).toHaveLength(1);
    expect(outcomesIn(result.notifications[0]!)).toContainEqual(['ecr.lifecycle-policy', 'reported']);
    expect(blockOf(result.notifications[0]!, 'ecr.lifecycle-policy').join('\n')).toMatch(
      /not fixed automatically: the required rule cannot be merged/,
    );
    expect(result.actions.some((a) => a.ruleId === 'ecr.lifecycle-policy')).toBe(false);
  });
});

/**
 * `target` whose methods `names` record that they started and then wait for `gate` before doing their work:
 * what is in `started` before the gate opens was in flight together.
 */
function gated<T extends object>(
  target: T,
  names: readonly string[],
  started: string[],
  gate: Promise<void>,
): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof prop !== 'string' || !names.includes(prop)) return method.bind(obj);
      return async (...args: unknown[]) => {
        started.push(prop);
        await gate;
        return method.apply(obj, args);
      };
    },
  });
}

describe('onChangeEvent: the reads of a repository event', () => {
  it('has the repository, the registry scanning configuration and the organization in flight together', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const ports = sandbox.ports();
    const started: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const deps = {
      ...ports,
      registry: gated(ports.registry, ['repository', 'scanningConfiguration'], started, gate),
      organization: gated(ports.organization, ['organizationId'], started, gate),
    };

    // Act
    const handling = onChangeEvent(
      parseChangeEvent(eventFile('ecr-SetRepositoryPolicy.json')),
      deps,
      defaultGuardrails(),
      { now: NOW, ownRoleArns: [] },
    );
    await new Promise((resolve) => setImmediate(resolve));
    const inFlight = [...started].sort();
    open();
    await handling;

    // Assess
    expect(inFlight).toEqual(['organizationId', 'repository', 'scanningConfiguration']);
  });

  it('has the writes of one repository in flight together, and records them in plan order', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const ports = sandbox.ports();
    const started: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const deps = { ...ports, remediator: gated(ports.remediator, ['apply'], started, gate) };

    // Act
    const handling = onChangeEvent(
      parseChangeEvent(eventFile('ecr-PutImageTagMutability.json')),
      deps,
      demoGuardrails(),
      { now: NOW, ownRoleArns: [] },
    );
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const inFlight = started.length;
    open();
    const result = await handling;

    // Assess
    expect(inFlight).toBe(3);
    expect(result.actions.map((a) => [a.action, a.applied])).toEqual([
      ['PutLifecyclePolicy', true],
      ['PutImageScanningConfiguration', true],
      ['PutImageTagMutability', true],
    ]);
  });

  it('does not read the registry scanning configuration when no active rule needs it', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = parseGuardrails('rules:\n  ecr.scan-on-push:\n    mode: off\n', 'guardrails.yml');

    // Act
    await run(eventFile('ecr-PutImageTagMutability.json'), sandbox, guardrails);

    // Assess
    expect(sandbox.calls.get('ecr:GetRegistryScanningConfiguration')).toBeUndefined();
    expect(sandbox.calls.get('ecr:DescribeRepositories')).toBe(1);
  });

  it('reads the registry scanning configuration once when scan-on-push is active', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    await run(eventFile('ecr-PutImageTagMutability.json'), sandbox, defaultGuardrails());

    // Assess
    expect(sandbox.calls.get('ecr:GetRegistryScanningConfiguration')).toBe(1);
  });
});

describe('onChangeEvent: PutRegistryScanningConfiguration', () => {
  const REGISTRY_EVENT = 'ecr-PutRegistryScanningConfiguration.json';

  /** Scan-on-push findings of every repository, evaluated against the registry configuration now in force. */
  function scanViolations(sandbox: SandboxAccount, guardrails: Guardrails): string[] {
    const registryScanning = sandbox.snapshot.ecr.registryScanningConfiguration;
    const ctx = {
      view: accountView(registryScanning ? { registryScanning } : {}),
      guardrails,
      now: NOW,
    };
    return sandbox.snapshot.ecr.repositories
      .flatMap((r) => evaluateRepository(r, ctx, new Set(['ecr.scan-on-push'] as const)))
      .filter((f) => f.status === 'violation')
      .map((f) => f.resourceArn);
  }

  it('leaves no repository that is not exempt uncovered by scan on push', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    expect(scanViolations(sandbox, guardrails)).toHaveLength(2);

    // Act
    await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(scanViolations(sandbox, guardrails)).toEqual([]);
  });

  it('turns on scanOnPush of each uncovered repository at level repository, and nothing else', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);

    // Act
    const result = await run(eventFile(REGISTRY_EVENT), sandbox, defaultGuardrails());

    // Assess
    expect(result.actions.map((a) => [a.action, a.resourceArn.split('/').slice(1).join('/')])).toEqual([
      ['PutImageScanningConfiguration', 'web/frontend'],
      ['PutImageScanningConfiguration', 'tmp/spike-grpc'],
    ]);
    expect(repo(sandbox, 'sandbox/experiments')).toEqual(
      before.repositories.find((r) => r.repositoryName === 'sandbox/experiments'),
    );
    expect(sandbox.snapshot.ecr.registryScanningConfiguration).toEqual(before.registryScanningConfiguration);
  });

  it('at level registry, ends with one registry rule whose filters cover every uncovered repository', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].level = 'registry';

    // Act
    await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(sandbox.snapshot.ecr.registryScanningConfiguration).toEqual({
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'payments/*', filterType: 'WILDCARD' },
            { filter: 'web/frontend', filterType: 'WILDCARD' },
            { filter: 'tmp/spike-grpc', filterType: 'WILDCARD' },
          ],
        },
      ],
    });
  });

  it('at level registry, builds each registry write on the one before', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].level = 'registry';

    // Act
    const result = await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(result.actions.map((a) => a.action)).toEqual([
      'PutRegistryScanningConfiguration',
      'PutRegistryScanningConfiguration',
    ]);
    expect(result.actions[1]!.before).toEqual(result.actions[0]!.after);
  });

  it('at level registry, leaves the repositories themselves unchanged', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = ecrState(sandbox);
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].level = 'registry';

    // Act
    await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(ecrState(sandbox).repositories).toEqual(before.repositories);
  });

  it('a second registry event changes nothing', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].level = 'registry';
    await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);
    const afterFirst = ecrState(sandbox);

    // Act
    const second = await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(second.actions).toEqual([]);
    expect(ecrState(sandbox)).toEqual(afterFirst);
  });

  it('is skipped when the rule ecr.scan-on-push is off', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].mode = 'off';

    // Act
    const result = await run(eventFile(REGISTRY_EVENT), sandbox, guardrails);

    // Assess
    expect(result.skipped).toBe('rule ecr.scan-on-push is off');
  });

  it('at level registry, two concurrent events for different repositories keep both filters', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = defaultGuardrails();
    guardrails.rules['ecr.scan-on-push'].level = 'registry';

    // Act
    await Promise.all([
      run(eventFile('ecr-PutImageTagMutability.json'), sandbox, guardrails),
      run(eventFile('ecr-CreateRepository-service-event.json'), sandbox, guardrails),
    ]);

    // Assess
    const filters = sandbox.snapshot.ecr.registryScanningConfiguration?.rules.flatMap((r) =>
      r.repositoryFilters.map((f) => f.filter),
    );
    expect(filters).toEqual(expect.arrayContaining(['web/frontend', 'tmp/spike-grpc']));
  });
});

describe('onChangeEvent on a repository shared with an organization', () => {
  const OWN_ORG = 'o-a1b2c3d4e5';
  const SHARED = 'shared/base-images'; // the demo repository whose policy lets the organization pull
  const POLICY_WRITES = ['ecr:SetRepositoryPolicy', 'ecr:DeleteRepositoryPolicy'];

  function sandboxIn(organizationId: string | null | undefined): SandboxAccount {
    const sandbox = freshSandbox();
    if (organizationId === undefined) delete sandbox.snapshot.organizationId;
    else sandbox.snapshot.organizationId = organizationId;
    return sandbox;
  }

  const policyWrites = (sandbox: SandboxAccount) =>
    Object.keys(writesMade(sandbox)).filter((a) => POLICY_WRITES.includes(a));

  it.each(['ecr-SetRepositoryPolicy.json', 'ecr-CreateRepository.json'])(
    '%s with the default guardrails leaves the own organization’s pull access in place',
    async (file) => {
      // Prepare
      const sandbox = sandboxIn(OWN_ORG);
      const before = repo(sandbox, SHARED).repositoryPolicyText;

      // Act
      const result = await run(eventFor(file, SHARED), sandbox, defaultGuardrails());

      // Assess
      expect(repo(sandbox, SHARED).repositoryPolicyText).toBe(before);
      expect(policyWrites(sandbox)).toEqual([]);
      expect(result.actions.filter((a) => a.ruleId === 'ecr.repository-policy')).toEqual([]);
      expect(sandbox.calls.get('organizations:DescribeOrganization')).toBe(1);
    },
  );

  it('leaves the statement in place when the own organization is unknown, and the notification says why', async () => {
    // Prepare
    const sandbox = sandboxIn(undefined);
    const before = repo(sandbox, SHARED).repositoryPolicyText;

    // Act
    const result = await run(eventFor('ecr-SetRepositoryPolicy.json', SHARED), sandbox, defaultGuardrails());

    // Assess
    expect(repo(sandbox, SHARED).repositoryPolicyText).toBe(before);
    expect(policyWrites(sandbox)).toEqual([]);
    const notification = result.notifications.find((n) => n.message.includes('Rule: ecr.repository-policy'));
    expect(notification && outcomesIn(notification)).toContainEqual(['ecr.repository-policy', 'reported']);
    expect(notification?.message).toContain('left in place: it is limited to organization o-a1b2c3d4e5');
    expect(notification?.message).toContain("the account's own organization could not be determined");
  });

  it('removes a public statement next to the organization statement and keeps the latter', async () => {
    // Prepare
    const sandbox = sandboxIn(null); // in no organization: o-a1b2c3d4e5 is a stranger
    const shared = repo(sandbox, SHARED);
    const document = JSON.parse(shared.repositoryPolicyText!) as { Statement: object[] };
    document.Statement.push({ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' });
    shared.repositoryPolicyText = JSON.stringify(document);

    // Act
    const result = await run(eventFor('ecr-SetRepositoryPolicy.json', SHARED), sandbox, defaultGuardrails());

    // Assess
    expect(statementsOf(repo(sandbox, SHARED).repositoryPolicyText).map((s) => s.Sid)).toEqual(['OrgPull']);
    const notification = result.notifications.find((n) => n.message.includes('Rule: ecr.repository-policy'));
    expect(notification?.message).toContain(
      'OrgPull: grants * limited to organizations not allowed: o-a1b2c3d4e5',
    );
    expect(notification?.message).toContain('left in place');
  });

  it('removes the statement when the organization is in deniedOrganizations', async () => {
    // Prepare
    const sandbox = sandboxIn(null);
    const guardrails = parseGuardrails(
      `rules:\n  ecr.repository-policy:\n    deniedOrganizations: [${OWN_ORG}]\n`,
      'guardrails.yml',
    );

    // Act
    await run(eventFor('ecr-SetRepositoryPolicy.json', SHARED), sandbox, guardrails);

    // Assess
    expect(repo(sandbox, SHARED).repositoryPolicyText).toBeUndefined();
    expect(policyWrites(sandbox)).toEqual(['ecr:DeleteRepositoryPolicy']);
  });
});

/** Registry-setting change events on the demo sandbox: re-read, evaluate, remediate, notify once. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseChangeEvent } from '../../lib/policy/change-events';
import { parseGuardrails, type Guardrails } from '../../lib/policy/guardrails';
import { SandboxAccount } from '../../lib/sandbox/account';
import { onChangeEvent, type ChangeResult } from '../../lib/usecases/on-change';
import { NOW } from '../fixtures/builders';
import { loadJson, REPO_ROOT } from '../fixtures/load';

const ARN = 'arn:aws:ecr:us-east-1:123456789012';

function demoGuardrails(extra = ''): Guardrails {
  const text = readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8');
  return parseGuardrails(text.replace('rules:\n', `rules:\n${extra}`), 'demo/guardrails.yml');
}

function run(file: string, sandbox: SandboxAccount, guardrails = demoGuardrails()): Promise<ChangeResult> {
  const raw = loadJson<unknown>(path.join('..', '..', 'events', file));
  return onChangeEvent(parseChangeEvent(raw), sandbox.ports(), guardrails, { now: NOW, ownRoleArns: [] });
}

const freshSandbox = () => SandboxAccount.fromFile(path.join(REPO_ROOT, 'demo/account.json'));

describe('registry-setting change events', () => {
  test.each([
    ['ecr-PutReplicationConfiguration.json', 'replication-configuration'],
    ['ecr-PutRegistryPolicy.json', 'registry-policy'],
    ['ecr-DeleteRegistryPolicy.json', 'registry-policy'],
    ['ecr-CreatePullThroughCacheRule.json', 'pull-through-cache-rule'],
    ['ecr-UpdatePullThroughCacheRule.json', 'pull-through-cache-rule'],
    ['ecr-CreateRepositoryCreationTemplate.json', 'repository-creation-template'],
    ['ecr-UpdateRepositoryCreationTemplate.json', 'repository-creation-template'],
    ['ecr-DeleteRepositoryCreationTemplate.json', 'repository-creation-template'],
  ])('%s names the %s as its target', (file, resource) => {
    // Act
    const event = parseChangeEvent(loadJson<unknown>(path.join('..', '..', 'events', file)));

    // Assess
    expect(event.target).toMatchObject({ kind: 'registry-setting', resource });
  });

  test('PutReplicationConfiguration in the default mode reports the disallowed destination once and changes nothing', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const before = JSON.stringify(sandbox.snapshot.ecr.replicationConfiguration);

    // Act
    const result = await run('ecr-PutReplicationConfiguration.json', sandbox);

    // Assess
    expect(result.actions).toEqual([]);
    expect(result.notifications).toHaveLength(1);
    expect(result.notifications[0]!.message).toContain('999988887777 in eu-west-1');
    expect(JSON.stringify(sandbox.snapshot.ecr.replicationConfiguration)).toBe(before);
    expect(sandbox.calls.get('ecr:DescribeRegistry')).toBe(1);
  });

  test('PutReplicationConfiguration in mode remediate removes only the disallowed destination', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = demoGuardrails();
    guardrails.rules['ecr.replication-destinations'].mode = 'remediate';

    // Act
    const result = await run('ecr-PutReplicationConfiguration.json', sandbox, guardrails);

    // Assess
    expect(result.actions).toEqual([
      expect.objectContaining({
        ruleId: 'ecr.replication-destinations',
        action: 'PutReplicationConfiguration',
        applied: true,
        resourceArn: `${ARN}:replication-configuration`,
      }),
    ]);
    expect(sandbox.snapshot.ecr.replicationConfiguration?.rules[0]?.destinations).toEqual([
      { region: 'us-west-2', registryId: '123456789012' },
    ]);
    expect(result.notifications).toHaveLength(1);
  });

  test('PutRegistryPolicy in mode remediate removes the offending statement (the policy is then deleted)', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = demoGuardrails('  ecr.registry-policy:\n    mode: remediate\n');

    // Act
    const result = await run('ecr-PutRegistryPolicy.json', sandbox, guardrails);

    // Assess
    expect(result.actions.map((a) => [a.ruleId, a.action, a.applied])).toEqual([
      ['ecr.registry-policy', 'DeleteRegistryPolicy', true],
    ]);
    expect(sandbox.snapshot.ecr.registryPolicyText).toBeNull();
  });

  test('UpdatePullThroughCacheRule judges only the rule it names and the templates of its prefix', async () => {
    // Prepare
    const sandbox = freshSandbox();

    // Act
    const result = await run('ecr-UpdatePullThroughCacheRule.json', sandbox);

    // Assess: docker-hub's weak template is reported; ecr-public (another prefix) is not.
    const subjects = result.notifications.map((n) => n.subject);
    expect(subjects.some((s) => s.includes('ecr.creation-templates'))).toBe(true);
    expect(result.notifications.every((n) => !n.message.includes('ecr-public'))).toBe(true);
  });

  test('CreateRepositoryCreationTemplate in mode remediate updates the weak template’s lifecycle policy and tag mutability when only those are wrong', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const guardrails = demoGuardrails(
      '  ecr.encryption:\n    mode: off\n  ecr.creation-templates:\n    mode: remediate\n',
    );

    // Act
    const result = await run('ecr-CreateRepositoryCreationTemplate.json', sandbox, guardrails);

    // Assess
    expect(result.actions.map((a) => [a.action, a.resourceArn, a.applied])).toEqual([
      ['UpdateRepositoryCreationTemplate', `${ARN}:repository-creation-template/docker-hub`, true],
    ]);
    const template = sandbox.snapshot.ecr.repositoryCreationTemplates?.find((t) => t.prefix === 'docker-hub');
    expect(template).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    expect(template?.lifecyclePolicy).toBeDefined();
  });

  test('a template that needs a customRoleArn is refused, naming iam:PassRole, and nothing is written', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const role = 'arn:aws:iam::123456789012:role/ecr-template-role';
    const guardrails = demoGuardrails(
      `  ecr.creation-templates:\n    mode: remediate\n    customRoleArn: ${role}\n`,
    );
    const before = structuredClone(sandbox.snapshot.ecr.repositoryCreationTemplates);

    // Act
    const result = await run('ecr-CreatePullThroughCacheRule.json', sandbox, guardrails);

    // Assess
    const templateActions = result.actions.filter((a) => a.ruleId === 'ecr.creation-templates');
    expect(templateActions.length).toBeGreaterThan(0);
    for (const action of templateActions) {
      expect(action.applied).toBe(false);
      expect(action.reason).toContain(`needs customRoleArn ${role}`);
      expect(action.reason).toContain('iam:PassRole');
    }
    expect(sandbox.snapshot.ecr.repositoryCreationTemplates).toEqual(before);
    expect(sandbox.calls.get('ecr:CreateRepositoryCreationTemplate')).toBeUndefined();
    expect(sandbox.calls.get('ecr:UpdateRepositoryCreationTemplate')).toBeUndefined();
  });

  test('an event from the handler’s own role is skipped', async () => {
    // Prepare
    const sandbox = freshSandbox();
    const raw = loadJson<unknown>(path.join('..', '..', 'events', 'ecr-PutRegistryPolicy.json'));

    // Act
    const result = await onChangeEvent(parseChangeEvent(raw), sandbox.ports(), demoGuardrails(), {
      now: NOW,
      ownRoleArns: ['arn:aws:iam::123456789012:role/PlatformAdmin'],
    });

    // Assess
    expect(result.skipped).not.toBeNull();
    expect(result.notifications).toEqual([]);
  });
});

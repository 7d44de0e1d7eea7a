/** The registry rules end to end on the sandbox: audit reads, not-captured settings, the CLI on the demo. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseGuardrails } from '../../lib/policy/guardrails';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { SandboxAccount } from '../../lib/sandbox/account';
import { sandboxDeps } from '../../lib/cli/deps';
import { runAudit } from '../../lib/usecases/audit';
import { cli } from '../fixtures/cli';
import { REPO_ROOT } from '../fixtures/load';
import { NOW } from '../fixtures/builders';

const demoText = readFileSync(path.join(REPO_ROOT, 'demo/account.json'), 'utf8');
const demoGuardrails = parseGuardrails(readFileSync(path.join(REPO_ROOT, 'demo/guardrails.yml'), 'utf8'));
const REGISTRY_RULES = [
  'ecr.replication-destinations',
  'ecr.registry-policy',
  'ecr.pull-through-cache',
  'ecr.creation-templates',
] as const;
const ARN = 'arn:aws:ecr:us-east-1:123456789012';

function sandboxWithout(...keys: string[]): SandboxAccount {
  const snapshot = JSON.parse(demoText) as { ecr: Record<string, unknown> };
  for (const key of keys) delete snapshot.ecr[key];
  return new SandboxAccount(parseSnapshot(JSON.stringify(snapshot)));
}

describe('registry rules in the audit', () => {
  test('reads each registry setting once and reports the demo registry’s violations', async () => {
    // Prepare
    const sandbox = new SandboxAccount(parseSnapshot(demoText));

    // Act
    const report = await runAudit(sandboxDeps(sandbox), demoGuardrails, {
      now: NOW,
      ruleIds: REGISTRY_RULES,
    });

    // Assess
    const violations = report.findings
      .filter((f) => f.status === 'violation')
      .map((f) => [f.ruleId, f.resourceArn]);
    expect(violations).toEqual(
      expect.arrayContaining([
        ['ecr.replication-destinations', `${ARN}:replication-configuration`],
        ['ecr.registry-policy', `${ARN}:registry-policy`],
        ['ecr.pull-through-cache', `${ARN}:pull-through-cache-rule/ecr-public`],
        ['ecr.creation-templates', `${ARN}:repository-creation-template/ecr-public`],
        ['ecr.creation-templates', `${ARN}:repository-creation-template/docker-hub`],
      ]),
    );
    expect(
      [
        'ecr:DescribeRegistry',
        'ecr:GetRegistryPolicy',
        'ecr:DescribePullThroughCacheRules',
        'ecr:DescribeRepositoryCreationTemplates',
      ].map((call) => sandbox.calls.get(call)),
    ).toEqual([1, 1, 1, 1]);
  });

  test('an older snapshot without the registry keys gives not-visible findings, never compliant ones', async () => {
    // Prepare
    const sandbox = sandboxWithout(
      'replicationConfiguration',
      'registryPolicyText',
      'pullThroughCacheRules',
      'repositoryCreationTemplates',
    );

    // Act
    const report = await runAudit(sandboxDeps(sandbox), demoGuardrails, {
      now: NOW,
      ruleIds: REGISTRY_RULES,
    });

    // Assess
    expect(report.findings.map((f) => [f.ruleId, f.status])).toEqual(
      expect.arrayContaining(REGISTRY_RULES.map((id) => [id, 'not-visible'])),
    );
    expect(report.findings.filter((f) => f.status !== 'not-visible')).toEqual([]);
    expect(report.findings[0]!.message).toContain('the snapshot does not record it');
  });

  test('the CLI audit on the demo snapshot shows the registry findings', async () => {
    // Act
    const out = await cli([
      'audit',
      '--snapshot',
      'demo/account.json',
      '--config',
      'demo/guardrails.yml',
      '--rules',
      REGISTRY_RULES.join(','),
    ]);

    // Assess
    expect(out.stdout).toContain('999988887777 in eu-west-1');
    expect(out.stdout).toContain('ecr.pull-through-cache');
    expect(out.stdout).toContain('template docker-hub is weak');
  });
});

import { evaluateAccount } from '../../../lib/policy/evaluate';
import { parseGuardrails } from '../../../lib/policy/guardrails';
import { accountView, NOW, repository } from '../../fixtures/builders';

const mutable = (name: string, tags: { Key: string; Value: string }[] = []) =>
  repository(name, { imageTagMutability: 'MUTABLE', tags });

function findingOf(name: string, tags: { Key: string; Value: string }[] = [], config = '') {
  const findings = evaluateAccount(
    accountView({ repositories: [mutable(name, tags)] }),
    parseGuardrails(config),
    {
      now: NOW,
      ruleIds: ['ecr.tag-immutability'],
    },
  );
  return findings[0]!;
}

describe('evaluating an account', () => {
  test('a violation carries the rule severity from config', () => {
    const finding = findingOf('a', [], 'rules:\n  ecr.tag-immutability:\n    severity: low\n');

    expect(finding).toMatchObject({
      status: 'violation',
      severity: 'low',
      resourceType: 'AWS::ECR::Repository',
    });
  });

  test('tag buildwarden:exempt=* exempts the repository from every rule, still reporting the finding', () => {
    const finding = findingOf('a', [{ Key: 'buildwarden:exempt', Value: '*' }]);

    expect(finding.status).toBe('exempt');
    expect(finding.remediable).toBe(false);
    expect(finding.details?.exemption).toBe('tag buildwarden:exempt=*');
  });

  test('tag buildwarden:exempt with a list of rule ids exempts only those rules', () => {
    const listed = findingOf('a', [
      { Key: 'buildwarden:exempt', Value: 'ecr.encryption, ecr.tag-immutability' },
    ]);
    const other = findingOf('a', [{ Key: 'buildwarden:exempt', Value: 'ecr.encryption' }]);

    expect(listed.status).toBe('exempt');
    expect(other.status).toBe('violation');
  });

  test('a config exemption by repository-name pattern exempts matching repositories', () => {
    const config = "exemptions:\n  - repositories: ['legacy/*']\n    reason: vendor images\n";

    expect(findingOf('legacy/x', [], config).status).toBe('exempt');
    expect(findingOf('current/x', [], config).status).toBe('violation');
  });

  test('a config exemption limited to other rules does not apply', () => {
    const config =
      "exemptions:\n  - repositories: ['*']\n    rules: [ecr.encryption]\n    reason: migration\n";

    expect(findingOf('a', [], config).status).toBe('violation');
  });

  test('compliant findings stay compliant on exempt resources', () => {
    const findings = evaluateAccount(
      accountView({ repositories: [repository('a', { tags: [{ Key: 'buildwarden:exempt', Value: '*' }] })] }),
      parseGuardrails(''),
      { now: NOW, ruleIds: ['ecr.tag-immutability'] },
    );

    expect(findings[0]!.status).toBe('compliant');
  });

  test('findings are ordered worst first', () => {
    const view = accountView({
      repositories: [
        repository('ok'),
        repository('bad', {
          imageTagMutability: 'MUTABLE',
          repositoryPolicyText: JSON.stringify({
            Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
          }),
        }),
      ],
    });

    const findings = evaluateAccount(view, parseGuardrails(''), { now: NOW });

    expect(findings[0]).toMatchObject({
      status: 'violation',
      severity: 'critical',
      ruleId: 'ecr.repository-policy',
    });
    expect(findings[findings.length - 1]!.status).toBe('compliant');
  });
});

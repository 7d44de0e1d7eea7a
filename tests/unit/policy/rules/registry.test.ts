/** The rule registry: one definition per rule, and what is derived from it. */
import { defaultGuardrails, parseGuardrails, RULE_IDS } from '../../../../lib/policy/guardrails';
import { REGISTRY_RESOURCE_TYPES, SCOPE_RESOURCE_TYPES } from '../../../../lib/policy/rules/definition';
import {
  isRuleId,
  PROJECT_RULES,
  REGISTRY_RULES,
  REPOSITORY_RULES,
  ruleById,
  RULES,
  rulesOfScope,
  rulesReading,
  SERVICE_ROLE_RULES,
} from '../../../../lib/policy/rules/index';
import { InvalidInputError } from '../../../../lib/policy/validation';

const withoutRemediation = RULES.filter((rule) => !('remediation' in rule) || !rule.remediation);
const withRemediation = RULES.filter((rule) => 'remediation' in rule && rule.remediation);

describe('rule registry', () => {
  it('lists the eighteen rules in the order of the guardrails file', () => {
    // Act
    const ids = RULES.map((rule) => rule.id);

    // Assess
    expect(ids).toEqual([
      'ecr.lifecycle-policy',
      'ecr.scan-on-push',
      'ecr.tag-immutability',
      'ecr.encryption',
      'ecr.repository-policy',
      'ecr.replication-destinations',
      'ecr.registry-policy',
      'ecr.pull-through-cache',
      'ecr.creation-templates',
      'codebuild.privileged-mode',
      'codebuild.plaintext-credentials',
      'codebuild.logging',
      'codebuild.artifact-encryption',
      'codebuild.source-credentials',
      'codebuild.project-visibility',
      'codebuild.role-can-push',
      'codebuild.role-least-privilege',
      'codebuild.role-trust-policy',
    ]);
    expect(RULE_IDS).toEqual(ids);
  });

  it('gives each rule a distinct id', () => {
    // Act
    const ids = new Set(RULES.map((rule) => rule.id));

    // Assess
    expect(ids.size).toBe(RULES.length);
  });

  it.each(RULES.map((rule) => [rule.id, rule] as const))(
    '%s judges the resource type of its scope',
    (_id, rule) => {
      // Assess
      expect(rule.resourceType).toBe(
        rule.scope === 'registry' ? REGISTRY_RESOURCE_TYPES[rule.resource] : SCOPE_RESOURCE_TYPES[rule.scope],
      );
    },
  );

  it('splits the rules by scope: 5 repository, 4 registry, 6 project and 3 service-role rules', () => {
    // Assess
    expect(REPOSITORY_RULES.map((r) => r.id)).toEqual(
      RULE_IDS.filter((id) => id.startsWith('ecr.') && !REGISTRY_RULES.some((r) => r.id === id)),
    );
    expect(REGISTRY_RULES.map((r) => [r.id, r.resource])).toEqual([
      ['ecr.replication-destinations', 'replication-configuration'],
      ['ecr.registry-policy', 'registry-policy'],
      ['ecr.pull-through-cache', 'pull-through-cache-rule'],
      ['ecr.creation-templates', 'repository-creation-template'],
    ]);
    expect(PROJECT_RULES).toHaveLength(6);
    expect(SERVICE_ROLE_RULES.map((r) => [r.id, r.join])).toEqual([
      ['codebuild.role-can-push', 'target-repository'],
      ['codebuild.role-least-privilege', 'projects'],
      ['codebuild.role-trust-policy', 'role'],
    ]);
  });

  it.each(withoutRemediation.map((rule) => [rule.id, rule] as const))(
    '%s has no remediation, so it defaults to report and rejects mode remediate',
    (id, rule) => {
      // Act
      const attempt = () => parseGuardrails(`rules: { ${id}: { mode: remediate } }`);

      // Assess
      expect(rule.mode).toBe('report');
      expect(attempt).toThrow(InvalidInputError);
      expect(attempt).toThrow(`rules.${id}.mode: ${id} has no safe automatic fix: use off or report`);
    },
  );

  it.each(withRemediation.map((rule) => [rule.id] as const))(
    '%s has a remediation, so mode remediate is accepted',
    (id) => {
      // Act
      const guardrails = parseGuardrails(`rules: { ${id}: { mode: remediate } }`);

      // Assess
      expect(guardrails.rules[id].mode).toBe('remediate');
    },
  );

  it.each(RULES.map((rule) => [rule.id, rule] as const))(
    '%s takes its default mode and severity from its definition',
    (id, rule) => {
      // Act
      const config = defaultGuardrails().rules[id];

      // Assess
      expect(config).toMatchObject({ mode: rule.mode, severity: rule.severity, dryRun: false });
    },
  );

  it('names the write types each remediation may emit', () => {
    // Act
    const writes = Object.fromEntries(withRemediation.map((rule) => [rule.id, rule.remediation!.writes]));

    // Assess
    expect(writes).toEqual({
      'ecr.lifecycle-policy': ['PutLifecyclePolicy'],
      'ecr.scan-on-push': ['PutImageScanningConfiguration', 'PutRegistryScanningConfiguration'],
      'ecr.tag-immutability': ['PutImageTagMutability'],
      'ecr.repository-policy': ['SetRepositoryPolicy', 'DeleteRepositoryPolicy'],
      'ecr.replication-destinations': ['PutReplicationConfiguration'],
      'ecr.registry-policy': ['PutRegistryPolicy', 'DeleteRegistryPolicy'],
      'ecr.creation-templates': ['CreateRepositoryCreationTemplate', 'UpdateRepositoryCreationTemplate'],
      'codebuild.project-visibility': ['UpdateProjectVisibility'],
      'codebuild.role-can-push': ['PutRolePolicy'],
      'codebuild.role-least-privilege': ['DetachRolePolicy'],
    });
  });

  it('finds a definition by id, and nothing for a string that names no rule', () => {
    // Assess
    expect(ruleById('ecr.encryption')?.scope).toBe('repository');
    expect(ruleById('ecr.nope')).toBeUndefined();
    expect(isRuleId('codebuild.logging')).toBe(true);
    expect(isRuleId('codebuild.Logging')).toBe(false);
  });

  it('says which rules need each read, as the audit reads them', () => {
    // Assess
    expect(rulesReading('registry-scanning')).toEqual(['ecr.scan-on-push']);
    expect(rulesReading('organization')).toEqual([
      'ecr.repository-policy',
      'ecr.registry-policy',
      'ecr.creation-templates',
    ]);
    expect(rulesReading('replication-configuration')).toEqual(['ecr.replication-destinations']);
    expect(rulesReading('registry-policy')).toEqual(['ecr.registry-policy', 'ecr.creation-templates']);
    expect(rulesReading('pull-through-cache-rules')).toEqual([
      'ecr.pull-through-cache',
      'ecr.creation-templates',
    ]);
    expect(rulesReading('repository-creation-templates')).toEqual([
      'ecr.pull-through-cache',
      'ecr.creation-templates',
    ]);
    expect(rulesReading('repository-details')).toEqual(['ecr.lifecycle-policy', 'ecr.repository-policy']);
    expect(rulesReading('repository-images')).toEqual(['ecr.lifecycle-policy']);
    expect(rulesReading('projects')).toEqual(RULE_IDS.filter((id) => id.startsWith('codebuild.')));
    expect(rulesReading('iam')).toEqual(RULE_IDS.filter((id) => id.startsWith('codebuild.role-')));
  });

  it('limits the reads and scopes to the rules asked about', () => {
    // Assess
    expect(rulesReading('organization', ['ecr.encryption'])).toEqual([]);
    expect([...rulesOfScope('service-role', ['codebuild.logging', 'codebuild.role-trust-policy'])]).toEqual([
      'codebuild.role-trust-policy',
    ]);
  });

  it('types each rule options from its own schema', () => {
    // Prepare
    const rules = defaultGuardrails().rules;

    // Act
    const days: number = rules['ecr.lifecycle-policy'].maxUntaggedAgeDays;
    // @ts-expect-error: a key the rule's schema does not define is a type error, not `any`.
    const missing: unknown = rules['ecr.lifecycle-policy'].maxUntaggedAgeHours;

    // Assess
    expect(days).toBe(14);
    expect(missing).toBeUndefined();
  });
});

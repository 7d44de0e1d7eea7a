/**
 * The `buildwarden:exempt` tag value: rule ids in any letter case, separated by commas, spaces or `+` (IAM and
 * CodeBuild tag values cannot hold commas), `*` for every rule; tokens naming no rule exempt nothing and become
 * finding notes.
 */
import {
  exemptionFor,
  exemptTagNotes,
  parseExemptTag,
  type ExemptionTarget,
} from '../../../lib/policy/exemptions';
import { evaluateAccount } from '../../../lib/policy/evaluate';
import { defaultGuardrails, parseGuardrails } from '../../../lib/policy/guardrails';
import { accountView, NOW, repository } from '../../fixtures/builders';

const roleTagged = (value: string): ExemptionTarget => ({ kind: 'role', name: 'r', exemptTag: value });

describe('parseExemptTag', () => {
  it.each([
    ['commas', 'ecr.encryption,ecr.tag-immutability'],
    ['commas and spaces', 'ecr.encryption, ecr.tag-immutability'],
    ['spaces only', 'ecr.encryption ecr.tag-immutability'],
    ['plus signs', 'ecr.encryption+ecr.tag-immutability'],
    ['plus signs with spaces', ' ecr.encryption + ecr.tag-immutability '],
  ])('reads two rule ids separated by %s', (_case, value) => {
    // Act
    const tag = parseExemptTag(value);

    // Assess
    expect([...tag.rules].sort()).toEqual(['ecr.encryption', 'ecr.tag-immutability']);
    expect(tag.notUnderstood).toEqual([]);
    expect(tag.all).toBe(false);
  });

  it('matches rule ids in any letter case and returns them as the rule ids', () => {
    // Act
    const tag = parseExemptTag('CodeBuild.Role-Can-Push+ECR.ENCRYPTION');

    // Assess
    expect([...tag.rules].sort()).toEqual(['codebuild.role-can-push', 'ecr.encryption']);
  });

  it('reads `*` among other tokens as every rule', () => {
    // Act
    const tag = parseExemptTag('ecr.encryption *');

    // Assess
    expect(tag.all).toBe(true);
  });

  it('lists each token that names no rule once, as written', () => {
    // Act
    const tag = parseExemptTag('ecr.encryptoin, ecr.tag-immutability, Lifecycle, ecr.encryptoin');

    // Assess
    expect(tag.notUnderstood).toEqual(['ecr.encryptoin', 'Lifecycle']);
    expect([...tag.rules]).toEqual(['ecr.tag-immutability']);
  });

  it('reads an empty or blank value as exempt from nothing', () => {
    // Act
    const tag = parseExemptTag('  ');

    // Assess
    expect(tag).toEqual({ all: false, rules: new Set(), notUnderstood: [] });
  });
});

describe('exemptTagNotes', () => {
  it('says which token was not understood', () => {
    // Act
    const notes = exemptTagNotes('ecr.encryption+everything');

    // Assess
    expect(notes).toEqual(['exemption tag not understood: everything']);
  });

  it('has no notes for an absent tag', () => {
    // Act
    const notes = exemptTagNotes(undefined);

    // Assess
    expect(notes).toEqual([]);
  });
});

describe('exemptionFor with the tag syntax', () => {
  it('exempts a role tagged with an upper-case rule id separated by `+`', () => {
    // Act
    const reason = exemptionFor(
      roleTagged('CODEBUILD.ROLE-CAN-PUSH+codebuild.role-trust-policy'),
      'codebuild.role-can-push',
      defaultGuardrails(),
    );

    // Assess
    expect(reason).toBe('role tag buildwarden:exempt=CODEBUILD.ROLE-CAN-PUSH+codebuild.role-trust-policy');
  });

  it('does not exempt from a rule the tag does not name, even when the tag holds unknown tokens', () => {
    // Act
    const reason = exemptionFor(
      roleTagged('codebuild.role-trust-policy all-rules'),
      'codebuild.role-can-push',
      defaultGuardrails(),
    );

    // Assess
    expect(reason).toBeUndefined();
  });

  it('does not treat a rule id that is only a prefix of another as that rule', () => {
    // Act
    const reason = exemptionFor(roleTagged('codebuild.role'), 'codebuild.role-can-push', defaultGuardrails());

    // Assess
    expect(reason).toBeUndefined();
  });
});

describe('findings of a resource whose exemption tag is not understood', () => {
  const tagged = (value: string) =>
    evaluateAccount(
      accountView({
        repositories: [
          repository('team/a', {
            imageTagMutability: 'MUTABLE',
            tags: [{ Key: 'buildwarden:exempt', Value: value }],
          }),
        ],
      }),
      parseGuardrails(''),
      { now: NOW, ruleIds: ['ecr.tag-immutability', 'ecr.encryption'] },
    );

  it('carry the note "exemption tag not understood: X" and stay violations', () => {
    // Act
    const findings = tagged('ecr.tag-imutability');

    // Assess
    const immutability = findings.find((f) => f.ruleId === 'ecr.tag-immutability')!;
    expect(immutability.status).toBe('violation');
    expect(immutability.notes).toEqual(['exemption tag not understood: ecr.tag-imutability']);
  });

  it('are exempt from the rule the tag does name, and carry the note', () => {
    // Act
    const findings = tagged('ECR.TAG-IMMUTABILITY + nonsense');

    // Assess
    const immutability = findings.find((f) => f.ruleId === 'ecr.tag-immutability')!;
    expect(immutability.status).toBe('exempt');
    expect(immutability.notes).toEqual(['exemption tag not understood: nonsense']);
  });

  it('have no notes when every token is understood', () => {
    // Act
    const findings = tagged('ecr.tag-immutability');

    // Assess
    expect(findings.every((f) => f.notes === undefined)).toBe(true);
  });
});

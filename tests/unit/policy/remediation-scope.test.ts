/**
 * Remediation plans outside the repository rules: UpdateProjectVisibility for codebuild.project-visibility, and
 * the `remediableRoles` pattern every role write is confined to.
 */
import type { Finding } from '../../../lib/policy/findings';
import { defaultGuardrails, type Guardrails } from '../../../lib/policy/guardrails';
import { projectSchema, roleSchema, type Project, type Role } from '../../../lib/policy/model';
import { DEFAULT_REMEDIABLE_ROLES, isRemediableRole } from '../../../lib/policy/remediable-roles';
import {
  confineToDetachablePolicies,
  confineToGrantedTemplateWrites,
  confineToRemediableRoles,
  planRemediation,
  withinDeclaredWrites,
  type PlannedChange,
} from '../../../lib/policy/remediation';
import { ACCOUNT, guardrailsWith, NOW, REGION } from '../../fixtures/builders';
import { awsSample } from '../../fixtures/load';

const PROJECT_ARN = `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/docs-site`;

function publicProject(): Project {
  const raw = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[1]!;
  return projectSchema().parse({
    ...raw,
    name: 'docs-site',
    arn: PROJECT_ARN,
    projectVisibility: 'PUBLIC_READ',
  });
}

function visibilityViolation(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'codebuild.project-visibility',
    resourceType: 'AWS::CodeBuild::Project',
    resourceArn: PROJECT_ARN,
    status: 'violation',
    severity: 'high',
    message: 'the project is PUBLIC_READ',
    remediable: true,
    details: { projectVisibility: 'PUBLIC_READ' },
    ...overrides,
  };
}

/** The project's fixes for one finding, as the change handler plans them. */
function planProjectVisibility(project: Project, finding: Finding, guardrails: Guardrails): PlannedChange[] {
  return planRemediation({ scope: 'project', resource: project }, [finding], { guardrails, now: NOW });
}

describe('planRemediation for codebuild.project-visibility', () => {
  it('plans nothing with the default guardrails (mode report)', () => {
    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), defaultGuardrails());

    // Assess
    expect(plan).toEqual([]);
  });

  it('in mode remediate, plans UpdateProjectVisibility to PRIVATE on the project ARN', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate' });

    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), guardrails);

    // Assess
    expect(plan).toEqual([
      {
        ruleId: 'codebuild.project-visibility',
        resourceArn: PROJECT_ARN,
        dryRun: false,
        write: { type: 'UpdateProjectVisibility', projectArn: PROJECT_ARN, projectVisibility: 'PRIVATE' },
        before: 'PUBLIC_READ',
        after: 'PRIVATE',
      },
    ]);
  });

  it('marks the plan dry run when the rule is in dry run', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate', dryRun: true });

    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), guardrails);

    // Assess
    expect(plan.map((p) => p.dryRun)).toEqual([true]);
  });

  it('plans nothing for an exempt finding', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate' });

    // Act
    const plan = planProjectVisibility(
      publicProject(),
      visibilityViolation({ status: 'exempt', remediable: false }),
      guardrails,
    );

    // Assess
    expect(plan).toEqual([]);
  });

  it('plans nothing for a finding of another rule', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate' });

    // Act
    const plan = planProjectVisibility(
      publicProject(),
      visibilityViolation({ ruleId: 'codebuild.logging' }),
      guardrails,
    );

    // Assess
    expect(plan).toEqual([]);
  });
});

describe('isRemediableRole', () => {
  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/service-role/web-build-role`, DEFAULT_REMEDIABLE_ROLES, true],
    [`arn:aws:iam::${ACCOUNT}:role/service-role/team/nested-role`, DEFAULT_REMEDIABLE_ROLES, true],
    [`arn:aws:iam::${ACCOUNT}:role/web-build-role`, DEFAULT_REMEDIABLE_ROLES, false],
    [`arn:aws:iam::${ACCOUNT}:role/admin/service-role/x`, DEFAULT_REMEDIABLE_ROLES, false],
    [`arn:aws:iam::${ACCOUNT}:role/Service-Role/web-build-role`, DEFAULT_REMEDIABLE_ROLES, false],
    [`arn:aws:iam::${ACCOUNT}:role/ci-web`, 'ci-*', true],
    [`arn:aws-cn:iam::${ACCOUNT}:role/service-role/x`, DEFAULT_REMEDIABLE_ROLES, true],
    ['web-build-role', '*', false],
    [`arn:aws:iam::${ACCOUNT}:user/service-role/x`, '*', false],
  ])('%s against %s: %s', (arn, pattern, expected) => {
    // Act
    const inside = isRemediableRole(arn, pattern);

    // Assess
    expect(inside).toBe(expected);
  });
});

describe('confineToRemediableRoles', () => {
  const putRolePolicy = (roleArn: string): PlannedChange => ({
    ruleId: 'codebuild.role-can-push',
    resourceArn: roleArn,
    dryRun: false,
    write: {
      type: 'PutRolePolicy',
      roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1),
      policyName: 'buildwarden-ecr-push',
      policyDocument: '{}',
    },
    before: null,
    after: {},
  });

  it('keeps a role write inside the pattern as it is', () => {
    // Prepare
    const plan = putRolePolicy(`arn:aws:iam::${ACCOUNT}:role/service-role/web-build-role`);

    // Act
    const confined = confineToRemediableRoles(plan, DEFAULT_REMEDIABLE_ROLES);

    // Assess
    expect(confined).toBe(plan);
  });

  it('turns a role write outside the pattern into a refusal naming the role and the pattern', () => {
    // Prepare
    const plan = putRolePolicy(`arn:aws:iam::${ACCOUNT}:role/ci/deployer`);

    // Act
    const confined = confineToRemediableRoles(plan, DEFAULT_REMEDIABLE_ROLES);

    // Assess
    expect(confined.write).toBeUndefined();
    expect(confined.refused).toBe(
      'role deployer is outside remediableRoles (service-role/*): buildwarden may not change it; fix it by hand or widen remediableRoles',
    );
    expect(confined).toMatchObject({ ruleId: 'codebuild.role-can-push', before: null, after: {} });
  });

  it('confines DetachRolePolicy too', () => {
    // Prepare
    const plan: PlannedChange = {
      ruleId: 'codebuild.role-least-privilege',
      resourceArn: `arn:aws:iam::${ACCOUNT}:role/legacy-build-role`,
      dryRun: false,
      write: {
        type: 'DetachRolePolicy',
        roleName: 'legacy-build-role',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      },
      before: [],
      after: [],
    };

    // Act
    const confined = confineToRemediableRoles(plan, DEFAULT_REMEDIABLE_ROLES);

    // Assess
    expect(confined.write).toBeUndefined();
    expect(confined.refused).toMatch(/^role legacy-build-role is outside remediableRoles/);
  });

  it('leaves writes to other resources alone', () => {
    // Prepare
    const plan: PlannedChange = {
      ruleId: 'codebuild.project-visibility',
      resourceArn: PROJECT_ARN,
      dryRun: false,
      write: { type: 'UpdateProjectVisibility', projectArn: PROJECT_ARN, projectVisibility: 'PRIVATE' },
      before: 'PUBLIC_READ',
      after: 'PRIVATE',
    };

    // Act
    const confined = confineToRemediableRoles(plan, 'nothing-matches');

    // Assess
    expect(confined).toBe(plan);
  });
});

describe('planRemediation for service roles', () => {
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/web-build-role`;
  const REPOSITORY = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/web`;
  const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
  const role = (): Role =>
    roleSchema().parse({
      RoleName: 'web-build-role',
      Arn: ROLE,
      AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }],
    });
  const cannotPush = (overrides: Partial<Finding> = {}): Finding => ({
    ruleId: 'codebuild.role-can-push',
    resourceType: 'AWS::IAM::Role',
    resourceArn: ROLE,
    status: 'violation',
    severity: 'high',
    message: 'role web-build-role cannot push',
    remediable: true,
    details: { missing: ['ecr:PutImage'], repositoryArn: REPOSITORY },
    ...overrides,
  });
  const adminAttached = (): Finding => ({
    ruleId: 'codebuild.role-least-privilege',
    resourceType: 'AWS::IAM::Role',
    resourceArn: ROLE,
    status: 'violation',
    severity: 'high',
    message: 'role web-build-role grants more than a build needs',
    // Least privilege never marks a finding remediable: its fix only detaches, it never narrows statements.
    remediable: false,
    details: {
      excess: [
        { policy: 'AdministratorAccess', policyArn: ADMIN, reason: 'administrator-class' },
        { policy: 'inline-0', statement: '#0', reason: 'grants every action' },
      ],
    },
  });
  const plan = (finding: Finding, guardrails: Guardrails) =>
    planRemediation({ scope: 'service-role', resource: role() }, [finding], { guardrails, now: NOW });

  it('plans the push policy for a remediable role-can-push violation (default mode remediate)', () => {
    // Act
    const plans = plan(cannotPush(), defaultGuardrails());

    // Assess
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({
      ruleId: 'codebuild.role-can-push',
      resourceArn: ROLE,
      dryRun: false,
      write: { type: 'PutRolePolicy', roleName: 'web-build-role', policyName: 'buildwarden-ecr-push' },
      before: null,
    });
  });

  it('plans nothing for a role-can-push violation that is not remediable (blocked by a Deny)', () => {
    // Act
    const plans = plan(cannotPush({ remediable: false }), defaultGuardrails());

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for least privilege in its default mode (report)', () => {
    // Act
    const plans = plan(adminAttached(), defaultGuardrails());

    // Assess
    expect(plans).toEqual([]);
  });

  it('in mode remediate, detaches the administrator-class policy of a least-privilege violation', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.role-least-privilege', { mode: 'remediate' });

    // Act
    const plans = plan(adminAttached(), guardrails);

    // Assess
    expect(plans).toEqual([
      {
        ruleId: 'codebuild.role-least-privilege',
        resourceArn: ROLE,
        dryRun: false,
        write: { type: 'DetachRolePolicy', roleName: 'web-build-role', policyArn: ADMIN },
        before: [ADMIN],
        after: [],
      },
    ]);
  });

  it('plans nothing for a finding whose rule judges another scope', () => {
    // Act
    const plans = plan(
      visibilityViolation({ resourceArn: ROLE }),
      guardrailsWith('codebuild.project-visibility', { mode: 'remediate' }),
    );

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for a finding of a rule that has no remediation', () => {
    // Act
    const plans = plan(
      { ...adminAttached(), ruleId: 'codebuild.role-trust-policy', remediable: true },
      defaultGuardrails(),
    );

    // Assess
    expect(plans).toEqual([]);
  });
});

describe('withinDeclaredWrites', () => {
  const fix = {
    write: {
      type: 'UpdateProjectVisibility' as const,
      projectArn: PROJECT_ARN,
      projectVisibility: 'PRIVATE' as const,
    },
    before: 'PUBLIC_READ',
    after: 'PRIVATE',
  };

  it('keeps a fix whose write the rule declares', () => {
    // Act
    const kept = withinDeclaredWrites('codebuild.project-visibility', ['UpdateProjectVisibility'], fix);

    // Assess
    expect(kept).toBe(fix);
  });

  it('refuses a fix whose write the rule does not declare: the call would not be granted', () => {
    // Act
    const refused = withinDeclaredWrites('codebuild.project-visibility', ['PutRolePolicy'], fix);

    // Assess
    expect(refused).toEqual({
      before: 'PUBLIC_READ',
      after: 'PRIVATE',
      refused:
        'UpdateProjectVisibility is not among the writes rule codebuild.project-visibility declares, so it is not granted',
    });
  });
});

describe('confineToDetachablePolicies', () => {
  const detach = (policyArn: string): PlannedChange => ({
    ruleId: 'codebuild.role-least-privilege',
    resourceArn: `arn:aws:iam::${ACCOUNT}:role/service-role/legacy-build-role`,
    dryRun: false,
    write: { type: 'DetachRolePolicy', roleName: 'legacy-build-role', policyArn },
    before: [policyArn],
    after: [],
  });
  const CUSTOM = `arn:aws:iam::${ACCOUNT}:policy/legacy-ci-access`;

  it.each([
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/PowerUserAccess',
    'arn:aws-us-gov:iam::aws:policy/IAMFullAccess',
  ])('keeps the detach of the administrator-class %s', (policyArn) => {
    // Prepare
    const plan = detach(policyArn);

    // Act
    const confined = confineToDetachablePolicies(plan, []);

    // Assess
    expect(confined).toBe(plan);
  });

  it('keeps the detach of a customer managed policy listed in detachablePolicyArns', () => {
    // Prepare
    const plan = detach(CUSTOM);

    // Act
    const confined = confineToDetachablePolicies(plan, [CUSTOM]);

    // Assess
    expect(confined).toBe(plan);
  });

  it.each([
    ['a customer managed policy not listed', CUSTOM],
    ['an AWS managed policy outside the administrator class', 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ['a look-alike of an administrator-class name', `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`],
  ])('turns the detach of %s into a refusal naming the policy and the role', (_label, policyArn) => {
    // Prepare
    const plan = detach(policyArn);

    // Act
    const confined = confineToDetachablePolicies(plan, ['arn:aws:iam::111122223333:policy/other']);

    // Assess
    expect(confined.write).toBeUndefined();
    expect(confined.refused).toBe(
      `policy ${policyArn} is not administrator-class and not listed in detachablePolicyArns: buildwarden may not detach it from role legacy-build-role; detach it by hand or add its ARN to detachablePolicyArns`,
    );
  });

  it('leaves writes other than DetachRolePolicy alone', () => {
    // Prepare
    const plan: PlannedChange = {
      ruleId: 'codebuild.role-can-push',
      resourceArn: `arn:aws:iam::${ACCOUNT}:role/service-role/web-build-role`,
      dryRun: false,
      write: {
        type: 'PutRolePolicy',
        roleName: 'web-build-role',
        policyName: 'buildwarden-ecr-push',
        policyDocument: '{}',
      },
      before: null,
      after: {},
    };

    // Act
    const confined = confineToDetachablePolicies(plan, []);

    // Assess
    expect(confined).toBe(plan);
  });
});

describe('confineToGrantedTemplateWrites', () => {
  const RESOURCE = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository-creation-template/docker-hub`;
  const template = (
    type: 'CreateRepositoryCreationTemplate' | 'UpdateRepositoryCreationTemplate',
    role?: string,
  ) =>
    ({
      ruleId: 'ecr.creation-templates',
      resourceArn: RESOURCE,
      dryRun: false,
      write: {
        type,
        prefix: 'docker-hub',
        appliedFor: ['PULL_THROUGH_CACHE'],
        imageTagMutability: 'IMMUTABLE',
        ...(role ? { customRoleArn: role } : {}),
      },
      before: null,
      after: {},
    }) as PlannedChange;

  it.each(['CreateRepositoryCreationTemplate', 'UpdateRepositoryCreationTemplate'] as const)(
    'keeps a %s without a customRoleArn',
    (type) => {
      // Prepare
      const plan = template(type);

      // Act
      const confined = confineToGrantedTemplateWrites(plan);

      // Assess
      expect(confined).toBe(plan);
    },
  );

  it('refuses a template write that passes a customRoleArn, naming the role and iam:PassRole', () => {
    // Prepare
    const role = `arn:aws:iam::${ACCOUNT}:role/ecr-template-role`;

    // Act
    const confined = confineToGrantedTemplateWrites(template('CreateRepositoryCreationTemplate', role));

    // Assess
    expect(confined.write).toBeUndefined();
    expect(confined.refused).toBe(
      `the template for docker-hub needs customRoleArn ${role}, and passing a role to ECR needs iam:PassRole, which buildwarden's change handler is not granted: create it by hand`,
    );
  });
});

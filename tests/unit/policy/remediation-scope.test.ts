/**
 * Remediation plans outside the repository rules: UpdateProjectVisibility for codebuild.project-visibility, and
 * the `remediableRoles` pattern every role write is confined to.
 */
import type { Finding } from '../../../lib/policy/findings';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import { projectSchema, type Project } from '../../../lib/policy/model';
import { DEFAULT_REMEDIABLE_ROLES, isRemediableRole } from '../../../lib/policy/remediable-roles';
import {
  confineToRemediableRoles,
  planProjectVisibility,
  type PlannedChange,
} from '../../../lib/policy/remediation';
import { ACCOUNT, guardrailsWith, REGION } from '../../fixtures/builders';
import { awsSample } from '../../fixtures/load';

const PROJECT_ARN = `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/docs-site`;

function publicProject(): Project {
  const raw = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[1]!;
  return projectSchema.parse({
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

describe('planProjectVisibility', () => {
  it('plans nothing with the default guardrails (mode report)', () => {
    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), defaultGuardrails());

    // Assess
    expect(plan).toBeUndefined();
  });

  it('in mode remediate, plans UpdateProjectVisibility to PRIVATE on the project ARN', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate' });

    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), guardrails);

    // Assess
    expect(plan).toEqual({
      ruleId: 'codebuild.project-visibility',
      resourceArn: PROJECT_ARN,
      dryRun: false,
      write: { type: 'UpdateProjectVisibility', projectArn: PROJECT_ARN, projectVisibility: 'PRIVATE' },
      before: 'PUBLIC_READ',
      after: 'PRIVATE',
    });
  });

  it('marks the plan dry run when the rule is in dry run', () => {
    // Prepare
    const guardrails = guardrailsWith('codebuild.project-visibility', { mode: 'remediate', dryRun: true });

    // Act
    const plan = planProjectVisibility(publicProject(), visibilityViolation(), guardrails);

    // Assess
    expect(plan?.dryRun).toBe(true);
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
    expect(plan).toBeUndefined();
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
    expect(plan).toBeUndefined();
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

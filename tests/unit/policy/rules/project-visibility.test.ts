/**
 * codebuild.project-visibility: a PUBLIC_READ project exposes its build logs and artifacts. The projects start
 * from the official `aws codebuild batch-get-projects` sample; `projectVisibility` and `publicProjectAlias` are
 * the BatchGetProjects fields of the CodeBuild API model (ProjectVisibilityType: PUBLIC_READ | PRIVATE).
 */
import { evaluateProject } from '../../../../lib/policy/evaluate';
import { defaultGuardrails } from '../../../../lib/policy/guardrails';
import { projectSchema, type Project } from '../../../../lib/policy/model';
import { PROJECT_RULES } from '../../../../lib/policy/rules/index';
import { projectVisibilityRule } from '../../../../lib/policy/rules/codebuild/project-visibility';
import { ruleContext } from '../../../fixtures/builders';
import { awsSample } from '../../../fixtures/load';

/** Sample project 1 ("my-other-demo-project") with `overrides`. */
function project(overrides: Record<string, unknown> = {}): Project {
  const raw = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[1]!;
  return projectSchema().parse({ ...raw, ...overrides });
}

describe('codebuild.project-visibility', () => {
  it('is listed with the project rules', () => {
    // Act
    const rule = PROJECT_RULES.find((r) => r.id === 'codebuild.project-visibility');

    // Assess
    expect(rule?.evaluate).toBe(projectVisibilityRule);
  });

  it('is compliant for a project without projectVisibility (the official sample: never made public)', () => {
    // Act
    const outcome = projectVisibilityRule(project(), ruleContext());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { projectVisibility: 'PRIVATE' } });
  });

  it('is compliant for a PRIVATE project', () => {
    // Act
    const outcome = projectVisibilityRule(project({ projectVisibility: 'PRIVATE' }), ruleContext());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('is a remediable violation for a PUBLIC_READ project, naming its public alias', () => {
    // Prepare
    const alias = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

    // Act
    const outcome = projectVisibilityRule(
      project({ projectVisibility: 'PUBLIC_READ', publicProjectAlias: alias }),
      ruleContext(),
    );

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      remediable: true,
      details: { projectVisibility: 'PUBLIC_READ', publicProjectAlias: alias },
    });
    expect(outcome.message).toMatch(/PUBLIC_READ.*logs and artifacts/);
  });

  it('does not guess a visibility it does not know is private: not-visible, naming the value', () => {
    // Act
    const outcome = projectVisibilityRule(project({ projectVisibility: 'PUBLIC_WRITE' }), ruleContext());

    // Assess
    expect(outcome.status).toBe('not-visible');
    expect(outcome.message).toContain('"PUBLIC_WRITE"');
  });

  it('reports with severity high and mode report by default', () => {
    // Prepare
    const guardrails = defaultGuardrails();

    // Act
    const [finding] = evaluateProject(
      project({ projectVisibility: 'PUBLIC_READ' }),
      ruleContext({ guardrails }),
      new Set(['codebuild.project-visibility']),
    );

    // Assess
    expect(finding).toMatchObject({ status: 'violation', severity: 'high', remediable: true });
    expect(guardrails.rules['codebuild.project-visibility'].mode).toBe('report');
  });

  it('is exempt on a project tagged buildwarden:exempt with its id', () => {
    // Act
    const [finding] = evaluateProject(
      project({
        projectVisibility: 'PUBLIC_READ',
        tags: [{ key: 'buildwarden:exempt', value: 'codebuild.project-visibility' }],
      }),
      ruleContext(),
      new Set(['codebuild.project-visibility']),
    );

    // Assess
    expect(finding).toMatchObject({ status: 'exempt', remediable: false });
  });
});

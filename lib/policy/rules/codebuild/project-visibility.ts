/** `codebuild.project-visibility`: a project's builds are not visible to the public. */
import type { Project } from '../../model';
import { projectRule, type ProposedFix } from '../definition';
import type { ProjectRule } from '../types';

/**
 * A PUBLIC_READ project shows its build results, logs and artifacts to anyone with its public URL, including
 * builds run while it was private and whatever a build printed (CodeBuild User Guide, "Public build projects").
 * BatchGetProjects leaves projectVisibility out for a project that was never made public: absent is PRIVATE.
 * A value this rule does not know is not guessed to be private.
 */
export const projectVisibilityRule: ProjectRule = (project) => {
  const projectVisibility = project.projectVisibility ?? 'PRIVATE';
  if (projectVisibility === 'PRIVATE') {
    return {
      status: 'compliant',
      message: 'the project is PRIVATE: its builds are not visible to the public',
      details: { projectVisibility },
    };
  }
  if (projectVisibility === 'PUBLIC_READ') {
    return {
      status: 'violation',
      message:
        'the project is PUBLIC_READ: its build results, logs and artifacts (of every build, also those run ' +
        'while it was private) are visible to anyone with its public URL; make it PRIVATE unless it is meant ' +
        'to be public, and check its logs for secrets',
      remediable: true,
      details: {
        projectVisibility,
        ...(project.publicProjectAlias ? { publicProjectAlias: project.publicProjectAlias } : {}),
      },
    };
  }
  return {
    status: 'not-visible',
    message: `projectVisibility ${JSON.stringify(projectVisibility).slice(0, 60)} is not one buildwarden knows (PUBLIC_READ, PRIVATE)`,
    details: { projectVisibility },
  };
};

function makePrivate(project: Project): ProposedFix {
  return {
    write: { type: 'UpdateProjectVisibility', projectArn: project.arn, projectVisibility: 'PRIVATE' },
    before: project.projectVisibility ?? 'PRIVATE',
    after: 'PRIVATE',
  };
}

/** Remediation makes a PUBLIC_READ project PRIVATE: opt in (the default mode is report), since it takes public
 * build pages away. */
export const projectVisibility = projectRule({
  id: 'codebuild.project-visibility',
  severity: 'high',
  mode: 'report',
  title: 'CodeBuild projects should not be publicly readable',
  recommendation:
    'Set the project visibility to PRIVATE. buildwarden does it when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/codebuild/latest/userguide/public-builds.html',
  reads: ['projects'],
  summary: "the project is not `PUBLIC_READ` (its builds' results, logs and artifacts would be public)",
  remediates: 'makes the project `PRIVATE` (opt in: mode `remediate`)',
  evaluate: projectVisibilityRule,
  remediation: {
    writes: ['UpdateProjectVisibility'],
    plan: makePrivate,
  },
});

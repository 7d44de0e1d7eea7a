/**
 * `codebuild.privileged-mode`: privileged mode (root on the build host's kernel, for docker-in-docker) only on
 * projects that build container images. Report only: turning it off breaks image builds.
 */
import { matchesAny } from '../../wildcard';
import { namePatterns, projectRule } from '../definition';
import type { ProjectRule } from '../types';

/** Project tag that declares "this project builds container images", which is what privileged mode is for. */
export const DOCKER_BUILD_TAG = 'buildwarden:docker-build';

/**
 * Privileged mode runs the Docker daemon inside the build container with root on the host kernel. CodeBuild
 * needs it only to build images, so it is allowed on projects tagged `buildwarden:docker-build=true` (key
 * exact, as AWS tag keys are case-sensitive; value `true` in any letter case) or whose name matches one of
 * `dockerBuildProjects`.
 */
export const privilegedModeRule: ProjectRule = (project, ctx) => {
  if (project.environment?.privilegedMode !== true) {
    return { status: 'compliant', message: 'privileged mode is off', details: { privilegedMode: false } };
  }
  const tagged = (project.tags ?? []).some(
    (tag) => tag.key === DOCKER_BUILD_TAG && tag.value?.trim().toLowerCase() === 'true',
  );
  if (tagged) {
    return {
      status: 'compliant',
      message: `privileged mode is on; the project is tagged ${DOCKER_BUILD_TAG}=true (it builds container images)`,
      details: { privilegedMode: true, allowedBy: 'tag' },
    };
  }
  const patterns = ctx.guardrails.rules['codebuild.privileged-mode'].dockerBuildProjects;
  const pattern = patterns.find((p) => matchesAny(project.name, [p]));
  if (pattern !== undefined) {
    return {
      status: 'compliant',
      message: `privileged mode is on; the project name matches docker-build pattern "${pattern}"`,
      details: { privilegedMode: true, allowedBy: 'pattern', pattern },
    };
  }
  return {
    status: 'violation',
    message:
      `privileged mode is on but the project is not declared a container-image build: turn privilegedMode off, ` +
      `or tag the project ${DOCKER_BUILD_TAG}=true / list it in dockerBuildProjects if it builds images`,
    remediable: false,
    details: { privilegedMode: true },
  };
};

export const privilegedMode = projectRule({
  id: 'codebuild.privileged-mode',
  severity: 'high',
  mode: 'report',
  options: () => ({
    /** Project-name patterns (`*` wildcard) allowed to run privileged, besides the docker-build tag. */
    dockerBuildProjects: namePatterns(),
  }),
  title: 'CodeBuild projects should use privileged mode only to build images',
  recommendation:
    'Turn off privileged mode, or mark the project as an image build (tag buildwarden:docker-build=true).',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html',
  reads: ['projects'],
  summary:
    'privileged mode only on image builds (tagged `buildwarden:docker-build=true` or named in ' +
    '`dockerBuildProjects`)',
  remediates: 'never: turning privileged mode off can break the build',
  evaluate: privilegedModeRule,
});

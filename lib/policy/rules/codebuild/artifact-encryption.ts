/** `codebuild.artifact-encryption`: no primary or secondary artifact with encryption disabled. Report only. */
import { projectRule } from '../definition';
import type { ProjectRule } from '../types';

export const artifactEncryptionRule: ProjectRule = (project) => {
  const artifacts = [
    ...(project.artifacts ? [{ label: 'primary', artifact: project.artifacts }] : []),
    ...(project.secondaryArtifacts ?? []).map((artifact, index) => ({
      label: artifact.artifactIdentifier ?? `secondary #${index + 1}`,
      artifact,
    })),
  ];
  const unencrypted = artifacts
    .filter(({ artifact }) => artifact.type !== 'NO_ARTIFACTS' && artifact.encryptionDisabled === true)
    .map(({ label }) => label);
  if (unencrypted.length === 0) {
    return {
      status: 'compliant',
      message:
        artifacts.length === 0 ? 'the project declares no artifacts' : 'every build artifact is encrypted',
      details: { unencryptedArtifacts: [] },
    };
  }
  const names = unencrypted.map((label) =>
    label === 'primary' ? 'primary artifacts' : `artifact "${label}"`,
  );
  return {
    status: 'violation',
    message: `build output is stored unencrypted (encryptionDisabled): ${names.join(', ')}`,
    remediable: false,
    details: { unencryptedArtifacts: unencrypted },
  };
};

export const artifactEncryption = projectRule({
  id: 'codebuild.artifact-encryption',
  severity: 'medium',
  mode: 'report',
  title: 'CodeBuild project artifacts should be encrypted',
  recommendation: 'Turn artifact encryption back on for every primary and secondary artifact.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html',
  reads: ['projects'],
  summary: 'no primary or secondary artifact has encryption disabled',
  remediates: 'never: changing the artifacts can break what consumes them',
  evaluate: artifactEncryptionRule,
});

/** `codebuild.logging`: a project's build logs go somewhere (CloudWatch Logs or S3). Report only. */
import { projectRule } from '../definition';
import type { ProjectRule } from '../types';

type LogStatus = 'ENABLED' | 'DISABLED';

/**
 * Defaults from the CodeBuild API model (botocore codebuild 2016-10-06, shape LogsConfig): "CloudWatch Logs
 * are enabled by default" and "S3 logs are not enabled by default". So an absent logsConfig, or one without
 * cloudWatchLogs, means CloudWatch Logs is on; the rule fires only when CloudWatch Logs is explicitly
 * DISABLED and S3 logs are absent or DISABLED.
 */
export const loggingRule: ProjectRule = (project) => {
  const cloudWatchLogs: LogStatus = project.logsConfig?.cloudWatchLogs?.status ?? 'ENABLED';
  const s3Logs: LogStatus = project.logsConfig?.s3Logs?.status ?? 'DISABLED';
  const cloudWatchLogsByDefault = project.logsConfig?.cloudWatchLogs === undefined;
  const details = { cloudWatchLogs, s3Logs, cloudWatchLogsByDefault };
  if (cloudWatchLogs === 'DISABLED' && s3Logs === 'DISABLED') {
    return {
      status: 'violation',
      message: 'build logs go nowhere: CloudWatch Logs and S3 logs are both disabled; enable at least one',
      remediable: false,
      details,
    };
  }
  const enabled = [
    ...(cloudWatchLogs === 'ENABLED'
      ? [cloudWatchLogsByDefault ? 'CloudWatch Logs (API default)' : 'CloudWatch Logs']
      : []),
    ...(s3Logs === 'ENABLED' ? ['S3 logs'] : []),
  ];
  return { status: 'compliant', message: `build logs enabled: ${enabled.join(', ')}`, details };
};

export const logging = projectRule({
  id: 'codebuild.logging',
  severity: 'medium',
  mode: 'report',
  title: 'CodeBuild projects should have logging enabled',
  recommendation: 'Enable CloudWatch Logs or S3 logs in the project logs configuration.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html',
  reads: ['projects'],
  summary: 'build logs go to CloudWatch Logs or S3 (CloudWatch Logs is on unless disabled)',
  remediates: "never: where logs go is the project owner's choice",
  evaluate: loggingRule,
});

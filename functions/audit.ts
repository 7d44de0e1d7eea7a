/**
 * Scheduled audit. Trigger: EventBridge schedule (`auditSchedule` in serverless.yml).
 * Audits every repository, project and service role against the guardrails and publishes one summary
 * notification. Errors are rethrown so Lambda's retry and the on-failure destination see them.
 */
import { logger } from '../lib/logger';
import { runtimeConfig, withAccount } from '../lib/runtime/core';
import { auditWiring } from '../lib/runtime/audit';
import { auditAndNotify } from '../lib/usecases/audit';

export const handler = async (
  event: unknown,
): Promise<{ violations: number; notVisible: number; findings: number }> => {
  const config = runtimeConfig();
  logger.info('scheduled audit started', { trigger: (event as { id?: string } | null)?.id ?? 'unknown' });
  const report = await withAccount(auditWiring, (deps) =>
    auditAndNotify(deps, config.guardrails, {
      now: new Date(),
      concurrency: config.BUILDWARDEN_AUDIT_CONCURRENCY,
      topOffenders: config.BUILDWARDEN_AUDIT_TOP_OFFENDERS,
    }),
  );
  const result = {
    violations: report.summary.byStatus.violation,
    notVisible: report.summary.byStatus['not-visible'],
    findings: report.findings.length,
  };
  logger.info('scheduled audit finished', { ...result, byRule: report.summary.byRule });
  return result;
};

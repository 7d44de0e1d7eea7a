/**
 * Scheduled audit. Trigger: EventBridge schedule (`auditSchedule` in serverless.yml).
 * Audits every repository, project and service role against the guardrails and publishes one summary
 * notification. Errors are rethrown so Lambda's retry and the on-failure destination see them.
 */
import { logger } from '../lib/logger';
import {
  awsOrganization,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
  snsNotifier,
} from '../lib/runtime/adapters';
import { scheduledHandler } from '../lib/runtime/event-handler';
import { auditAndNotify } from '../lib/usecases/audit';

export const handler = scheduledHandler({
  needs: [ecrRegistry, codebuildProjects, iamIdentity, awsOrganization, snsNotifier],
  async run(trigger, deps, { settings, guardrails, now }) {
    logger.info('scheduled audit started', { trigger });
    const report = await auditAndNotify(deps, guardrails, {
      now,
      concurrency: settings.BUILDWARDEN_AUDIT_CONCURRENCY,
      topOffenders: settings.BUILDWARDEN_AUDIT_TOP_OFFENDERS,
    });
    const result = {
      violations: report.summary.byStatus.violation,
      notVisible: report.summary.byStatus['not-visible'],
      findings: report.findings.length,
    };
    logger.info('scheduled audit finished', { ...result, byRule: report.summary.byRule });
    return result;
  },
});

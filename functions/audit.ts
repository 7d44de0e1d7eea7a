/**
 * Scheduled audit. Trigger: EventBridge schedule (`auditSchedule` in serverless.yml).
 * Audits every repository, project and service role against the guardrails, brings the findings state (and,
 * with `securityHub: true`, Security Hub) up to date, keeps the HTML report and the JSON findings in the
 * reports bucket, and publishes one summary notification that leads with what changed since the last audit.
 * Errors are rethrown so Lambda's retry and the on-failure destination see them.
 */
import { logger } from '../lib/logger';
import type { Finding } from '../lib/policy/findings';
import {
  awsOrganization,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
  s3Reports,
  securityHubFindings,
  snsNotifier,
} from '../lib/runtime/adapters';
import { omitPort } from '../lib/runtime/compose';
import { scheduledHandler } from '../lib/runtime/event-handler';
import { dynamoFindings } from '../lib/runtime/tables';
import { auditAndNotify } from '../lib/usecases/audit';

export const handler = scheduledHandler({
  needs: [
    ecrRegistry,
    codebuildProjects,
    iamIdentity,
    awsOrganization,
    snsNotifier,
    dynamoFindings,
    securityHubFindings,
    s3Reports,
  ],
  async run(trigger, deps, { settings, guardrails, now }) {
    logger.info('scheduled audit started', { trigger });
    const audit = await auditAndNotify(
      // Security Hub is built (and called) only when findings go there.
      settings.BUILDWARDEN_SECURITY_HUB ? deps : omitPort(deps, 'securityHub'),
      guardrails,
      {
        now,
        concurrency: settings.BUILDWARDEN_AUDIT_CONCURRENCY,
        topOffenders: settings.BUILDWARDEN_AUDIT_TOP_OFFENDERS,
        retentionDays: settings.BUILDWARDEN_FINDINGS_RETENTION_DAYS,
      },
    );
    const result = {
      violations: audit.summary.byStatus.violation,
      notVisible: audit.summary.byStatus['not-visible'],
      findings: audit.findings.length,
      new: audit.delta?.newFindings.length ?? 0,
      resolved: audit.delta?.resolved.length ?? 0,
      reports: audit.reports.map((r) => r.key),
      problems: audit.problems,
      /** Open findings (violations and not-visible) by rule and severity. */
      openByRule: openByRuleAndSeverity(audit.findings),
      durationMs: Date.now() - now.getTime(),
    };
    logger.info('scheduled audit finished', { ...result, byRule: audit.summary.byRule });
    return result;
  },
  metrics: {
    function: 'audit',
    of: (result) => [
      ...result.openByRule.map(({ rule, severity, count }) => ({
        name: 'OpenFindings',
        value: count,
        dimensions: { rule, severity },
      })),
      { name: 'NewFindings', value: result.new },
      { name: 'ResolvedFindings', value: result.resolved },
      { name: 'NotificationsPublished', value: 1 },
      { name: 'AuditDuration', value: result.durationMs, unit: 'Milliseconds' },
    ],
  },
});

function openByRuleAndSeverity(
  findings: readonly Finding[],
): { rule: string; severity: string; count: number }[] {
  const counts = new Map<string, { rule: string; severity: string; count: number }>();
  for (const f of findings) {
    if (f.status !== 'violation' && f.status !== 'not-visible') continue;
    const key = `${f.ruleId} ${f.severity}`;
    const entry = counts.get(key) ?? { rule: f.ruleId, severity: f.severity, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort(
    (a, b) => a.rule.localeCompare(b.rule) || a.severity.localeCompare(b.severity),
  );
}

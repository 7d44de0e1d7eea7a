import { isRuleId, RULE_IDS, type RuleId } from '../../policy/guardrails';
import { runAudit } from '../../usecases/audit';
import { liveDeps, sandboxDeps } from '../deps';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { findingsTable, progressReporter } from '../format';
import { loadGuardrails, loadSandbox, settingsOf } from '../inputs';

export function parseRuleList(value: string | undefined): RuleId[] | undefined {
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !isRuleId(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new UsageError(
      `--rules: unknown rule id(s): ${unknown.join(', ') || '(none given)'}\nvalid ids: ${RULE_IDS.join(', ')}`,
    );
  }
  return ids as RuleId[];
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Audit every ECR repository, CodeBuild project and service role against the guardrails.',
  usage: 'buildwarden audit [--snapshot FILE] [--config FILE] [--format table|json] [--rules ID,…]',
  details:
    'Without --snapshot the account of the current AWS credentials and region is read (read-only calls;\n' +
    'AWS_ENDPOINT_URL is honoured). Exit status: 0 no violations, 1 violations or resources that could not\n' +
    'be judged (not-visible), 2 bad usage or bad input.',
  options: {
    snapshot: {
      type: 'string',
      valueName: 'FILE',
      description: 'audit a snapshot file (the sandbox) instead of the live account',
    },
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'guardrails file (default: $BUILDWARDEN_CONFIG, ./guardrails.yml, or built-in defaults)',
    },
    format: { type: 'string', valueName: 'FORMAT', description: 'table (default) or json' },
    rules: {
      type: 'string',
      valueName: 'IDS',
      description: 'comma-separated rule ids to run (default: every rule not set to off)',
    },
    'show-compliant': { type: 'boolean', description: 'table format: list compliant findings too' },
    concurrency: {
      type: 'string',
      valueName: 'N',
      description: 'per-repository reads in flight at once (default $BUILDWARDEN_AUDIT_CONCURRENCY, else 16)',
    },
  },
  async run({ values }, io) {
    const format = choiceOption(values, 'format', ['table', 'json'] as const, 'table');
    const ruleIds = parseRuleList(stringOption(values, 'rules'));
    const concurrencyText = stringOption(values, 'concurrency');
    const concurrency =
      concurrencyText === undefined ? settingsOf(io).BUILDWARDEN_AUDIT_CONCURRENCY : Number(concurrencyText);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new UsageError('--concurrency must be an integer from 1 to 64');
    }
    const { guardrails } = loadGuardrails(stringOption(values, 'config'), io);
    const snapshotFile = stringOption(values, 'snapshot');
    const deps = snapshotFile ? sandboxDeps(loadSandbox(snapshotFile, io)) : await liveDeps(settingsOf(io));
    const report = await runAudit(deps, guardrails, {
      now: new Date(),
      concurrency,
      ...(ruleIds ? { ruleIds } : {}),
      ...(snapshotFile ? {} : { onProgress: progressReporter(io) }),
    });
    io.stdout(
      format === 'json'
        ? `${JSON.stringify({ findings: report.findings, summary: report.summary }, null, 2)}\n`
        : findingsTable(report, { showCompliant: values['show-compliant'] === true }),
    );
    const failing = report.summary.byStatus.violation + report.summary.byStatus['not-visible'];
    return failing > 0 ? EXIT.findings : EXIT.ok;
  },
};

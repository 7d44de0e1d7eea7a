import path from 'node:path';
import { isRuleId, RULE_IDS, type RuleId } from '../../policy/rules/index';
import { activeRules } from '../../policy/evaluate';
import {
  baselineFromRecords,
  baselineScopeProblem,
  deltaLines,
  parsePreviousReport,
  type PreviousReport,
} from '../../policy/delta';
import { InvalidInputError } from '../../policy/validation';
import { buildReportData, reportJson, type ReportData } from '../../report/data';
import { renderCsv } from '../../report/csv';
import { renderHtml } from '../../report/html';
import { auditWithResources } from '../../usecases/audit';
import { auditDocuments, recordAuditFindings } from '../../usecases/findings-state';
import { liveDeps, sandboxDeps } from '../deps';
import { choiceOption, EXIT, stringOption, UsageError, type Command, type Io } from '../framework';
import { findingsTable, progressReporter } from '../format';
import { loadGuardrails, loadSandbox, readJsonFile, settingsOf } from '../inputs';
import { writeOutputFile } from '../outputs';
import { ORG_TARGET_OPTIONS, runOrganizationAudit } from './audit-org';

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

/** Output formats (the Security Hub export adds `asff`). */
const FORMATS = ['table', 'json', 'html', 'csv', 'asff'] as const;
type Format = Exclude<(typeof FORMATS)[number], 'asff'>;

/** An earlier `--format json` report; anything else is exit 2 naming the file. */
function loadBaseline(file: string, io: Io): PreviousReport {
  try {
    return parsePreviousReport(readJsonFile(file, io), file);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError(
      `--baseline ${file} is not an earlier \`buildwarden audit --format json\` report:\n  ${error.problems.join('\n  ')}`,
    );
  }
}

function render(format: Format, data: ReportData, options: { showCompliant: boolean }): string {
  switch (format) {
    case 'json':
      return reportJson(data);
    case 'html':
      return renderHtml(data);
    case 'csv':
      return renderCsv(data);
    case 'table': {
      const table = findingsTable(data, options);
      return data.delta ? `${deltaLines(data.delta).join('\n')}\n\n${table}` : table;
    }
  }
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Audit every ECR repository, CodeBuild project and service role against the guardrails.',
  usage:
    'buildwarden audit [--snapshot FILE|DIR [--save]] [--config FILE] [--format table|json|html|csv|asff] [--out FILE] [--baseline FILE] [--rules ID,…]\n' +
    '       buildwarden audit --org [--snapshot DIR] [--regions R1,R2] [--accounts ID,…] [--role-name NAME] [--external-id ID] [--concurrency N] [--format table|json]',
  details:
    'Without --snapshot the account of the current AWS credentials and region is read (read-only calls;\n' +
    'AWS_ENDPOINT_URL is honoured). Exit status: 0 no violations, 1 violations or resources that could not\n' +
    'be judged (not-visible), 2 bad usage or bad input.\n' +
    'With --baseline (an earlier --format json report) every format also shows the delta: new findings,\n' +
    'resolved ones, those still open with their age, and the oldest open critical ones.\n' +
    'With --snapshot and --save the findings history in the snapshot (buildwarden.findings) is brought up to\n' +
    'date and written back, as the scheduled audit does with its findings table; without --baseline the delta\n' +
    'is then taken from that history.',
  options: {
    snapshot: {
      type: 'string',
      valueName: 'FILE',
      description:
        'audit a snapshot file (the sandbox) instead of the live account; with --org, a fleet directory of snapshots',
    },
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'guardrails file (default: $BUILDWARDEN_CONFIG, ./guardrails.yml, or built-in defaults)',
    },
    format: {
      type: 'string',
      valueName: 'FORMAT',
      description:
        'table (default), json, html (one self-contained page), csv, or asff (the AWS Security Finding Format documents sent to Security Hub)',
    },
    out: {
      type: 'string',
      valueName: 'FILE',
      description: 'write the report here (default: standard output)',
    },
    baseline: {
      type: 'string',
      valueName: 'FILE',
      description: 'an earlier --format json report: show what is new, resolved and still open since',
    },
    rules: {
      type: 'string',
      valueName: 'IDS',
      description: 'comma-separated rule ids to run (default: every rule not set to off)',
    },
    save: {
      type: 'boolean',
      description: "with --snapshot: record the findings in the snapshot's history and write the file back",
    },
    'show-compliant': { type: 'boolean', description: 'table format: list compliant findings too' },
    org: {
      type: 'boolean',
      description:
        'audit every account and region of the organization (with --snapshot: of the fleet directory); table or json',
    },
    ...ORG_TARGET_OPTIONS,
    concurrency: {
      type: 'string',
      valueName: 'N',
      description:
        'per-repository reads in flight at once (default $BUILDWARDEN_AUDIT_CONCURRENCY, else 16); with --org, account-regions audited at once (default 4)',
    },
  },
  async run({ values }, io) {
    const format = choiceOption(values, 'format', FORMATS, 'table');
    const baselineFile = stringOption(values, 'baseline');
    const previous = baselineFile === undefined ? undefined : loadBaseline(baselineFile, io);
    const ruleIds = parseRuleList(stringOption(values, 'rules'));
    const concurrencyText = stringOption(values, 'concurrency');
    const concurrency =
      concurrencyText === undefined ? settingsOf(io).BUILDWARDEN_AUDIT_CONCURRENCY : Number(concurrencyText);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new UsageError('--concurrency must be an integer from 1 to 64');
    }
    const { guardrails } = loadGuardrails(stringOption(values, 'config'), io);
    const snapshotFile = stringOption(values, 'snapshot');
    const save = values.save === true;
    if (save && !snapshotFile) throw new UsageError('--save goes with --snapshot');
    if (values.org === true) {
      if (format !== 'table' && format !== 'json') throw new UsageError('--org: --format table or json');
      if (previous) throw new UsageError('--org: --baseline is for one account');
      return runOrganizationAudit(
        {
          snapshot: snapshotFile,
          format,
          out: stringOption(values, 'out'),
          regions: stringOption(values, 'regions'),
          accounts: stringOption(values, 'accounts'),
          roleName: stringOption(values, 'role-name'),
          externalId: stringOption(values, 'external-id'),
          concurrency: concurrencyText === undefined ? 4 : concurrency,
          readConcurrency: settingsOf(io).BUILDWARDEN_AUDIT_CONCURRENCY,
          ruleIds,
          showCompliant: values['show-compliant'] === true,
        },
        guardrails,
        io,
      );
    }
    for (const flag of ['regions', 'accounts', 'role-name', 'external-id'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --org`);
    }
    const sandbox = snapshotFile ? loadSandbox(snapshotFile, io) : undefined;
    const deps = sandbox ? sandboxDeps(sandbox) : await liveDeps(settingsOf(io));
    const { report, resourceArns } = await auditWithResources(deps, guardrails, {
      now: new Date(),
      concurrency,
      ...(ruleIds ? { ruleIds } : {}),
      ...(snapshotFile ? {} : { onProgress: progressReporter(io) }),
    });
    const problem = previous && baselineScopeProblem(previous, report);
    if (problem) throw new UsageError(`--baseline ${baselineFile}: ${problem}`);
    const evaluatedRules = activeRules(guardrails, ruleIds);
    // --save: the snapshot's history is the baseline (unless one is given), then it is brought up to date.
    const history =
      save && sandbox
        ? await sandbox.findingsStore.records({ accountId: report.accountId, region: report.region })
        : undefined;
    const baseline = previous ?? (history && baselineFromRecords(history, report));
    const text =
      format === 'asff'
        ? // The snapshot's findings history (buildwarden.findings) decides what is new, resolved or still open.
          `${JSON.stringify(await auditDocuments(sandbox?.findingsStore, report, { evaluatedRules }), null, 2)}\n`
        : render(format, buildReportData(report, baseline, { evaluatedRules }), {
            showCompliant: values['show-compliant'] === true,
          });
    if (save && sandbox && history && snapshotFile) {
      await recordAuditFindings({ findingsStore: sandbox.findingsStore }, report, {
        evaluatedRules,
        existingResources: resourceArns,
        retentionDays: settingsOf(io).BUILDWARDEN_FINDINGS_RETENTION_DAYS,
        previous: history,
      });
      sandbox.saveTo(path.resolve(io.cwd, snapshotFile));
    }
    const out = stringOption(values, 'out');
    if (out === undefined) {
      io.stdout(text);
    } else {
      writeOutputFile('--out', out, text, io);
      io.stderr(`wrote ${out} (${report.findings.length} findings)\n`);
    }
    const failing = report.summary.byStatus.violation + report.summary.byStatus['not-visible'];
    return failing > 0 ? EXIT.findings : EXIT.ok;
  },
};

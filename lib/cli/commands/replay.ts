import { parseChangeEvent } from '../../policy/change-events';
import { onChangeEvent, type ChangeAction } from '../../usecases/on-change';
import { onBuildStateChanged, onImagePushed, onScanCompleted } from '../../usecases/scan-gate';
import { parseBuildStateEvent, parseImagePushEvent, parseScanEvent } from '../../policy/scan/events';
import type { Guardrails } from '../../policy/guardrails';
import type { Notification } from '../../ports';
import type { SandboxAccount } from '../../sandbox/account';
import { sandboxChangeDeps } from '../deps';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadGuardrails, loadSandbox, readInputFile } from '../inputs';
import { InvalidInputError } from '../../policy/validation';

interface ReplayResult {
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
  verdict?: unknown;
  build?: unknown;
  producedBy?: unknown;
}

/** Routes an event to the use case its Lambda function runs, by detail-type, as the EventBridge rules do. */
async function replayEvent(
  raw: unknown,
  sandbox: SandboxAccount,
  guardrails: Guardrails,
  options: { dryRun: boolean; ownRole: string | undefined },
): Promise<ReplayResult> {
  const detailType =
    raw && typeof raw === 'object' ? (raw as Record<string, unknown>)['detail-type'] : undefined;
  const now = new Date();
  const deps = {
    account: sandbox.info,
    projects: sandbox,
    verdicts: sandbox,
    notifier: sandbox,
    findings: sandbox,
  };
  if (detailType === 'ECR Image Scan' || detailType === 'Inspector2 Scan') {
    if (options.dryRun) throw new UsageError('--dry-run applies to change events only');
    const { verdict, notifications } = await onScanCompleted(parseScanEvent(raw), deps, guardrails, now);
    return { skipped: null, actions: [], notifications, verdict };
  }
  if (detailType === 'CodeBuild Build State Change') {
    if (options.dryRun) throw new UsageError('--dry-run applies to change events only');
    const { build, notifications } = await onBuildStateChanged(parseBuildStateEvent(raw), deps, guardrails);
    return { skipped: null, actions: [], notifications, build };
  }
  if (detailType === 'ECR Image Action') {
    if (options.dryRun) throw new UsageError('--dry-run applies to change events only');
    const { producedBy } = await onImagePushed(parseImagePushEvent(raw), deps);
    return { skipped: null, actions: [], notifications: [], producedBy };
  }
  const change: ReplayResult = await onChangeEvent(
    parseChangeEvent(raw),
    sandboxChangeDeps(sandbox),
    guardrails,
    {
      now,
      ownRoleArns: options.ownRole ? [options.ownRole] : [],
      dryRun: options.dryRun,
    },
  );
  return change;
}

export const replayCommand: Command = {
  name: 'replay',
  summary:
    'Run an EventBridge event (change, scan, build or push) through the handler code path against a snapshot.',
  usage:
    'buildwarden replay --snapshot FILE --event FILE [--dry-run] [--save] [--config FILE] [--format json|table]',
  details:
    'Prints { skipped, actions, notifications }. --save writes the changed account back to the snapshot file.\n' +
    "Events caused by $BUILDWARDEN_REMEDIATION_ROLE_ARN (buildwarden's own role) are skipped, as in Lambda.",
  options: {
    snapshot: { type: 'string', valueName: 'FILE', description: 'the account to run against (required)' },
    event: { type: 'string', valueName: 'FILE', description: 'the EventBridge event JSON (required)' },
    'dry-run': { type: 'boolean', description: 'plan and notify, write nothing' },
    save: { type: 'boolean', description: 'write the changed account back to the snapshot file' },
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'guardrails file (default: $BUILDWARDEN_CONFIG, ./guardrails.yml, or defaults)',
    },
    format: { type: 'string', valueName: 'FORMAT', description: 'json (default) or table' },
  },
  async run({ values }, io) {
    const format = choiceOption(values, 'format', ['json', 'table'] as const, 'json');
    const snapshotFile = stringOption(values, 'snapshot');
    const eventFile = stringOption(values, 'event');
    if (!snapshotFile || !eventFile) throw new UsageError('--snapshot FILE and --event FILE are required');
    if (values.save && values['dry-run'])
      throw new UsageError('--save with --dry-run would save nothing; choose one');
    const { guardrails } = loadGuardrails(stringOption(values, 'config'), io);
    const sandbox = loadSandbox(snapshotFile, io);
    let raw: unknown;
    try {
      raw = JSON.parse(readInputFile(eventFile, io));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new InvalidInputError(eventFile, [`not valid JSON: ${(error as Error).message}`]);
    }
    let result: ReplayResult;
    try {
      result = await replayEvent(raw, sandbox, guardrails, {
        dryRun: values['dry-run'] === true,
        ownRole: io.env.BUILDWARDEN_REMEDIATION_ROLE_ARN,
      });
    } catch (error) {
      // Name the file the bad event came from.
      if (error instanceof InvalidInputError)
        throw new InvalidInputError(`${eventFile} (${error.source})`, error.problems);
      throw error;
    }
    if (values.save) sandbox.saveTo(snapshotFile);
    if (format === 'json') {
      io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const lines = result.skipped
        ? [`skipped: ${result.skipped}`]
        : [
            ...('verdict' in result ? [`verdict: ${(result.verdict as { verdict: string }).verdict}`] : []),
            ...result.actions.map(
              (a) =>
                `${a.applied ? 'applied' : 'planned'}  ${a.ruleId}  ${a.action}${a.reason ? `  (${a.reason})` : ''}`,
            ),
            `${result.actions.length} action(s), ${result.notifications.length} notification(s)`,
          ];
      io.stdout(`${lines.join('\n')}\n`);
    }
    return EXIT.ok;
  },
};

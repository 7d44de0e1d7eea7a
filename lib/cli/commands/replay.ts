import { replayEvent, useCaseFor, type ReplayResult } from '../../usecases/replay';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadGuardrails, loadSandbox, readInputFile } from '../inputs';
import { InvalidInputError } from '../../policy/validation';

export const replayCommand: Command = {
  name: 'replay',
  summary:
    'Run an EventBridge event (change, scan, build or push) through the handler code path against a snapshot.',
  usage:
    'buildwarden replay --snapshot FILE --event FILE [--dry-run] [--save] [--config FILE] [--format json|table]',
  details:
    'Prints { skipped, actions, notifications }. --save writes the changed account back to the snapshot file.\n' +
    "Events caused by $BUILDWARDEN_REMEDIATION_ROLE_ARN (buildwarden's own role) are skipped, as in Lambda.\n" +
    'Role fixes are confined to $BUILDWARDEN_REMEDIABLE_ROLES (default service-role/*), as in Lambda.',
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
    const detailType =
      raw && typeof raw === 'object' ? (raw as Record<string, unknown>)['detail-type'] : undefined;
    if (values['dry-run'] && useCaseFor(detailType) !== 'onChangeEvent') {
      throw new UsageError('--dry-run applies to change events only');
    }
    let result: ReplayResult;
    try {
      const ownRole = io.env.BUILDWARDEN_REMEDIATION_ROLE_ARN;
      const remediableRoles = io.env.BUILDWARDEN_REMEDIABLE_ROLES;
      result = await replayEvent(raw, sandbox.ports(), guardrails, {
        now: new Date(),
        dryRun: values['dry-run'] === true,
        ownRoleArns: ownRole ? [ownRole] : [],
        ...(remediableRoles ? { remediableRoles } : {}),
      });
    } catch (error) {
      // Name the file the bad event came from.
      if (error instanceof InvalidInputError)
        throw new InvalidInputError(`${eventFile} (${error.source})`, error.problems);
      throw error;
    }
    if (values.save) sandbox.saveTo(snapshotFile);
    if (format === 'json') {
      const { useCase: _useCase, ...printed } = result;
      io.stdout(`${JSON.stringify(printed, null, 2)}\n`);
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

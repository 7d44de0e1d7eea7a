import {
  awsOrganization,
  awsRemediator,
  codebuildProjects,
  ecrImages,
  ecrRegistry,
  ecrScanFindings,
  iamIdentity,
  snsNotifier,
} from '../../runtime/adapters';
import { dynamoVerdictsAndBuilds } from '../../runtime/tables';
import { compose } from '../../runtime/compose';
import { replayEvent, routeEvent, type ReplayResult } from '../../usecases/replay';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadFleet, loadGuardrails, readJsonFile, settingsOf } from '../inputs';
import type { SandboxAccount } from '../../sandbox/account';
import type { SandboxFleet } from '../../sandbox/fleet';
import { InvalidInputError } from '../../policy/validation';
import { changeOptionsOf } from '../../runtime/members';

/** What the four event functions use between them: an event runs with the ports its function has. */
const REPLAY_NEEDS = [
  ecrRegistry,
  codebuildProjects,
  iamIdentity,
  awsOrganization,
  awsRemediator,
  snsNotifier,
  ecrScanFindings,
  ecrImages,
  dynamoVerdictsAndBuilds,
] as const;

/** What --dry-run means for events that do not go to the change handler. */
const DRY_RUN_NO_OP =
  '--dry-run changes nothing for scan, build and push events: they never write to the account, and the ' +
  'verdicts and build records they produce stay in memory unless --save (which --dry-run refuses)';

/** The fleet account an event goes to: a fleet of one takes every event; a larger fleet routes by account and region. */
function routeToFleet(
  fleet: SandboxFleet,
  raw: unknown,
): { sandbox: SandboxAccount; file: string | undefined } | { skipped: string } {
  const targets = fleet.list();
  const [only] = targets;
  if (targets.length === 1 && only !== undefined)
    return { sandbox: fleet.account(only), file: fleet.fileOf(only) };
  const event = (raw ?? {}) as { account?: unknown; region?: unknown };
  if (typeof event.account !== 'string' || typeof event.region !== 'string') {
    throw new UsageError('--event: the event names no account and region to route it to in the fleet');
  }
  const target = { accountId: event.account, region: event.region };
  if (!fleet.has(target))
    return { skipped: `account ${target.accountId} in ${target.region} is not in the fleet` };
  return { sandbox: fleet.account(target), file: fleet.fileOf(target) };
}

export const replayCommand: Command = {
  name: 'replay',
  summary:
    'Run an EventBridge event through the function whose event pattern matches it, against a snapshot.',
  usage:
    'buildwarden replay --snapshot FILE|DIR --event FILE [--dry-run] [--save] [--config FILE] [--format json|table]',
  details:
    'Prints { skipped, actions, notifications }. The event is routed by the event patterns the functions are\n' +
    'deployed with: an event no function subscribes to is skipped ("no function subscribes to <detail-type>",\n' +
    'exit 0); a file that is not an EventBridge event exits 2. --dry-run: change events are planned and\n' +
    'notified, nothing is written; scan, build and push events run unchanged (they never change the account).\n' +
    '--save writes the changed account back to the snapshot file.\n' +
    'With a fleet directory of several accounts the event is routed to the account and region it names; one\n' +
    'the fleet does not hold is skipped ("account <id> in <region> is not in the fleet", exit 0).\n' +
    "Events caused by $BUILDWARDEN_REMEDIATION_ROLE_ARN (buildwarden's own role) are skipped, as in Lambda.\n" +
    'Role fixes are confined to $BUILDWARDEN_REMEDIABLE_ROLES (default service-role/*), as in Lambda.',
  options: {
    snapshot: {
      type: 'string',
      valueName: 'PATH',
      description:
        'the account to run against (required): a snapshot file, or a fleet directory (the event goes to the account and region it names)',
    },
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
    const settings = settingsOf(io);
    const { guardrails } = loadGuardrails(stringOption(values, 'config'), io);
    const raw = readJsonFile(eventFile, io);
    const fleet = loadFleet(snapshotFile, io);
    const routed = routeToFleet(fleet, raw);
    if ('skipped' in routed) {
      // A fleet of several accounts: the event names an account and region the fleet does not hold.
      io.stdout(
        format === 'json'
          ? `${JSON.stringify({ skipped: routed.skipped, actions: [], notifications: [] }, null, 2)}\n`
          : `skipped: ${routed.skipped}\n`,
      );
      return EXIT.ok;
    }
    const { sandbox, file: savedTo } = routed;
    const dryRun = values['dry-run'] === true;
    let result: ReplayResult;
    try {
      if (dryRun && routeEvent(raw).function !== 'onChange') io.stderr(`note: ${DRY_RUN_NO_OP}\n`);
      const deps = await compose(settings, REPLAY_NEEDS, { sandbox });
      result = await replayEvent(raw, deps, guardrails, {
        ...changeOptionsOf(settings, new Date()),
        dryRun,
      });
    } catch (error) {
      // Name the file the bad event came from.
      if (error instanceof InvalidInputError)
        throw new InvalidInputError(`${eventFile} (${error.source})`, error.problems);
      throw error;
    }
    if (values.save) sandbox.saveTo(savedTo ?? snapshotFile);
    if (format === 'json') {
      const { function: _function, ...printed } = result;
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

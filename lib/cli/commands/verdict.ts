import { ACCOUNT_ID, REGION } from '../../policy/aws-facts';
import { ConfigError } from '../../errors';
import { parseVerdictPath } from '../../policy/gate-request';
import { InvalidInputError } from '../../policy/validation';
import { dynamoVerdicts } from '../../runtime/tables';
import { AdapterScope, composePorts } from '../../runtime/compose';
import { imageVerdict } from '../../usecases/scan-gate';
import { choiceOption, EXIT, stringOption, UsageError, type Command } from '../framework';
import { loadSandbox, settingsOf } from '../inputs';

export const verdictCommand: Command = {
  name: 'verdict',
  summary: 'May this image ship? Prints the stored scan verdict of REPOSITORY at DIGEST.',
  usage:
    'buildwarden verdict REPOSITORY DIGEST [--snapshot FILE | --table NAME] [--registry ACCOUNT_ID] [--registry-region REGION] [--format text|json]',
  details:
    'Exit status: 0 pass, 1 fail (or the scan failed, or the image was deleted), 3 unknown (not scanned yet), 2 bad usage.\n' +
    'Without --snapshot the DynamoDB table is --table or $BUILDWARDEN_VERDICTS_TABLE (stack output VerdictsTableName).\n' +
    'The image is looked up in the account and region of the snapshot (or of the AWS credentials), unless --registry\n' +
    'and --registry-region name another.',
  options: {
    snapshot: {
      type: 'string',
      valueName: 'FILE',
      description: 'read the verdict kept in a snapshot (the sandbox)',
    },
    table: {
      type: 'string',
      valueName: 'NAME',
      description: 'the verdicts DynamoDB table of the deployed stack',
    },
    registry: {
      type: 'string',
      valueName: 'ACCOUNT_ID',
      description: 'the registry (account) of the image (default: the own account)',
    },
    'registry-region': {
      type: 'string',
      valueName: 'REGION',
      description: 'the region of the image (default: the own region)',
    },
    format: { type: 'string', valueName: 'FORMAT', description: 'text (default) or json' },
  },
  positionals: [2, 2],
  async run({ values, positionals }, io) {
    const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
    const [repository, digest] = positionals as [string, string];
    let query;
    try {
      query = parseVerdictPath(`${repository}/${digest}/verdict`);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new InvalidInputError('arguments', error.problems);
      throw error;
    }
    const { repositoryName, imageDigest } = query;
    const registry = stringOption(values, 'registry');
    if (registry !== undefined && !ACCOUNT_ID.test(registry))
      throw new UsageError(`--registry must be a 12-digit account id (got "${registry.slice(0, 40)}")`);
    const registryRegion = stringOption(values, 'registry-region');
    if (registryRegion !== undefined && !REGION.test(registryRegion))
      throw new UsageError(
        `--registry-region must be an AWS region such as us-east-1 (got "${registryRegion.slice(0, 40)}")`,
      );
    const snapshot = stringOption(values, 'snapshot');
    const settings = settingsOf(io);
    const table = stringOption(values, 'table') ?? settings.BUILDWARDEN_VERDICTS_TABLE;
    if (!snapshot && !table)
      throw new UsageError('give --snapshot FILE, or --table NAME (or set BUILDWARDEN_VERDICTS_TABLE)');
    const sandbox = snapshot ? loadSandbox(snapshot, io) : undefined;
    const scope = new AdapterScope();
    const { verdicts } = composePorts(
      { ...settings, BUILDWARDEN_VERDICTS_TABLE: table },
      [dynamoVerdicts],
      sandbox ? { sandbox } : { scope },
    );
    // The own account and region: the snapshot's, or the credentials' (asked only when a flag leaves it open).
    const own = sandbox?.info ?? (registry && registryRegion ? undefined : await scope.accountInfo());
    let verdict;
    try {
      verdict = await imageVerdict(verdicts, {
        registryId: registry ?? own!.accountId,
        region: registryRegion ?? own!.region,
        repositoryName,
        imageDigest,
      });
    } catch (error) {
      // The table the user named does not exist (the store names it and the region): bad usage.
      if (!snapshot && error instanceof ConfigError) {
        throw new UsageError(
          `${error.message} (--table or $BUILDWARDEN_VERDICTS_TABLE: the stack output VerdictsTableName)`,
        );
      }
      throw error;
    }
    if (!verdict) {
      io.stdout(
        format === 'json'
          ? `${JSON.stringify({ verdict: 'unknown', repositoryName, imageDigest })}\n`
          : `unknown: ${repositoryName}@${imageDigest} has not been scanned yet\n`,
      );
      return EXIT.unknown;
    }
    if (format === 'json') {
      io.stdout(`${JSON.stringify(verdict, null, 2)}\n`);
    } else {
      const counts = Object.entries(verdict.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      const by = verdict.producedBy
        ? ` — built by ${verdict.producedBy.project} (${verdict.producedBy.buildId})`
        : '';
      const deleted =
        verdict.verdict === 'deleted'
          ? ` — deleted ${verdict.deletedAt ?? ''}${verdict.verdictBeforeDeletion ? `, last scan verdict ${verdict.verdictBeforeDeletion}` : ''}`
          : '';
      io.stdout(
        `${verdict.verdict}: ${repositoryName}@${imageDigest}${counts ? ` (${counts})` : ''}${deleted}${by}\n`,
      );
    }
    return verdict.verdict === 'pass' ? EXIT.ok : EXIT.findings;
  },
};

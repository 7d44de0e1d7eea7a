import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { captureSnapshot } from '../../usecases/snapshot';
import { liveDeps } from '../deps';
import { EXIT, stringOption, UsageError, type Command } from '../framework';
import { progressReporter } from '../format';
import { settingsOf } from '../inputs';
import { ORG_TARGET_OPTIONS } from './audit-org';
import { snapshotOrganization } from './snapshot-org';

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary:
    'Read the live account (current credentials and region) into a snapshot file. Read-only calls only.',
  usage:
    'buildwarden snapshot [--out FILE] [--include-secrets]\n' +
    '       buildwarden snapshot --org --out DIR [--snapshot DIR] [--regions R1,R2] [--accounts ID,…] [--role-name NAME] [--external-id ID] [--include-secrets]',
  details:
    'Credential-looking values (PLAINTEXT environment variables the credential rules flag, credentials in\n' +
    'source URLs, secrets in inline buildspecs) are written as <redacted:REASON>; an audit of the snapshot\n' +
    'still reports them. --include-secrets writes them in clear. Reads that fail are recorded as unreadable\n' +
    '(the call and the error), so the audit of the snapshot reports them not-visible as the live audit does.',
  options: {
    out: {
      type: 'string',
      valueName: 'FILE',
      description:
        'write the snapshot here (default: standard output); with --org, the directory of the fleet',
    },
    org: {
      type: 'boolean',
      description:
        'every account and region of the organization: one snapshot per account-region into the directory --out (required), and fleet.json',
    },
    snapshot: {
      type: 'string',
      valueName: 'DIR',
      description: 'with --org: read a fleet directory (the sandbox) instead of the live organization',
    },
    ...ORG_TARGET_OPTIONS,
    'include-secrets': {
      type: 'boolean',
      description: 'keep credential-looking values in clear (default: <redacted:REASON>)',
    },
  },
  async run({ values }, io) {
    if (values.org === true) return snapshotOrganization(values, io);
    for (const flag of ['snapshot', 'regions', 'accounts', 'role-name', 'external-id'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --org`);
    }
    const deps = await liveDeps(settingsOf(io));
    let redacted = 0;
    const snapshot = await captureSnapshot(deps, {
      now: new Date(),
      includeSecrets: values['include-secrets'] === true,
      onRedacted: () => (redacted += 1),
      onProgress: progressReporter(io),
      onUnreadable: (name, reason) =>
        io.stderr(`warning: could not read ${name} (recorded as unreadable): ${reason}\n`),
      onOrganizationUnreadable: (reason) =>
        io.stderr(
          `warning: could not read the account's organization (organizationId left out): ${reason}\n`,
        ),
    });
    if (redacted > 0) {
      io.stderr(
        `redacted ${redacted} credential-looking value(s) as <redacted:REASON> (--include-secrets keeps them)\n`,
      );
    }
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    const out = stringOption(values, 'out');
    if (out === undefined) {
      io.stdout(text);
    } else {
      const full = path.resolve(io.cwd, out);
      // Owner-only: with --include-secrets the file holds credentials in clear.
      writeFileSync(`${full}.tmp`, text, { mode: 0o600 });
      renameSync(`${full}.tmp`, full);
      io.stderr(`wrote ${out}: ${snapshot.ecr.repositories.length} repositories\n`);
    }
    return EXIT.ok;
  },
};

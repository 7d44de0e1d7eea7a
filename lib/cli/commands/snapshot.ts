import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { captureSnapshot } from '../../usecases/snapshot';
import { liveDeps } from '../deps';
import { EXIT, stringOption, type Command } from '../framework';
import { progressReporter } from '../format';

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary:
    'Read the live account (current credentials and region) into a snapshot file. Read-only calls only.',
  usage: 'buildwarden snapshot [--out FILE]',
  options: {
    out: {
      type: 'string',
      valueName: 'FILE',
      description: 'write the snapshot here (default: standard output)',
    },
  },
  async run({ values }, io) {
    const deps = await liveDeps();
    const snapshot = await captureSnapshot(deps, {
      now: new Date(),
      onProgress: progressReporter(io),
      onUnreadable: (name, reason) =>
        io.stderr(`warning: could not read ${name} (recorded as unreadable): ${reason}\n`),
    });
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    const out = stringOption(values, 'out');
    if (out === undefined) {
      io.stdout(text);
    } else {
      const full = path.resolve(io.cwd, out);
      writeFileSync(`${full}.tmp`, text);
      renameSync(`${full}.tmp`, full);
      io.stderr(`wrote ${out}: ${snapshot.ecr.repositories.length} repositories\n`);
    }
    return EXIT.ok;
  },
};

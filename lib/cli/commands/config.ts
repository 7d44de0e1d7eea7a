import { stringify } from 'yaml';
import { EXIT, type Command } from '../framework';
import { loadGuardrails } from '../inputs';

export const configValidateCommand: Command = {
  name: 'config validate',
  summary: 'Validate a guardrails file and print the effective configuration (defaults filled in).',
  usage: 'buildwarden config validate [FILE]',
  details:
    'Without FILE: $BUILDWARDEN_CONFIG, ./guardrails.yml, or the built-in defaults. Exit 2 when invalid.',
  options: {},
  positionals: [0, 1],
  async run({ positionals }, io) {
    const { guardrails, source } = loadGuardrails(positionals[0], io);
    io.stdout(`# effective guardrails from ${source}\n${stringify(guardrails)}`);
    return EXIT.ok;
  },
};

/**
 * `npm run member-template [-- --guardrails FILE] [--out FILE]`: writes the member-account CloudFormation
 * template (default deploy/member-account.yml) built by scripts/member-template.ts, formatted as the repository
 * formats YAML. The provisioned roles' boundary comes from the guardrails file (default guardrails.yml, the
 * file the hub ships by default): deploying the hub with another guardrailsFile, generate with the same file.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseGuardrails } from '../lib/policy/guardrails';
import { MEMBER_TEMPLATE_FILE, memberTemplateText } from './member-template';

const REPO_ROOT = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { guardrails: { type: 'string', default: 'guardrails.yml' }, out: { type: 'string' } },
  });
  const guardrailsFile = path.resolve(REPO_ROOT, values.guardrails!);
  const out = path.resolve(REPO_ROOT, values.out ?? MEMBER_TEMPLATE_FILE);
  const guardrails = parseGuardrails(
    readFileSync(guardrailsFile, 'utf8'),
    `--guardrails (${values.guardrails})`,
  );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, await memberTemplateText(guardrails));
  console.log(`member-template: wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(`member-template: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});

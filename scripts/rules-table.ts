/**
 * `npm run rules-table`: writes the rule table (lib/policy/rules/table.ts, from the rule registry) into
 * README.md between its markers, formatted as the lint step expects. tests/unit/policy/rules/table.test.ts
 * fails when the README and the registry disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { renderRuleTable, RULE_TABLE_BEGIN, RULE_TABLE_END } from '../lib/policy/rules/table';
import { REPO_ROOT } from '../tests/fixtures/load';

async function main(): Promise<void> {
  const file = path.join(REPO_ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const begin = readme.indexOf(RULE_TABLE_BEGIN);
  const end = readme.indexOf(RULE_TABLE_END);
  if (begin < 0 || end < begin) {
    throw new Error(`README.md has no rule table markers (${RULE_TABLE_BEGIN} … ${RULE_TABLE_END})`);
  }
  const updated = readme.slice(0, begin) + renderRuleTable() + readme.slice(end + RULE_TABLE_END.length);
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(updated, { ...options, filepath: file }));
  process.stdout.write('README.md: rule table written\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`rules-table: ${(error as Error).message}\n`);
  process.exitCode = 1;
});

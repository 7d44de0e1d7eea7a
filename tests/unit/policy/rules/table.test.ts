/** The README's rule table says what the rule registry says. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  readRuleTable,
  renderRuleTable,
  RULE_TABLE_COLUMNS,
  ruleTableRows,
  type RuleTableRow,
} from '../../../../lib/policy/rules/table';
import { RULES } from '../../../../lib/policy/rules/index';
import { REPO_ROOT } from '../../../fixtures/load';

/** Every cell where `actual` differs from the registry, as `<rule> <column>: …`. */
function differences(actual: RuleTableRow[]): string[] {
  const expected = ruleTableRows();
  const byRule = new Map(actual.map((row) => [row.rule, row]));
  const problems = expected.flatMap((want) => {
    const have = byRule.get(want.rule);
    if (!have) return [`${want.rule}: missing from the README table`];
    return RULE_TABLE_COLUMNS.filter((column) => have[column] !== want[column]).map(
      (column) => `${want.rule} ${column}: README says "${have[column]}", the registry "${want[column]}"`,
    );
  });
  const extra = actual.filter((row) => !expected.some((want) => want.rule === row.rule));
  return [...problems, ...extra.map((row) => `${row.rule}: in the README table but not in the registry`)];
}

describe('README rule table', () => {
  it('matches the rule registry, rule by rule and column by column (npm run rules-table rewrites it)', () => {
    // Prepare
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

    // Act
    const table = readRuleTable(readme);

    // Assess
    expect(table).toBeDefined();
    expect(differences(table!)).toEqual([]);
    expect(table!.map((row) => row.rule)).toEqual(RULES.map((rule) => `\`${rule.id}\``));
  });

  it('names the rule and the column of a cell that disagrees', () => {
    // Prepare
    const stale = renderRuleTable().replace('| remediate | critical |', '| report | critical |');

    // Act
    const problems = differences(readRuleTable(stale)!);

    // Assess
    expect(problems).toEqual([
      '`ecr.repository-policy` mode: README says "report", the registry "remediate"',
    ]);
  });

  it('reads back what it renders', () => {
    // Act
    const rows = readRuleTable(renderRuleTable());

    // Assess
    expect(rows).toEqual(ruleTableRows());
  });
});

import { parsePreviousReport } from '../../../lib/policy/delta';
import { RULE_IDS } from '../../../lib/policy/guardrails';
import { reportJson } from '../../../lib/report/data';
import { exemptionReason, remediationHint } from '../../../lib/report/hints';
import { BASELINE, GENERATED_AT, reportData } from '../../fixtures/report-data';

describe('reportJson', () => {
  test('the document names its account, region and time, and the first-seen time of each open finding', () => {
    const document = JSON.parse(reportJson(reportData())) as {
      accountId: string;
      region: string;
      generatedAt: string;
      findings: { status: string; firstSeen?: string }[];
    };

    expect(document).toEqual(
      expect.objectContaining({ accountId: '123456789012', region: 'us-east-1', generatedAt: GENERATED_AT }),
    );
    for (const f of document.findings) {
      expect(f.firstSeen).toBe(['violation', 'not-visible'].includes(f.status) ? GENERATED_AT : undefined);
    }
  });

  test('it reads back as a baseline, and the next delta carries the first-seen times', () => {
    const first = parsePreviousReport(JSON.parse(reportJson(reportData(undefined, BASELINE))), 'first.json');

    const next = reportData(undefined, first);

    expect(next.delta!.newFindings).toEqual([]);
    expect(next.delta!.stillOpen.find((e) => e.resourceArn.endsWith('/web/old'))!.firstSeen).toBe(
      '2026-03-01T12:00:00.000Z',
    );
  });

  test('with a baseline the document holds the delta; without, it has none', () => {
    expect(JSON.parse(reportJson(reportData(undefined, BASELINE)))).toHaveProperty('delta.resolved');
    expect(JSON.parse(reportJson(reportData()))).not.toHaveProperty('delta');
  });
});

describe('hints', () => {
  test('every rule has a remediation hint', () => {
    expect(RULE_IDS.filter((id) => remediationHint(id) === '')).toEqual([]);
  });

  test('a rule this build does not know has an empty hint', () => {
    expect(remediationHint('ecr.from-the-future')).toBe('');
  });

  test('only an exempt finding has an exemption reason', () => {
    expect(exemptionReason({ status: 'exempt', details: { exemption: 'tag buildwarden:exempt=*' } })).toBe(
      'tag buildwarden:exempt=*',
    );
    expect(exemptionReason({ status: 'violation', details: { exemption: 'stale' } })).toBe('');
    expect(exemptionReason({ status: 'exempt' })).toBe('');
  });
});

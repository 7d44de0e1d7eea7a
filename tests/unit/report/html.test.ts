import { createHash } from 'node:crypto';
import { summarize } from '../../../lib/policy/findings';
import { barValueText, escapeHtml, renderHtml } from '../../../lib/report/html';
import { BASELINE, finding, repoArn, reportData, SAMPLE_FINDINGS } from '../../fixtures/report-data';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const between = (html: string, open: string, close: string) => {
  const start = html.indexOf(open) + open.length;
  return html.slice(start, html.indexOf(close, start));
};

describe('renderHtml', () => {
  test('a script tag in a repository name or a message is rendered as text, never as markup', () => {
    const hostile = finding('web/<script>alert(1)</script>', {
      message: 'tags "mutable" <img src=x onerror=alert(2)> & more',
      notes: ['<b>note</b>'],
      details: { exemption: '<script>alert(3)</script>' },
      status: 'exempt',
    });

    const html = renderHtml(reportData([hostile]));

    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img/);
    expect(html).not.toMatch(/<b>/);
    expect(html).toContain('web/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('tags &quot;mutable&quot; &lt;img src=x onerror=alert(2)&gt; &amp; more');
    expect(html).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
  });

  test('a quote in a value cannot leave the attribute it is in', () => {
    const html = renderHtml(reportData([finding('x', { ruleId: 'r" onmouseover="alert(1)' })]));

    expect(html).not.toContain('" onmouseover="');
    expect(html).toContain('data-rule="r&quot; onmouseover=&quot;alert(1)"');
  });

  test('the page loads nothing: no URL, source or link, and a policy that allows only its own style and script', () => {
    const html = renderHtml(reportData());

    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/url\(/);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/
      .exec(html)![1]!
      .replaceAll('&#39;', "'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`style-src ${hash(between(html, '<style>', '</style>'))}`);
    expect(policy).toContain(`script-src ${hash(between(html, '<script>', '</script>'))}`);
  });

  test('totals by severity and status count every finding', () => {
    const html = renderHtml(reportData());

    const critical = /<tr data-severity="critical">(.*?)<\/tr>/.exec(html)![1]!;
    expect(critical).toContain('<td class="num" data-status="violation">1</td>');
    const medium = /<tr data-severity="medium">(.*?)<\/tr>/.exec(html)![1]!;
    expect(medium).toMatch(
      /data-status="violation">2<.*data-status="not-visible">1<.*data-status="exempt">1<.*data-status="compliant">1</,
    );
  });

  test('the rule chart has a bar per rule holding that rule’s counts', () => {
    const data = reportData();
    const html = renderHtml(data);

    const chart = between(html, '<svg class="chart" id="chart-rule"', '</svg>');
    const bars = [
      ...chart.matchAll(
        /<g class="bar" data-label="([^"]+)" data-violation="(\d+)" data-not-visible="(\d+)" data-exempt="(\d+)" data-compliant="(\d+)">/g,
      ),
    ];
    expect(Object.fromEntries(bars.map((b) => [b[1], b.slice(2, 6).map(Number)]))).toEqual(
      Object.fromEntries(
        Object.entries(data.summary.byRule).map(([rule, c]) => [
          rule,
          [c.violation, c['not-visible'], c.exempt, c.compliant],
        ]),
      ),
    );
  });

  test('the account chart groups findings by their account, the report’s when they name none', () => {
    const findings = [
      finding('a'),
      finding('b', { accountId: '111122223333', resourceArn: repoArn('b', '111122223333') }),
    ];

    const html = renderHtml(reportData(findings));

    const chart = between(html, 'id="chart-account"', '</svg>');
    expect(
      [...chart.matchAll(/data-label="(\d+)" data-violation="(\d+)"/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['111122223333', '1'],
      ['123456789012', '1'],
    ]);
  });

  test('a bar’s value says its violations, and not-visible and exempt counts only when there are some', () => {
    expect(barValueText({ violation: 1, 'not-visible': 0, exempt: 0, compliant: 4 })).toBe('1 violation');
    expect(barValueText({ violation: 2, 'not-visible': 1, exempt: 3, compliant: 0 })).toBe(
      '2 violations · 1 not visible · 3 exempt',
    );
  });

  test('the findings table has a row per finding with its remediation hint and exemption reason', () => {
    const html = renderHtml(reportData());

    const rows = between(html, '<table id="findings-table">', '</table>').match(/<tr data-status=/g);
    expect(rows).toHaveLength(SAMPLE_FINDINGS.length);
    const exempt = /<tr data-status="exempt".*?<\/tr>/.exec(html)![0];
    expect(exempt).toContain('<td class="exemption">config exemption: short-lived spikes</td>');
    expect(exempt).toContain('Set the repository image tag mutability to IMMUTABLE');
    const compliant = /<tr data-status="compliant".*?<\/tr>/.exec(html)![0];
    expect(compliant).toContain('<td class="hint"></td>');
  });

  test('a remediable violation is marked auto-fix', () => {
    const html = renderHtml(reportData([finding('a')]));

    expect(html).toContain('<span class="badge auto">auto-fix</span>');
  });

  test('without a baseline the delta section says how to get one and the table has no age column', () => {
    const html = renderHtml(reportData());

    expect(between(html, '<section id="delta"', '</section>')).toContain('No baseline given');
    expect(html).not.toContain('Open for');
  });

  test('with a baseline the delta section lists new, resolved and still-open findings with ages', () => {
    const html = renderHtml(reportData(SAMPLE_FINDINGS, BASELINE));

    const delta = between(html, '<section id="delta"', '</section>');
    expect(delta).toContain('Since the baseline (<time datetime="2026-03-10T12:00:00.000Z">');
    expect(delta).toContain('3 new, 1 resolved, 1 still open');
    expect(between(delta, 'id="delta-new">', '</table>')).toContain('web/legacy');
    expect(between(delta, 'id="delta-resolved">', '</table>')).toContain(
      'no longer reported (resource deleted or out of scope)',
    );
    expect(between(delta, 'id="delta-still-open">', '</table>')).toContain('open 19 days (since 2026-03-01)');
    expect(html).toContain('<span class="n">3</span>New since the baseline');
  });

  test('with a baseline each open finding shows how long it has been open, new ones marked new', () => {
    const html = renderHtml(reportData(SAMPLE_FINDINGS, BASELINE));

    const old = new RegExp(
      `<tr data-status="violation"[^>]*>(?:(?!</tr>).)*${'web/old'}(?:(?!</tr>).)*</tr>`,
    ).exec(html)![0];
    expect(old).toContain('<td class="num" data-sort="19">19 days</td>');
    const fresh = /<tr data-status="violation"[^>]*>(?:(?!<\/tr>).)*web\/legacy(?:(?!<\/tr>).)*<\/tr>/.exec(
      html,
    )![0];
    expect(fresh).toContain('<span class="badge new">new</span>');
  });

  test('the delta names at most five oldest open critical findings, saying how many there are', () => {
    const critical = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) =>
      finding(n, { ruleId: 'ecr.repository-policy', severity: 'critical' }),
    );

    const html = renderHtml(reportData(critical, { findings: [] }));

    expect(html).toContain('<h3>Oldest open critical (5 of 7)</h3>');
    expect(between(html, 'id="delta-oldest-critical">', '</table>').match(/<tr><td>/g)).toHaveLength(5);
  });

  test('the still-open list starts folded: the findings table repeats it with ages', () => {
    const html = renderHtml(reportData(SAMPLE_FINDINGS, BASELINE));

    expect(html).toMatch(
      /<details><summary>Still open \(1\)<\/summary><table class="delta" id="delta-still-open">/,
    );
  });

  test('an account column appears only when the findings span several accounts or regions', () => {
    const single = renderHtml(reportData([finding('a')]));
    const several = renderHtml(reportData([finding('a'), finding('b', { region: 'eu-west-1' })]));

    expect(single).not.toContain('<button type="button">Account</button>');
    expect(several).toContain('<button type="button">Account</button>');
    expect(several).toContain('<td>123456789012 eu-west-1</td>');
  });

  test('the same data gives the same document', () => {
    expect(renderHtml(reportData())).toBe(renderHtml(reportData()));
  });

  test('an account without findings still renders totals and empty charts', () => {
    const html = renderHtml({
      ...reportData([]),
      summary: summarize([], { repositories: 0, projects: 0, roles: 0 }),
    });

    expect(html).toContain('<span class="n">0</span>Violations');
    expect(html).toContain('id="chart-rule"');
  });

  test('escapeHtml escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

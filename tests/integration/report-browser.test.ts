/**
 * The HTML report in a real browser (headless Chromium): the demo account's report with a baseline renders
 * without console errors and loads nothing, its charts hold the audit's counts, the filter narrows the table,
 * a column header sorts it, and a value from the account cannot run as script. The run leaves screenshots
 * (report.png: the top 1280x2000 pixels, as in the README; report-full.png) and the report in test-results/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { renderHtml } from '../../lib/report/html';
import {
  browserTestsSkipped,
  CHROMIUM_MISSING,
  chromiumAvailable,
  launchChromium,
  TEST_RESULTS_DIR,
  type Browser,
} from '../fixtures/browser';
import { cli, tempFile } from '../fixtures/cli';
import { finding, reportData } from '../fixtures/report-data';

const DEMO = ['--snapshot', 'demo/account.json', '--config', 'demo/guardrails.yml'];
type Status = 'violation' | 'not-visible' | 'exempt' | 'compliant';

interface JsonReport {
  findings: { ruleId: string; resourceArn: string; status: Status; firstSeen?: string }[];
  summary: { byStatus: Record<Status, number>; byRule: Record<string, Record<Status, number>> };
  delta: { newFindings: unknown[]; resolved: unknown[]; stillOpen: unknown[] };
}

const describeBrowser = browserTestsSkipped() ? describe.skip : describe;

describeBrowser('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let report: JsonReport;
  const problems: string[] = [];
  const requests: string[] = [];
  let reportUrl: string;

  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(CHROMIUM_MISSING);
    // A baseline from a week ago: one violation not there yet (new), one that has since gone (resolved), the
    // others first seen on 1 March.
    const previous = JSON.parse((await cli(['audit', ...DEMO, '--format', 'json'])).stdout) as JsonReport & {
      generatedAt: string;
    };
    const open = (f: { status: Status }) => f.status === 'violation' || f.status === 'not-visible';
    const baseline = {
      ...previous,
      generatedAt: '2026-03-10T12:00:00.000Z',
      findings: [
        ...previous.findings
          .filter((f) => !(f.ruleId === 'ecr.tag-immutability' && f.resourceArn.endsWith('/web/frontend')))
          .map((f) => (open(f) ? { ...f, firstSeen: '2026-03-01T12:00:00.000Z' } : f)),
        {
          ruleId: 'ecr.scan-on-push',
          resourceType: 'AWS::ECR::Repository',
          resourceArn: 'arn:aws:ecr:us-east-1:123456789012:repository/web/retired',
          status: 'violation',
          severity: 'high',
          message: 'images are not scanned on push',
          remediable: true,
          firstSeen: '2026-02-01T12:00:00.000Z',
        },
      ],
    };
    const baselineFile = tempFile('previous.json', JSON.stringify(baseline));
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    const htmlFile = path.join(TEST_RESULTS_DIR, 'report.html');
    const written = await cli([
      'audit',
      ...DEMO,
      '--baseline',
      baselineFile,
      '--format',
      'html',
      '--out',
      htmlFile,
    ]);
    expect(written.stderr).toMatch(/^wrote .*report\.html \(\d+ findings\)\n$/);
    report = JSON.parse(
      (await cli(['audit', ...DEMO, '--baseline', baselineFile, '--format', 'json'])).stdout,
    ) as JsonReport;
    reportUrl = pathToFileURL(htmlFile).href;

    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(reportUrl, { waitUntil: 'load', timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('renders with no console errors and requests nothing but its own file', async () => {
    expect(await page.locator('h1').textContent()).toBe('buildwarden audit');
    expect(problems).toEqual([]);
    expect(requests).toEqual([reportUrl]);
  });

  test('screenshots of the report are saved for people to look at: its top at a fixed size, and all of it', async () => {
    await page.evaluate('window.scrollTo(0, 0)');

    const top = await page.screenshot({
      path: path.join(TEST_RESULTS_DIR, 'report.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: 2000 },
    });
    const all = await page.screenshot({
      path: path.join(TEST_RESULTS_DIR, 'report-full.png'),
      fullPage: true,
    });

    for (const png of [top, all]) expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(top.readUInt32BE(16)).toBe(1280);
    expect(top.readUInt32BE(20)).toBe(2000);
  });

  test('the cards hold the totals by status', async () => {
    for (const status of ['violation', 'not-visible', 'exempt', 'compliant'] as const) {
      const n = await page.locator(`.card[data-status="${status}"] .n`).textContent();
      expect(Number(n)).toBe(report.summary.byStatus[status]);
    }
  });

  test('the rule chart has a bar per rule whose numbers and segments are that rule’s counts', async () => {
    const bars = await page.locator('#chart-rule g.bar').evaluateAll((groups) =>
      groups.map((g) => ({
        label: g.getAttribute('data-label'),
        shown: g.querySelector('text.label')?.textContent,
        value: g.querySelector('text.value')?.textContent,
        segments: [...g.querySelectorAll('rect.segment')].map((r) => ({
          status: r.getAttribute('data-status'),
          value: Number(r.getAttribute('data-value')),
          width: (r as unknown as { getBBox(): { width: number } }).getBBox().width,
        })),
      })),
    );

    expect(bars.map((b) => b.label).sort()).toEqual(Object.keys(report.summary.byRule).sort());
    for (const bar of bars) {
      const counts = report.summary.byRule[bar.label!]!;
      expect(bar.shown).toBe(bar.label);
      expect(bar.value).toContain(`${counts.violation} violation`);
      for (const segment of bar.segments) {
        expect(segment.value).toBe(counts[segment.status as Status]);
        expect(segment.width > 0).toBe(segment.value > 0);
      }
    }
    const widthPerFinding = bars
      .flatMap((b) => b.segments)
      .filter((s) => s.value > 0)
      .map((s) => s.width / s.value);
    expect(Math.max(...widthPerFinding) - Math.min(...widthPerFinding)).toBeLessThan(0.5);
  });

  test('the account chart has the account’s bar with every finding of the report', async () => {
    const bar = page.locator('#chart-account g.bar');

    expect(await bar.count()).toBe(1);
    expect(await bar.getAttribute('data-label')).toBe('123456789012');
    expect(Number(await bar.getAttribute('data-violation'))).toBe(report.summary.byStatus.violation);
    expect(Number(await bar.getAttribute('data-exempt'))).toBe(report.summary.byStatus.exempt);
  });

  test('the delta section shows the new and the resolved finding', async () => {
    expect(await page.locator('#delta-headline').textContent()).toMatch(
      /^Since the baseline \(2026-03-10T12:00:00\.000Z\): 1 new, 1 resolved, \d+ still open\.$/,
    );
    expect(await page.locator('#delta-new tbody tr').textContent()).toMatch(
      /ecr\.tag-immutability.*web\/frontend/,
    );
    expect(await page.locator('#delta-resolved tbody tr').textContent()).toMatch(
      /ecr\.scan-on-push.*web\/retired/,
    );
  });

  test('typing in the filter narrows the table to the matching rows, and clearing it brings them back', async () => {
    const visible = page.locator('#findings-table tbody tr:visible');
    const open = report.findings.filter((f) => f.status !== 'compliant').length;
    expect(await visible.count()).toBe(open);

    await page.locator('#filter').pressSequentially('web/frontend');

    const rows = await visible.allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(open);
    expect(rows.every((text) => text.includes('web/frontend'))).toBe(true);
    expect(await page.locator('#shown-count').textContent()).toBe(
      `Showing ${rows.length} of ${report.findings.length} findings`,
    );

    await page.locator('#filter').fill('');
    expect(await visible.count()).toBe(open);
  });

  test('the status filter shows compliant findings on request', async () => {
    await page.locator('#status-filter').selectOption('all');
    expect(await page.locator('#findings-table tbody tr:visible').count()).toBe(report.findings.length);

    await page.locator('#status-filter').selectOption('exempt');
    expect(await page.locator('#findings-table tbody tr:visible').count()).toBe(
      report.summary.byStatus.exempt,
    );

    await page.locator('#status-filter').selectOption('attention');
  });

  test('a click on a column header sorts by it, a second click reverses', async () => {
    const header = page.locator('#findings-table th', { hasText: 'Rule' });
    const rules = () => page.locator('#findings-table tbody tr:visible td.rule').allTextContents();

    await header.locator('button').click();
    const ascending = await rules();
    await header.locator('button').click();
    const descending = await rules();

    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(ascending).toEqual([...ascending].sort());
    expect(ascending[0]).not.toBe(ascending[ascending.length - 1]);
    expect(descending).toEqual([...ascending].reverse());
  });

  test('printing hides the controls and keeps the table', async () => {
    await page.emulateMedia({ media: 'print' });

    expect(await page.locator('.controls').isVisible()).toBe(false);
    expect(await page.locator('#findings-table').isVisible()).toBe(true);

    await page.emulateMedia({ media: 'screen' });
  });

  test('a script in a repository name or message stays text: nothing runs, nothing loads', async () => {
    const hostile = finding('web/<script>window.__pwned = 1</script>', {
      message: '<img src="x" onerror="window.__pwned = 2"> tags are mutable',
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-report-')), 'hostile.html');
    writeFileSync(file, renderHtml(reportData([hostile])));
    const other = await browser.context.newPage();
    const loaded: string[] = [];
    other.on('request', (request) => loaded.push(request.url()));

    await other.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(await other.evaluate('window.__pwned')).toBeUndefined();
    expect(loaded).toEqual([pathToFileURL(file).href]);
    expect(await other.locator('#findings-table td.resource').first().textContent()).toContain(
      'web/<script>window.__pwned = 1</script>',
    );
    await other.close();
  });
});

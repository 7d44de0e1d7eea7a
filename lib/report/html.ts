/**
 * The audit as one self-contained HTML document: inline CSS, a small inline script (filter and sort), inline
 * SVG bar charts; no network (a Content-Security-Policy allows only the page's own style and script, by hash).
 * Findings hold names and messages from the account, so every value is escaped; the policy is a second line.
 * Pure: the same data gives the same document.
 */
import { createHash } from 'node:crypto';
import {
  describeAge,
  describeResolution,
  findingKey,
  isOpen,
  type AuditDelta,
  type OpenEntry,
  type ResolvedEntry,
} from '../policy/delta';
import { SEVERITIES, STATUSES, type FindingStatus, type Severity } from '../policy/findings';
import { resourceName } from '../policy/notifications';
import type { ReportData } from './data';
import { exemptionReason, remediationHint } from './hints';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or a double-quoted attribute value, inert whatever it holds. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
const esc = escapeHtml;

const STATUS_LABELS: Record<FindingStatus, string> = {
  violation: 'Violations',
  'not-visible': 'Not visible',
  exempt: 'Exempt',
  compliant: 'Compliant',
};
/** The statuses a chart shows: what needs attention, and what was set aside. */
const CHART_STATUSES = ['violation', 'not-visible', 'exempt'] as const;

const STYLE = `
:root { --violation: #c62828; --not-visible: #e67700; --exempt: #5c6bc0; --compliant: #2e7d32;
  --critical: #8e0000; --high: #d84315; --medium: #b7791f; --low: #1565c0; --info: #607d8b;
  --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: #fff; }
header, main, footer { max-width: 1440px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta, .muted { color: var(--muted); }
.meta { margin: 0 0 14px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); padding: 1px 4px; border-radius: 4px; }
.overview { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }
.cards { display: grid; grid-template-columns: repeat(3, minmax(140px, 1fr)); gap: 12px; }
.card { padding: 10px 14px; border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px; background: var(--panel); }
.card .n { display: block; font-size: 26px; font-weight: 700; }
.card.violation { border-left-color: var(--violation); }
.card.not-visible { border-left-color: var(--not-visible); }
.card.exempt { border-left-color: var(--exempt); }
.card.compliant { border-left-color: var(--compliant); }
.card.new { border-left-color: var(--ink); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.matrix { width: auto; min-width: 480px; }
table.delta { table-layout: fixed; }
table.delta col.severity { width: 110px; }
table.delta col.rule { width: 28%; }
table.delta col.resource { width: 36%; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(640px, 1fr)); gap: 8px 32px; }
.legend { display: flex; gap: 16px; margin: 0 0 6px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
.legend .violation, svg .violation { background: var(--violation); fill: var(--violation); }
.legend .not-visible, svg .not-visible { background: var(--not-visible); fill: var(--not-visible); }
.legend .exempt, svg .exempt { background: var(--exempt); fill: var(--exempt); }
svg.chart { width: 100%; height: auto; max-width: 860px; font-size: 13px; }
svg.chart text { fill: var(--ink); }
svg.chart .track { fill: var(--panel); }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; color: #fff; }
.badge.violation { background: var(--violation); } .badge.not-visible { background: var(--not-visible); }
.badge.exempt { background: var(--exempt); } .badge.compliant { background: var(--compliant); }
.badge.critical { background: var(--critical); } .badge.high { background: var(--high); }
.badge.medium { background: var(--medium); } .badge.low { background: var(--low); } .badge.info { background: var(--info); }
.badge.new { background: var(--ink); } .badge.auto { background: var(--compliant); }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 0 0 10px; }
.controls input[type=search] { width: 320px; max-width: 100%; padding: 5px 8px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
.controls select { padding: 4px; font: inherit; }
#findings-table td { overflow-wrap: anywhere; }
#findings-table td.rule { white-space: nowrap; }
#findings-table td.resource { min-width: 170px; }
#findings-table td.message { min-width: 260px; width: 34%; }
#findings-table td.hint { min-width: 200px; color: var(--muted); }
#findings-table td.exemption { min-width: 100px; }
.table-wrap { overflow-x: auto; }
.arn { display: block; color: var(--muted); font-size: 11px; word-break: break-all; }
details > summary { cursor: pointer; font-weight: 600; margin: 16px 0 6px; }
.note { display: block; color: var(--muted); font-size: 12px; }
th button { all: unset; cursor: pointer; }
th button:focus-visible { outline: 2px solid var(--low); }
th[aria-sort=ascending] button::after { content: " \\25B2"; font-size: 10px; }
th[aria-sort=descending] button::after { content: " \\25BC"; font-size: 10px; }
footer { margin-top: 32px; padding-bottom: 24px; color: var(--muted); font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { font-size: 9pt; }
  header, main, footer { max-width: none; padding: 0; }
  .controls { display: none; }
  .table-wrap { overflow: visible; }
  th button::after { content: none !important; }
  thead { display: table-header-group; }
  tr, .card, svg.chart { break-inside: avoid; }
  h2 { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

const SCRIPT = `
(function () {
  'use strict';
  var table = document.getElementById('findings-table');
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  var filter = document.getElementById('filter');
  var statusFilter = document.getElementById('status-filter');
  var severityFilter = document.getElementById('severity-filter');
  var count = document.getElementById('shown-count');
  var none = document.getElementById('no-rows');
  function apply() {
    var terms = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var status = statusFilter.value;
    var severity = severityFilter.value;
    var shown = 0;
    rows.forEach(function (row, i) {
      var s = row.getAttribute('data-status');
      var show = (status === 'all' || (status === 'attention' ? s !== 'compliant' : s === status)) &&
        (severity === 'all' || row.getAttribute('data-severity') === severity) &&
        terms.every(function (term) { return texts[i].indexOf(term) >= 0; });
      row.hidden = !show;
      if (show) shown += 1;
    });
    count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' findings';
    none.hidden = shown > 0;
  }
  function sortKey(row, column) {
    var cell = row.cells[column];
    var key = cell.getAttribute('data-sort');
    return key === null ? cell.textContent.trim().toLowerCase() : key;
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== '' && b !== '' && !isNaN(x) && !isNaN(y)) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var direction = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      headers.forEach(function (other) { if (other.hasAttribute('aria-sort')) other.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', direction);
      var sign = direction === 'ascending' ? 1 : -1;
      Array.prototype.slice.call(body.rows)
        .map(function (row, index) { return { row: row, key: sortKey(row, column), index: index }; })
        .sort(function (a, b) { return sign * compare(a.key, b.key) || a.index - b.index; })
        .forEach(function (entry) { body.appendChild(entry.row); });
    });
  });
  filter.addEventListener('input', apply);
  statusFilter.addEventListener('change', apply);
  severityFilter.addEventListener('change', apply);
  apply();
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Nothing may load or connect: only this page's own style and script run. */
const CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

type Counts = Record<FindingStatus, number>;
const zero = (): Counts => ({ violation: 0, 'not-visible': 0, exempt: 0, compliant: 0 });
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface ChartRow {
  label: string;
  counts: Counts;
}

/** What a bar says in words: its open findings, and the exempt ones when there are any. */
export function barValueText(counts: Counts): string {
  const parts = [plural(counts.violation, 'violation')];
  if (counts['not-visible'] > 0) parts.push(`${counts['not-visible']} not visible`);
  if (counts.exempt > 0) parts.push(`${counts.exempt} exempt`);
  return parts.join(' · ');
}

/** A horizontal stacked bar chart: one row per label, segments for violation, not visible and exempt. */
function barChart(id: string, title: string, rows: ChartRow[]): string {
  const labelWidth = 250;
  const barWidth = 300;
  const width = 860;
  const rowHeight = 26;
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const max = Math.max(1, ...rows.map((r) => CHART_STATUSES.reduce((n, s) => n + r.counts[s], 0)));
  const body = rows.map((row, i) => {
    const y = 4 + i * rowHeight;
    let x = labelWidth;
    const segments = CHART_STATUSES.map((status) => {
      const value = row.counts[status];
      const w = (value / max) * barWidth;
      const rect = `<rect class="segment ${status}" data-status="${status}" data-value="${value}" x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 10}"><title>${esc(row.label)}: ${value} ${esc(STATUS_LABELS[status].toLowerCase())}</title></rect>`;
      x += w;
      return rect;
    }).join('');
    const attrs = STATUSES.map((s) => ` data-${s}="${row.counts[s]}"`).join('');
    return (
      `<g class="bar" data-label="${esc(row.label)}"${attrs}>` +
      `<title>${esc(row.label)}: ${row.counts.violation} violation, ${row.counts['not-visible']} not visible, ${row.counts.exempt} exempt, ${row.counts.compliant} compliant</title>` +
      `<text class="label" x="${labelWidth - 8}" y="${y + rowHeight / 2 + 3}" text-anchor="end">${esc(truncate(row.label, 38))}</text>` +
      `<rect class="track" x="${labelWidth}" y="${y + 4}" width="${barWidth}" height="${rowHeight - 10}"/>` +
      segments +
      `<text class="value" x="${labelWidth + barWidth + 8}" y="${y + rowHeight / 2 + 3}">${esc(barValueText(row.counts))}</text>` +
      `</g>`
    );
  });
  return (
    `<svg class="chart" id="${id}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<title>${esc(title)}</title>${body.join('')}</svg>`
  );
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const badge = (cls: string, text: string) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;

function totals(data: ReportData): string {
  const bySeverity = new Map<Severity, Counts>(SEVERITIES.map((s) => [s, zero()]));
  const all = zero();
  for (const f of data.findings) {
    bySeverity.get(f.severity)![f.status] += 1;
    all[f.status] += 1;
  }
  const cards = STATUSES.map(
    (s) =>
      `<div class="card ${s}" data-status="${s}"><span class="n">${all[s]}</span>${STATUS_LABELS[s]}</div>`,
  );
  if (data.delta) {
    cards.push(
      `<div class="card new" data-status="new"><span class="n">${data.delta.newFindings.length}</span>New since the baseline</div>`,
    );
  }
  const head = `<tr><th>Severity</th>${STATUSES.map((s) => `<th class="num">${STATUS_LABELS[s]}</th>`).join('')}<th class="num">Total</th></tr>`;
  const rows = SEVERITIES.map((severity) => {
    const c = bySeverity.get(severity)!;
    const total = STATUSES.reduce((n, s) => n + c[s], 0);
    return `<tr data-severity="${severity}"><th>${badge(severity, severity)}</th>${STATUSES.map((s) => `<td class="num" data-status="${s}">${c[s]}</td>`).join('')}<td class="num">${total}</td></tr>`;
  });
  const footer = `<tr><th>All</th>${STATUSES.map((s) => `<td class="num">${all[s]}</td>`).join('')}<td class="num">${data.findings.length}</td></tr>`;
  return (
    `<section id="totals" aria-labelledby="totals-title"><h2 id="totals-title">Totals</h2>` +
    `<div class="overview"><div class="cards">${cards.join('')}</div>` +
    `<table class="matrix" id="severity-status"><thead>${head}</thead><tbody>${rows.join('')}</tbody><tfoot>${footer}</tfoot></table>` +
    `</div></section>`
  );
}

function charts(data: ReportData): string {
  const byRule = new Map<string, Counts>();
  const byAccount = new Map<string, Counts>();
  for (const f of data.findings) {
    (byRule.get(f.ruleId) ?? byRule.set(f.ruleId, zero()).get(f.ruleId)!)[f.status] += 1;
    const account = f.accountId ?? data.accountId;
    (byAccount.get(account) ?? byAccount.set(account, zero()).get(account)!)[f.status] += 1;
  }
  const rows = (map: Map<string, Counts>) =>
    [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, counts]) => ({ label, counts }));
  const legend = `<div class="legend">${CHART_STATUSES.map((s) => `<span><i class="${s}"></i>${STATUS_LABELS[s]}</span>`).join('')}</div>`;
  return (
    `<section id="charts" aria-labelledby="charts-title"><h2 id="charts-title">Where the findings are</h2>${legend}<div class="grid">` +
    `<div><h3>By rule</h3>${barChart('chart-rule', 'Findings by rule', rows(byRule))}</div>` +
    `<div><h3>By account</h3>${barChart('chart-account', 'Findings by account', rows(byAccount))}</div>` +
    `</div></section>`
  );
}

function resourceCell(arn: string): string {
  return `${esc(resourceName(arn))}<span class="arn">${esc(arn)}</span>`;
}

function deltaTable(
  id: string,
  title: string,
  last: string,
  rows: string[],
  options: { folded?: boolean; of?: number } = {},
): string {
  if (rows.length === 0) return '';
  const count =
    options.of !== undefined && options.of > rows.length ? `${rows.length} of ${options.of}` : rows.length;
  const table =
    `<table class="delta" id="${id}"><colgroup><col class="severity"><col class="rule"><col class="resource"><col></colgroup><thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>${esc(last)}</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`;
  // A long list that the findings table repeats (its "Open for" column) starts folded.
  return options.folded
    ? `<details><summary>${esc(title)} (${count})</summary>${table}</details>`
    : `<h3>${esc(title)} (${count})</h3>${table}`;
}

function deltaSection(delta: AuditDelta | undefined): string {
  const head = `<section id="delta" aria-labelledby="delta-title"><h2 id="delta-title">Since the last audit</h2>`;
  if (!delta) {
    return `${head}<p class="muted">No baseline given: run <code>buildwarden audit --baseline PREVIOUS.json</code> with an earlier <code>--format json</code> report to see what is new, what was resolved and how long each finding has been open.</p></section>`;
  }
  const open = (e: OpenEntry, last: string) =>
    `<tr><td>${badge(e.severity, e.severity)}</td><td>${esc(e.ruleId)}</td><td>${resourceCell(e.resourceArn)}</td><td>${last}</td></tr>`;
  const resolved = (e: ResolvedEntry) =>
    `<tr><td>${badge(e.severity, e.severity)}</td><td>${esc(e.ruleId)}</td><td>${resourceCell(e.resourceArn)}</td><td>${esc(describeResolution(e.resolution))}</td></tr>`;
  const status = (e: OpenEntry) => badge(e.status, e.status);
  const since = delta.since ? ` (<time datetime="${esc(delta.since)}">${esc(delta.since)}</time>)` : '';
  const headline =
    `${delta.newFindings.length === 0 ? 'Nothing new' : `${delta.newFindings.length} new`}, ${delta.resolved.length} resolved, ` +
    `${delta.stillOpen.length} still open`;
  return (
    `${head}<p class="headline" id="delta-headline">Since the baseline${since}: ${esc(headline)}.</p>` +
    deltaTable(
      'delta-new',
      'New',
      'Status',
      delta.newFindings.map((e) => open(e, status(e))),
    ) +
    deltaTable('delta-resolved', 'Resolved', 'How', delta.resolved.map(resolved)) +
    deltaTable(
      'delta-oldest-critical',
      'Oldest open critical',
      'Age',
      delta.oldestCritical.slice(0, 5).map((e) => open(e, esc(describeAge(e)))),
      { of: delta.oldestCritical.length },
    ) +
    deltaTable(
      'delta-still-open',
      'Still open',
      'Age',
      delta.stillOpen.map((e) => open(e, esc(describeAge(e)))),
      { folded: true },
    ) +
    (delta.unchecked > 0
      ? `<p class="muted">${delta.unchecked} finding(s) open in the baseline belong to rules this audit did not run: not checked.</p>`
      : '') +
    `</section>`
  );
}

const severityRank = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;
const statusRank = Object.fromEntries(STATUSES.map((s, i) => [s, i])) as Record<FindingStatus, number>;
const DAY_MS = 24 * 60 * 60 * 1000;

function findingsSection(data: ReportData): string {
  const scope = { accountId: data.accountId, region: data.region };
  const accounts = new Set(
    data.findings.map((f) => `${f.accountId ?? data.accountId}/${f.region ?? data.region}`),
  );
  const showAccount = accounts.size > 1;
  const delta = data.delta;
  const isNew = new Set((delta?.newFindings ?? []).map((e) => findingKey(e, scope)));
  const now = Date.parse(data.generatedAt);
  const th = (label: string, cls = '') =>
    `<th${cls ? ` class="${cls}"` : ''} aria-sort="none"><button type="button">${label}</button></th>`;
  const head = [
    th('Status'),
    th('Severity'),
    th('Rule'),
    th('Resource'),
    ...(showAccount ? [th('Account')] : []),
    th('Finding'),
    th('Remediation'),
    th('Exemption'),
    ...(delta ? [th('Open for', 'num')] : []),
  ].join('');
  const rows = data.findings.map((f) => {
    const notes = (f.notes ?? []).map((n) => `<span class="note">${esc(n)}</span>`).join('');
    const hint = f.status === 'compliant' ? '' : remediationHint(f.ruleId);
    const auto = f.remediable && f.status === 'violation' ? `${badge('auto', 'auto-fix')} ` : '';
    let age = '';
    if (delta && isOpen(f)) {
      const days = f.firstSeen
        ? Math.max(0, Math.floor((now - Date.parse(f.firstSeen)) / DAY_MS))
        : undefined;
      const label = isNew.has(findingKey(f, scope))
        ? badge('new', 'new')
        : days === undefined
          ? 'before baseline'
          : esc(plural(days, 'day'));
      age = `<td class="num" data-sort="${days ?? 1e9}">${label}</td>`;
    } else if (delta) {
      age = `<td class="num" data-sort="-1"></td>`;
    }
    return (
      `<tr data-status="${f.status}" data-severity="${f.severity}" data-rule="${esc(f.ruleId)}">` +
      `<td data-sort="${statusRank[f.status]}">${badge(f.status, f.status)}</td>` +
      `<td data-sort="${severityRank[f.severity]}">${badge(f.severity, f.severity)}</td>` +
      `<td class="rule">${esc(f.ruleId)}</td>` +
      `<td class="resource" data-sort="${esc(resourceName(f.resourceArn).toLowerCase())}">${resourceCell(f.resourceArn)}</td>` +
      (showAccount ? `<td>${esc(f.accountId ?? data.accountId)} ${esc(f.region ?? data.region)}</td>` : '') +
      `<td class="message">${esc(f.message)}${notes}</td>` +
      `<td class="hint">${auto}${esc(hint)}</td>` +
      `<td class="exemption">${esc(exemptionReason(f))}</td>` +
      age +
      `</tr>`
    );
  });
  const statusOptions = [['attention', 'not compliant'], ['all', 'all'], ...STATUSES.map((s) => [s, s])]
    .map(
      ([value, label]) =>
        `<option value="${value}"${value === 'attention' ? ' selected' : ''}>${label}</option>`,
    )
    .join('');
  const severityOptions = [['all', 'all'], ...SEVERITIES.map((s) => [s, s])]
    .map(([value, label]) => `<option value="${value}">${label}</option>`)
    .join('');
  return (
    `<section id="findings" aria-labelledby="findings-title"><h2 id="findings-title">Findings</h2>` +
    `<div class="controls">` +
    `<label>Filter <input id="filter" type="search" placeholder="rule, resource, message…" autocomplete="off"></label>` +
    `<label>Status <select id="status-filter">${statusOptions}</select></label>` +
    `<label>Severity <select id="severity-filter">${severityOptions}</select></label>` +
    `<span id="shown-count" aria-live="polite">${data.findings.length} findings</span>` +
    `</div>` +
    `<div class="table-wrap"><table id="findings-table"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    `<p id="no-rows" class="muted" hidden>No findings match the filter.</p>` +
    `</section>`
  );
}

export function renderHtml(data: ReportData): string {
  const s = data.summary;
  const title = `buildwarden audit — ${data.accountId} ${data.region} — ${data.generatedAt}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>buildwarden audit</h1><p class="meta">Account <strong>${esc(data.accountId)}</strong>, region <strong>${esc(data.region)}</strong> · generated <time datetime="${esc(data.generatedAt)}">${esc(data.generatedAt)}</time> · ${s.resources.repositories} repositories, ${s.resources.projects} projects, ${s.resources.roles} roles</p></header>`,
    '<main>',
    totals(data),
    charts(data),
    deltaSection(data.delta),
    findingsSection(data),
    '</main>',
    '<footer>Generated by buildwarden. This file is self-contained: it loads nothing from the network.</footer>',
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

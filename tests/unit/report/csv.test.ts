import { CSV_COLUMNS, csvField, renderCsv } from '../../../lib/report/csv';
import { BASELINE, finding, reportData, SAMPLE_FINDINGS } from '../../fixtures/report-data';

/** An RFC 4180 reader for the assertions: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('last record not terminated by CRLF');
  return records;
}

const rowsOf = (text: string) => {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
};

describe('renderCsv', () => {
  test('a header row names every column, then one CRLF-terminated record per finding', () => {
    const text = renderCsv(reportData());

    const records = parseCsv(text);
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(SAMPLE_FINDINGS.length + 1);
    expect(records.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  test('commas, quotes and line breaks in a message stay inside their field', () => {
    const message = 'a, "quoted"\r\nsecond line';

    const [row] = rowsOf(renderCsv(reportData([finding('a', { message })])));

    expect(row!.message).toBe(message);
  });

  test.each(['=HYPERLINK("http://x")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'])(
    'a cell starting like a formula (%j) is prefixed with a single quote',
    (value) => {
      const [row] = rowsOf(renderCsv(reportData([finding(value.trim(), { message: value })])));

      expect(row!.message).toBe(`'${value}`);
    },
  );

  test('csvField quotes every field and doubles inner quotes', () => {
    expect(csvField('plain')).toBe('"plain"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });

  test('each finding carries its account, region, remediation hint and exemption reason', () => {
    const rows = rowsOf(renderCsv(reportData()));

    const exempt = rows.find((r) => r.status === 'exempt')!;
    expect(exempt).toEqual(
      expect.objectContaining({
        accountId: '123456789012',
        region: 'us-east-1',
        resourceName: 'tmp/spike',
        exemptionReason: 'config exemption: short-lived spikes',
        remediation: expect.stringContaining('IMMUTABLE'),
      }),
    );
    expect(rows.find((r) => r.status === 'compliant')!.remediation).toBe('');
  });

  test('with a baseline, open findings say whether they are new or still open, with their first-seen time', () => {
    const rows = rowsOf(renderCsv(reportData(SAMPLE_FINDINGS, BASELINE)));

    const old = rows.find((r) => r.resourceName === 'web/old')!;
    expect(old).toEqual(
      expect.objectContaining({ change: 'still-open', firstSeen: '2026-03-01T12:00:00.000Z' }),
    );
    expect(rows.find((r) => r.resourceName === 'web/app' && r.status === 'violation')!.change).toBe('new');
    expect(rows.find((r) => r.status === 'compliant')!.change).toBe('');
  });

  test('without a baseline the change column is empty', () => {
    const rows = rowsOf(renderCsv(reportData()));

    expect(new Set(rows.map((r) => r.change))).toEqual(new Set(['']));
  });
});

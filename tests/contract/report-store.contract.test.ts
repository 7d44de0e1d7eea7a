/**
 * The ReportStore port's contract, run against the sandbox account and the S3 adapter: a report is kept under
 * its key with its content type, in a versioned bucket (writing a key again keeps the earlier version), and a
 * key S3 would refuse is refused before any call.
 */
import { InvalidInputError } from '../../lib/errors';
import type { ReportObject } from '../../lib/ports';
import { ACCOUNTS, closeAccounts } from './accounts';
import { world } from './world';

const KEY = 'audits/123456789012/us-east-1/20261125T120000Z/report.html';
const report = (overrides: Partial<ReportObject> = {}): ReportObject => ({
  key: KEY,
  body: '<!doctype html><title>buildwarden audit</title>',
  contentType: 'text/html; charset=utf-8',
  ...overrides,
});

afterEach(closeAccounts);

describe.each(ACCOUNTS)('ReportStore contract: %s', (_name, open) => {
  test('keeps the report under its key with its content type, and names the bucket, key and version', async () => {
    // Prepare
    const account = open(world());

    // Act
    const stored = await account.reports.putReport(report());

    // Assess
    const versions = account.reportVersions(KEY);
    expect(versions).toEqual([
      { versionId: stored.versionId, body: report().body, contentType: 'text/html; charset=utf-8' },
    ]);
    expect(stored).toEqual({ bucket: account.reportsBucket, key: KEY, versionId: expect.any(String) });
  });

  test('writing a key again keeps the earlier version, under another version id', async () => {
    // Prepare
    const account = open(world());
    const first = await account.reports.putReport(report({ body: 'first' }));

    // Act
    const second = await account.reports.putReport(report({ body: 'second' }));

    // Assess
    expect(account.reportVersions(KEY).map((v) => v.body)).toEqual(['first', 'second']);
    expect(second.versionId).not.toEqual(first.versionId);
  });

  test('keeps a JSON document as given', async () => {
    // Prepare
    const account = open(world());
    const json = report({
      key: 'audits/123456789012/us-east-1/20261125T120000Z/findings.json',
      body: '{"findings":[]}\n',
      contentType: 'application/json',
    });

    // Act
    await account.reports.putReport(json);

    // Assess
    expect(account.reportVersions(json.key)).toEqual([
      expect.objectContaining({ body: '{"findings":[]}\n', contentType: 'application/json' }),
    ]);
  });

  test('takes a key of exactly 1,024 bytes of UTF-8', async () => {
    // Prepare: 7 + 336 × 3 + 9 = 1,024 bytes
    const account = open(world());
    const key = `audits/${'€'.repeat(336)}/report.a`;

    // Act
    const stored = await account.reports.putReport(report({ key }));

    // Assess
    expect(new TextEncoder().encode(key).length).toBe(1024);
    expect(stored.key).toBe(key);
  });

  test('refuses a key over 1,024 bytes of UTF-8 as invalid input, before any call', async () => {
    // Prepare
    const account = open(world());
    const key = `audits/${'€'.repeat(336)}/report.ab`;

    // Act
    const putting = account.reports.putReport(report({ key }));

    // Assess
    await expect(putting).rejects.toThrow(InvalidInputError);
    expect(account.reportCalls()).toBe(0);
  });

  test('refuses an empty key as invalid input, before any call', async () => {
    // Prepare
    const account = open(world());

    // Act
    const putting = account.reports.putReport(report({ key: '' }));

    // Assess
    await expect(putting).rejects.toThrow(InvalidInputError);
    expect(account.reportCalls()).toBe(0);
  });
});

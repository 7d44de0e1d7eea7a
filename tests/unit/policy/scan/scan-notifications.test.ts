import path from 'node:path';
import { loadJson } from '../../../fixtures/load';
import { parseScanGate } from '../../../../lib/policy/scan/scan-gate-config';
import type { ScanEvent } from '../../../../lib/policy/scan-events';
import { parseScanEvent } from '../../../../lib/policy/scan-events';
import type { ScanFinding } from '../../../../lib/policy/scan/image-scan-findings';
import type { ScanSeverity } from '../../../../lib/policy/scan/severity';
import {
  CHATBOT_DESCRIPTION_MAX_CHARS,
  chatbotPayload,
  scanFailedNotification,
  scanVerdictNotification,
} from '../../../../lib/policy/scan/scan-notifications';
import {
  fitMessage as capMessage,
  fitSubject as toSubject,
  MESSAGE_MAX_BYTES,
} from '../../../../lib/policy/notifications';
import { decideVerdict } from '../../../../lib/policy/scan/verdict';

const NOW = new Date('2026-10-02T09:20:00Z');
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const PRODUCED_BY = {
  project: 'web-frontend-build',
  buildId: 'web-frontend-build:6c1f2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  buildNumber: 42,
  sourceVersion: '3f9a1c2e7b4d5a6f8091a2b3c4d5e6f708192a3b',
};

interface ScanEventJson {
  detail: {
    'scan-status': string;
    'repository-name': string;
    'image-tags': string[];
    'finding-severity-counts'?: Record<string, number>;
  };
  resources: string[];
}
const scanJson = (name = 'ecr-image-scan-complete.json') =>
  loadJson<ScanEventJson>(path.join('..', '..', 'events', name));

/** events/ecr-image-scan-complete.json: web/frontend:1.4.2 with 1 critical, 3 high, 9 medium, 14 low, 2 info. */
const completeScan = (): ScanEvent => parseScanEvent(scanJson());

function finding(id: string, severity: ScanSeverity, score: number, packageName: string): ScanFinding {
  return {
    id,
    severity,
    score,
    link: `https://nvd.nist.gov/vuln/detail/${id}`,
    packages: [{ name: packageName, version: '1.0.0', fixedInVersion: '1.0.1' }],
  };
}

function verdictNotification(findings: ScanFinding[] = [], rawConfig: unknown = {}, event = completeScan()) {
  const verdict = decideVerdict({ scan: event, findings, config: parseScanGate(rawConfig), now: NOW });
  return scanVerdictNotification({ event, verdict, producedBy: PRODUCED_BY });
}

describe('scan verdict notification', () => {
  test('the subject says FAIL, the image and the exceeded thresholds', () => {
    const n = verdictNotification();

    expect(n.subject).toBe('buildwarden scan FAIL: web/frontend:1.4.2 (1 critical > 0, 3 high > 0)');
  });

  test('a passing image says PASS and its counts', () => {
    const n = verdictNotification([], { thresholds: { critical: null, high: null } });

    expect(n.subject).toBe(
      'buildwarden scan PASS: web/frontend:1.4.2 (1 critical, 3 high, 9 medium, 14 low, 2 informational)',
    );
  });

  test('the body names repository, digest, tags, the producing build and the exceeded thresholds', () => {
    const n = verdictNotification();

    expect(n.message).toContain('Repository:   web/frontend');
    expect(n.message).toContain(`Image digest: ${DIGEST}`);
    expect(n.message).toContain('Tags:         1.4.2');
    expect(n.message).toContain(
      'Built by:     web-frontend-build build #42 (web-frontend-build:6c1f2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b), source version 3f9a1c2e7b4d5a6f8091a2b3c4d5e6f708192a3b',
    );
    expect(n.message).toContain('  critical: 1 found, at most 0 allowed');
    expect(n.message).toContain(
      'Console:      https://us-east-1.console.aws.amazon.com/ecr/repositories/private/123456789012/web/frontend?region=us-east-1',
    );
  });

  test('top findings are listed worst first with package, fix and link', () => {
    const n = verdictNotification([
      finding('CVE-2024-0002', 'high', 7.5, 'zlib'),
      finding('CVE-2024-0001', 'critical', 9.8, 'openssl'),
    ]);

    const lines = n.message.split('\n');
    const first = lines.findIndex((l) => l.includes('CVE-2024-0001'));
    const second = lines.findIndex((l) => l.includes('CVE-2024-0002'));
    expect(first).toBeGreaterThan(-1);
    expect(second).toBe(first + 1);
    expect(lines[first]).toBe(
      '  CRITICAL       9.8  CVE-2024-0001 openssl 1.0.0 (fixed in 1.0.1)  https://nvd.nist.gov/vuln/detail/CVE-2024-0001',
    );
  });

  test('more findings than topFindings are cut with a count of the rest', () => {
    const findings = Array.from({ length: 30 }, (_, i) => finding(`CVE-2024-${1000 + i}`, 'low', 3, 'pkg'));

    const n = verdictNotification(findings, { topFindings: 5 });

    expect(n.message).toContain('Top findings (5 of 30, worst first: severity, then score):');
    expect(n.message).toContain('  … and 25 more');
    expect(n.message.split('\n').filter((l) => /^ {2}LOW .*CVE-2024-1\d{3}/.test(l))).toHaveLength(5);
  });

  test('applied and expired allowlist entries are both shown', () => {
    const n = verdictNotification(
      [finding('CVE-2023-44487', 'high', 7.5, 'nghttp2'), finding('CVE-2022-0778', 'high', 7.5, 'openssl')],
      {
        allowlist: [
          { cve: 'CVE-2023-44487', reason: 'HTTP/2 not exposed', expires: '2026-12-31' },
          { cve: 'CVE-2022-0778', reason: 'waiting for base image', expires: '2026-06-30' },
        ],
      },
    );

    expect(n.message).toContain('  CVE-2023-44487 (1 finding), until 2026-12-31: HTTP/2 not exposed');
    expect(n.message).toContain('  CVE-2022-0778 expired 2026-06-30');
  });

  test('without a findings list the body says the counts come from the event', () => {
    const n = verdictNotification([]);

    expect(n.message).toContain('Top findings: not available (the counts above come from the scan event).');
  });

  test('attributes carry kind, worst severity, repository and project', () => {
    const n = verdictNotification();

    expect(n.attributes).toEqual({
      kind: 'scan-verdict',
      severity: 'critical',
      repository: 'web/frontend',
      project: 'web-frontend-build',
    });
  });

  test('the project attribute is empty when the producing build is unknown', () => {
    const event = completeScan();
    const verdict = decideVerdict({ scan: event, findings: [], config: parseScanGate({}), now: NOW });

    const n = scanVerdictNotification({ event, verdict });

    expect(n.attributes.project).toBe('');
    expect(n.message).toContain('Built by:     unknown');
  });

  test('an untagged image is named by its short digest', () => {
    const json = scanJson();
    json.detail['image-tags'] = [];

    const n = verdictNotification([], {}, parseScanEvent(json));

    expect(n.subject).toMatch(/^buildwarden scan FAIL: web\/frontend@sha256:923dd2326db2 \(/);
  });

  test('a scan-failed verdict gets the scan-failed text', () => {
    const json = scanJson('ecr-image-scan-failed.json');

    const n = verdictNotification([], {}, parseScanEvent(json));

    expect(n.attributes.kind).toBe('scan-failed');
  });
});

describe('a verdict that flipped', () => {
  const critical = finding('CVE-2024-3094', 'critical', 10, 'xz-utils');
  const decided = (findings: ScanFinding[], rawConfig: unknown = {}) =>
    decideVerdict({ scan: completeScan(), findings, config: parseScanGate(rawConfig), now: NOW });

  test('pass to fail: the subject says "now FAILS" and names the worst new finding', () => {
    const verdict = decided([critical]);

    const n = scanVerdictNotification({
      event: completeScan(),
      verdict,
      flip: { from: 'pass', worstNewFinding: verdict.topFindings[0]! },
    });

    expect(n.subject).toBe(
      'buildwarden scan: web/frontend:1.4.2 now FAILS: CVE-2024-3094 (1 critical > 0, 3 high > 0)',
    );
    expect(n.attributes).toMatchObject({ kind: 'scan-verdict', change: 'pass-to-fail' });
  });

  test('pass to fail: the body says what changed and which finding is new', () => {
    const verdict = decided([critical]);

    const n = scanVerdictNotification({
      event: completeScan(),
      verdict,
      flip: { from: 'pass', worstNewFinding: verdict.topFindings[0]! },
    });

    expect(n.message).toContain('The verdict changed: PASS -> FAIL.');
    expect(n.message).toContain(
      'Worst new finding: CRITICAL      10.0  CVE-2024-3094 xz-utils 1.0.0 (fixed in 1.0.1)',
    );
  });

  test('fail to pass: the subject says "now PASSES" and what it was', () => {
    const verdict = decided([], { thresholds: { critical: null, high: null } });

    const n = scanVerdictNotification({ event: completeScan(), verdict, flip: { from: 'fail' } });

    expect(n.subject).toBe('buildwarden scan: web/frontend:1.4.2 now PASSES (was FAIL)');
    expect(n.attributes.change).toBe('fail-to-pass');
  });

  test('a "flip" to the verdict it already had is an ordinary notification', () => {
    const n = scanVerdictNotification({
      event: completeScan(),
      verdict: decided([]),
      flip: { from: 'fail' },
    });

    expect(n.subject).toMatch(/^buildwarden scan FAIL: /);
    expect(n.attributes.change).toBeUndefined();
  });

  test('the scan line gives the completion time when it is known', () => {
    const event = { ...completeScan(), scannedAt: '2026-10-02T09:15:20.000Z' };

    const n = scanVerdictNotification({ event, verdict: decided([]) });

    expect(n.message).toContain(
      'Scan:         basic (Amazon ECR), status COMPLETE, completed 2026-10-02T09:15:20.000Z',
    );
  });
});

describe('subject limits', () => {
  test('a subject for a very long repository name stays within 99 ASCII characters', () => {
    const json = scanJson();
    const name = `team/${'very-long-service-name/'.repeat(10)}frontend`;
    json.detail['repository-name'] = name;
    json.resources = [];

    const n = verdictNotification([], {}, parseScanEvent(json));

    expect(n.subject.length).toBeLessThanOrEqual(99);
    expect(n.subject).toMatch(/^buildwarden scan FAIL: team\/very-long-service-name\/.*\.\.\.$/);
  });

  test('non-ASCII and line breaks are replaced in subjects', () => {
    expect(toSubject('scan\nFAIL: café')).toBe('scan FAIL: caf?');
  });

  test('a message over the SNS limit is cut and says so', () => {
    const long = 'x'.repeat(MESSAGE_MAX_BYTES + 10);

    const capped = capMessage(long);

    expect(new TextEncoder().encode(capped).length).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(capped.endsWith('… (truncated to fit the SNS message size limit)')).toBe(true);
  });
});

describe('scan failed notification', () => {
  const failed = () => parseScanEvent(scanJson('ecr-image-scan-failed.json'));

  test('the subject says the image is not verified', () => {
    const n = scanFailedNotification({ event: failed() });

    expect(n.subject).toBe('buildwarden scan FAILED: web/frontend:1.4.2 is not verified (FAILED)');
  });

  test('the body says the gate does not pass it and how to scan again', () => {
    const n = scanFailedNotification({ event: failed(), producedBy: PRODUCED_BY });

    expect(n.message).toContain('the scan gate does not pass it');
    expect(n.message).toContain(
      `aws ecr start-image-scan --repository-name web/frontend --image-id imageDigest=${DIGEST} --region us-east-1`,
    );
  });

  test('attributes mark it high severity with kind scan-failed', () => {
    const n = scanFailedNotification({ event: failed(), producedBy: PRODUCED_BY });

    expect(n.attributes).toEqual({
      kind: 'scan-failed',
      severity: 'high',
      repository: 'web/frontend',
      project: 'web-frontend-build',
    });
  });
});

describe('chatbot payload', () => {
  test('uses the custom notification schema: version 1.0, source custom, title and description', () => {
    const n = verdictNotification();

    const payload = chatbotPayload(n, {
      threadId: 'buildwarden-web/frontend',
      nextSteps: ['Rebuild the image'],
    });

    expect(payload).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { title: n.subject, description: n.message, nextSteps: ['Rebuild the image'] },
      metadata: {
        threadId: 'buildwarden-web/frontend',
        summary: n.subject,
        eventType: 'scan-verdict',
        additionalContext: n.attributes,
      },
    });
  });

  test('a long description is cut to the chat limit with a marker', () => {
    const n = { subject: 's', message: 'line\n'.repeat(2000), attributes: { kind: 'scan-verdict' } };

    const payload = chatbotPayload(n);

    expect(payload.content.description.length).toBeLessThanOrEqual(CHATBOT_DESCRIPTION_MAX_CHARS);
    expect(payload.content.description.endsWith('… (truncated)')).toBe(true);
  });

  test('optional parts are left out when not given', () => {
    const payload = chatbotPayload({ subject: 's', message: 'm', attributes: { kind: 'build-state' } });

    expect(payload).toEqual({
      version: '1.0',
      source: 'custom',
      content: { title: 's', description: 'm' },
      metadata: { summary: 's', eventType: 'build-state', additionalContext: { kind: 'build-state' } },
    });
  });
});

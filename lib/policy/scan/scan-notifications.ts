/**
 * Scan gate notifications: plain text an email reader can act on (what image, which verdict, which findings,
 * what to do next), and the same text as an AWS Chatbot (Amazon Q Developer in chat applications) custom
 * notification. Pure.
 */
import type { ProducedBy } from '../builds';
import type { NotificationText } from '../notifications';
import { truncateLines } from '../notifications';
import type { ScanEvent } from '../scan-events';
import type { TopFinding } from './image-scan-findings';
import { SCAN_SEVERITIES, worstSeverity } from './severity';
import { fitMessage, fitSubject, repositoryConsoleLink } from '../notifications';
import { clip, imageLabel, notificationSeverity } from './text';
import type { Verdict } from './verdict';

/**
 * The scanned image a notification is about: a scan event, or what the findings API said about an image when an
 * Amazon Inspector finding made the gate look again (`account` is then the image's registry, `time` the scan's
 * completion).
 */
export type ScannedImage = Pick<
  ScanEvent,
  'kind' | 'scanStatus' | 'repositoryName' | 'imageDigest' | 'imageTags' | 'account' | 'region' | 'time'
> & {
  /** When the scan completed (the findings API's imageScanCompletedAt), when known. */
  scannedAt?: string;
};

/** A verdict that changed between pass and fail: what it was, and the worst finding that is new. */
export interface VerdictFlip {
  from: 'pass' | 'fail' | 'scan-failed';
  /** The worst finding that was not among the previous verdict's top findings (see `worstNewFinding`). */
  worstNewFinding?: TopFinding;
}

export interface ScanNotificationInput {
  event: ScannedImage;
  verdict: Verdict;
  /** The build that pushed the image, when known (`correlateImageToBuild`). */
  producedBy?: ProducedBy;
  /** Set when the image had another verdict before this one. */
  flip?: VerdictFlip;
}

export interface ScanFailedNotificationInput {
  event: ScannedImage;
  producedBy?: ProducedBy;
}

const MAX_TAGS = 10;
const MAX_ALLOWLIST_LINES = 20;
const MAX_REASON_CHARS = 200;
const MAX_LINK_CHARS = 300;

function imageFacts(event: ScannedImage, producedBy: ProducedBy | undefined): string[] {
  const tags =
    event.imageTags.length === 0
      ? '(untagged)'
      : [
          ...event.imageTags.slice(0, MAX_TAGS),
          ...(event.imageTags.length > MAX_TAGS ? [`… and ${event.imageTags.length - MAX_TAGS} more`] : []),
        ].join(', ');
  const scanner = event.kind === 'basic' ? 'basic (Amazon ECR)' : 'enhanced (Amazon Inspector)';
  const built = producedBy
    ? [
        `Built by:     ${producedBy.project} build ${
          producedBy.buildNumber !== undefined ? `#${producedBy.buildNumber} ` : ''
        }(${producedBy.buildId})${producedBy.sourceVersion ? `, source version ${producedBy.sourceVersion}` : ''}`,
      ]
    : ['Built by:     unknown'];
  return [
    `Repository:   ${event.repositoryName}`,
    `Registry:     ${event.account} / ${event.region}`,
    `Image digest: ${event.imageDigest}`,
    `Tags:         ${tags}`,
    `Scan:         ${scanner}, status ${event.scanStatus}, ${
      event.scannedAt ? `completed ${event.scannedAt}` : `event time ${event.time}`
    }`,
    ...built,
    `Console:      ${repositoryConsoleLink(event.account, event.region, event.repositoryName)}`,
  ];
}

function findingLine(f: TopFinding): string {
  const score = f.score !== undefined ? f.score.toFixed(1) : '-';
  const pkg = f.packageName ? ` ${f.packageName}${f.packageVersion ? ` ${f.packageVersion}` : ''}` : '';
  const fix = f.fixedInVersion ? ` (fixed in ${f.fixedInVersion})` : '';
  const link = f.link ? `  ${clip(f.link, MAX_LINK_CHARS)}` : '';
  return `  ${f.severity.toUpperCase().padEnd(13)} ${score.padStart(4)}  ${f.id}${pkg}${fix}${link}`;
}

const limitText = (max: number | null) => (max === null ? 'unlimited' : `at most ${max}`);

/** The verdict for one scanned image. A scan-failed verdict gets `scanFailedNotification`'s text. */
export function scanVerdictNotification(input: ScanNotificationInput): NotificationText {
  const { event, verdict, producedBy, flip } = input;
  if (verdict.verdict === 'scan-failed')
    return scanFailedNotification({ event, ...(producedBy ? { producedBy } : {}) });
  const label = imageLabel(event.repositoryName, event.imageTags, event.imageDigest);
  const failed = verdict.verdict === 'fail';
  const flipped = flip !== undefined && flip.from !== verdict.verdict ? flip : undefined;

  const summary = failed
    ? verdict.exceeded.map((e) => `${e.count} ${e.severity} > ${e.max}`).join(', ')
    : SCAN_SEVERITIES.filter((s) => verdict.counts[s] > 0)
        .map((s) => `${verdict.counts[s]} ${s}`)
        .join(', ') || 'no findings';
  const was = flipped ? flipped.from.toUpperCase() : '';
  const newest = flipped?.worstNewFinding ? `: ${flipped.worstNewFinding.id}` : '';
  const subject = fitSubject(
    !flipped
      ? `buildwarden scan ${failed ? 'FAIL' : 'PASS'}: ${label} (${summary})`
      : failed
        ? `buildwarden scan: ${label} now FAILS${newest} (${summary})`
        : `buildwarden scan: ${label} now PASSES (was ${was})`,
  );
  const flipLines = flipped
    ? [
        '',
        `The verdict changed: ${was} -> ${failed ? 'FAIL' : 'PASS'}.`,
        ...(failed && flipped.worstNewFinding
          ? [`Worst new finding: ${findingLine(flipped.worstNewFinding).trim()}`]
          : []),
      ]
    : [];

  const thresholdLines = failed
    ? [
        '',
        `Thresholds exceeded (from ${verdict.thresholdSource}):`,
        ...verdict.exceeded.map((e) => `  ${e.severity}: ${e.count} found, ${limitText(e.max)} allowed`),
      ]
    : [
        '',
        `Thresholds (from ${verdict.thresholdSource}): ${SCAN_SEVERITIES.map(
          (s) => `${s} ${limitText(verdict.thresholds[s])}`,
        ).join(', ')}`,
      ];

  const countLines = [
    '',
    'Findings by severity (after allowlist / as scanned):',
    ...SCAN_SEVERITIES.map(
      (s) =>
        `  ${s.padEnd(14)} ${String(verdict.counts[s]).padStart(5)} / ${String(verdict.rawCounts[s]).padStart(5)}`,
    ),
    ...(verdict.unclassified > 0
      ? [
          `  ${'unclassified'.padEnd(14)} ${String(verdict.unclassified).padStart(5)}   (in the scan's total, severity not reported)`,
        ]
      : []),
  ];

  const shown = verdict.topFindings.length;
  const anyCounted = SCAN_SEVERITIES.some((s) => verdict.counts[s] > 0) || verdict.unclassified > 0;
  const findingLines =
    shown > 0
      ? [
          '',
          `Top findings (${shown} of ${verdict.rankedFindings}, worst first: severity, then score):`,
          ...verdict.topFindings.map(findingLine),
          ...(verdict.rankedFindings > shown ? [`  … and ${verdict.rankedFindings - shown} more`] : []),
        ]
      : anyCounted
        ? ['', 'Top findings: not available (the counts above come from the scan event).']
        : [];

  const allowLines =
    verdict.allowlisted.length > 0
      ? [
          '',
          'Allowlist applied:',
          ...truncateLines(
            verdict.allowlisted.map(
              (a) =>
                `  ${a.cve} (${a.findings} finding${a.findings === 1 ? '' : 's'}), until ${a.expires}: ${clip(a.reason, MAX_REASON_CHARS)}`,
            ),
            MAX_ALLOWLIST_LINES,
          ),
        ]
      : [];
  const expiredLines =
    verdict.expiredAllowlist.length > 0
      ? [
          '',
          'Expired allowlist entries (no longer applied: fix the finding or renew the entry):',
          ...truncateLines(
            verdict.expiredAllowlist.map((e) => `  ${e.cve} expired ${e.expired}`),
            MAX_ALLOWLIST_LINES,
          ),
        ]
      : [];

  const listCommand = `aws ecr describe-image-scan-findings --repository-name ${event.repositoryName} --image-id imageDigest=${event.imageDigest} --region ${event.region}`;
  const nextSteps = failed
    ? [
        '',
        'Next steps:',
        shown > 0
          ? '  - Rebuild on a patched base image or upgrade the packages named above, then push again.'
          : `  - List the findings (${listCommand}), fix them on a patched base image, then push again.`,
        '  - To accept a finding for a while, add its CVE to the scan gate allowlist with a reason and an expiry.',
      ]
    : [];

  const message = fitMessage(
    [
      `buildwarden image scan: ${failed ? 'FAIL' : 'PASS'} for ${label}`,
      '',
      failed
        ? 'The image exceeds the scan gate thresholds and should not be deployed.'
        : 'The image is within the scan gate thresholds.',
      ...flipLines,
      '',
      ...imageFacts(event, producedBy),
      ...thresholdLines,
      ...countLines,
      ...findingLines,
      ...allowLines,
      ...expiredLines,
      ...nextSteps,
    ].join('\n'),
  );

  return {
    subject,
    message,
    attributes: {
      kind: 'scan-verdict',
      severity: notificationSeverity(worstSeverity(verdict.counts)),
      repository: event.repositoryName,
      project: producedBy?.project ?? '',
      ...(flipped ? { change: `${flipped.from}-to-${verdict.verdict}` } : {}),
    },
  };
}

/** A scan that did not complete: the image is unverified, never passed. */
export function scanFailedNotification(input: ScanFailedNotificationInput): NotificationText {
  const { event, producedBy } = input;
  const label = imageLabel(event.repositoryName, event.imageTags, event.imageDigest);
  const subject = fitSubject(`buildwarden scan FAILED: ${label} is not verified (${event.scanStatus})`);
  const imageId = `imageDigest=${event.imageDigest}`;
  const repo = `--repository-name ${event.repositoryName}`;
  const message = fitMessage(
    [
      `buildwarden image scan: SCAN FAILED for ${label}`,
      '',
      `The ${event.kind} scan of this image did not complete (scan status ${event.scanStatus}).`,
      'Nothing is known about its vulnerabilities: the scan gate does not pass it.',
      '',
      ...imageFacts(event, producedBy),
      '',
      'Next steps:',
      `  - See why: aws ecr describe-image-scan-findings ${repo} --image-id ${imageId} --region ${event.region}`,
      '    (imageScanStatus.description explains it, e.g. an operating system the scanner does not support).',
      event.kind === 'basic'
        ? `  - Scan again: aws ecr start-image-scan ${repo} --image-id ${imageId} --region ${event.region}`
        : '  - Amazon Inspector scans again when the image is pushed again; check its coverage in the Inspector console.',
    ].join('\n'),
  );
  return {
    subject,
    message,
    attributes: {
      kind: 'scan-failed',
      severity: 'high',
      repository: event.repositoryName,
      project: producedBy?.project ?? '',
    },
  };
}

// ---- AWS Chatbot ----------------------------------------------------------------------------------------------

/**
 * AWS Chatbot custom notification (Amazon Q Developer in chat applications, "Custom notifications" → Event
 * schema): `version` must be `1.0` and `source` `custom`; `content.description` is required, `title`,
 * `nextSteps` and the `metadata` block are optional. `textType` is left out: the text is plain, not markdown.
 */
export interface ChatbotPayload {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: { textType?: 'client-markdown'; title: string; description: string; nextSteps?: string[] };
  metadata: {
    threadId?: string;
    summary: string;
    eventType: string;
    relatedResources?: string[];
    additionalContext: Record<string, string>;
  };
}

export interface ChatbotOptions {
  id?: string;
  /** Groups related notifications in one chat thread (e.g. one thread per repository). */
  threadId?: string;
  nextSteps?: string[];
  /** ARNs shown as related resources. */
  relatedResources?: string[];
}

/**
 * Our cap, not a documented Chatbot limit: Slack renders one text block of at most 3,000 characters, and a
 * chat message is no place for the full email anyway.
 */
export const CHATBOT_DESCRIPTION_MAX_CHARS = 3000;
const CHATBOT_TITLE_MAX_CHARS = 250;

export function chatbotPayload(notification: NotificationText, options: ChatbotOptions = {}): ChatbotPayload {
  const description =
    notification.message.length <= CHATBOT_DESCRIPTION_MAX_CHARS
      ? notification.message
      : `${notification.message.slice(0, CHATBOT_DESCRIPTION_MAX_CHARS - 40).trimEnd()}\n… (truncated)`;
  return {
    version: '1.0',
    source: 'custom',
    ...(options.id ? { id: options.id } : {}),
    content: {
      title: clip(notification.subject, CHATBOT_TITLE_MAX_CHARS),
      description,
      ...(options.nextSteps && options.nextSteps.length > 0 ? { nextSteps: [...options.nextSteps] } : {}),
    },
    metadata: {
      ...(options.threadId ? { threadId: options.threadId } : {}),
      summary: notification.subject,
      eventType: notification.attributes.kind ?? 'buildwarden',
      ...(options.relatedResources && options.relatedResources.length > 0
        ? { relatedResources: [...options.relatedResources] }
        : {}),
      additionalContext: { ...notification.attributes },
    },
  };
}

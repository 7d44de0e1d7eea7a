/**
 * The EventBridge events the scan gate reacts to, parsed once at the trust boundary and normalised:
 * - `ECR Image Scan` (aws.ecr, basic scanning) and `Inspector2 Scan` (aws.inspector2, enhanced scanning) →
 *   `ScanEvent` (ECR User Guide, "Amazon ECR events and EventBridge" and "Enhanced scanning" → EventBridge events);
 *   an `Inspector2 Scan` of an EC2 instance, a Lambda function or a machine image → `OtherResourceEvent`;
 * - `Inspector2 Finding` about an ECR image (a `detail.resources[]` entry of type AWS_ECR_CONTAINER_IMAGE) →
 *   `InspectorFindingEvent`; about anything else → `OtherResourceEvent` (Amazon Inspector User Guide, "Amazon
 *   EventBridge event schema for Amazon Inspector events").
 * Schemas are loose (unknown fields are kept and ignored) but every field read is checked; a failure names the
 * JSON path of the offending field.
 */
import * as z from 'zod';
import { parseRepositoryArn, REGION } from './aws-facts';
import { accountId, envelope, imageDigest, originOf, repositoryName, type EventOrigin } from './event-fields';
import type { ScanSeverity, SeverityCounts } from './scan/severity';
import { SCAN_SEVERITIES, toScanSeverity, zeroCounts } from './scan/severity';
import { InvalidInputError, parseWith } from './validation';

const count = z
  .number({ error: 'expected a non-negative integer' })
  .int('expected a non-negative integer')
  .nonnegative('expected a non-negative integer');

/** A repository's ARN: an image ARN (`…/sha256:…`) is not one. */
const isRepositoryArn = (arn: string) => {
  const parts = parseRepositoryArn(arn);
  return parts !== undefined && parts.imageDigest === undefined;
};

function detailTypeOf(event: unknown, source: string): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidInputError(source, ['(root): expected an EventBridge event object']);
  }
  return (event as Record<string, unknown>)['detail-type'];
}

// ---- scan events --------------------------------------------------------------------------------------------

const imageTags = z.array(z.string().min(1)).default([]);

/** The severity keys both scan events count under (then UNDEFINED, or UNTRIAGED and TOTAL). */
const SEVERITY_KEYS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;

/** `finding-severity-counts`: each key absent or a count. */
function severityCounts<K extends string>(keys: readonly K[]) {
  const shape = Object.fromEntries(keys.map((key) => [key, count.optional()]));
  // Every key is optional, so no counts at all is an empty object (which zod cannot check for a generic K).
  return z.looseObject(shape as Record<K, z.ZodOptional<typeof count>>).default({} as never);
}

/** ECR basic scanning: "`finding-severity-counts` will only return a value for a severity level if one exists". */
const basicScanSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('ECR Image Scan'),
  source: z.literal('aws.ecr'),
  detail: z.looseObject({
    'scan-status': z.enum(['COMPLETE', 'FAILED']),
    'repository-name': repositoryName,
    'image-digest': imageDigest,
    'image-tags': imageTags,
    'finding-severity-counts': severityCounts([...SEVERITY_KEYS, 'UNDEFINED']),
  }),
});

/**
 * Amazon Inspector enhanced scanning. `repository-name` is the repository ARN. The counts break out CRITICAL,
 * HIGH and MEDIUM and give a TOTAL that also covers the severities not broken out (the documented sample:
 * 7 + 61 + 62 of 158). LOW, INFORMATIONAL and UNTRIAGED are read when present.
 */
const enhancedScanSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('Inspector2 Scan'),
  source: z.literal('aws.inspector2'),
  detail: z.looseObject({
    'scan-status': z.string().min(1),
    'repository-name': z.string().refine(isRepositoryArn, 'expected an ECR repository ARN'),
    'image-digest': imageDigest,
    'image-tags': imageTags,
    'finding-severity-counts': severityCounts([...SEVERITY_KEYS, 'UNTRIAGED', 'TOTAL']),
  }),
});

/**
 * Inspector2 Scan statuses that mean "the image was scanned and the counts are final". Every other status is
 * treated as a scan that did not complete: the gate fails closed rather than passing an image on counts that
 * may not exist.
 */
export const ENHANCED_COMPLETE_STATUSES: readonly string[] = ['INITIAL_SCAN_COMPLETE'];

export interface ScanEvent extends EventOrigin {
  kind: 'basic' | 'enhanced';
  status: 'complete' | 'failed';
  /** `scan-status` as sent (COMPLETE, FAILED, INITIAL_SCAN_COMPLETE …). */
  scanStatus: string;
  repositoryName: string;
  /** Known from the event's `resources` (basic) or `repository-name` (enhanced). */
  repositoryArn?: string;
  /** The registry (account) of the repository: from its ARN, else the event's account. */
  registryId: string;
  /** The region of the repository: from its ARN, else the event's region. */
  repositoryRegion: string;
  imageDigest: string;
  imageTags: string[];
  /** Per severity; a severity the event does not mention counts zero. */
  counts: SeverityCounts;
  /**
   * Severities the event gives a count for. Basic scans report all six (absent = zero); enhanced scans report
   * critical, high and medium, plus any other severity key present.
   */
  reportedSeverities: ScanSeverity[];
  /** All findings the scan counted: the sum of `counts`, or an enhanced scan's TOTAL (never less than the sum). */
  total: number;
}

const BASIC_KEYS: Record<ScanSeverity, string> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  informational: 'INFORMATIONAL',
  undefined: 'UNDEFINED',
};
const ENHANCED_KEYS: Record<ScanSeverity, string> = { ...BASIC_KEYS, undefined: 'UNTRIAGED' };
const ENHANCED_ALWAYS_REPORTED: readonly ScanSeverity[] = ['critical', 'high', 'medium'];

function readCounts(raw: Record<string, unknown>, keys: Record<ScanSeverity, string>): SeverityCounts {
  const counts = zeroCounts();
  for (const s of SCAN_SEVERITIES) {
    const value = raw[keys[s]];
    if (typeof value === 'number') counts[s] = value;
  }
  return counts;
}

const sum = (counts: SeverityCounts): number => SCAN_SEVERITIES.reduce((n, s) => n + counts[s], 0);

function parseBasicScan(event: unknown): ScanEvent {
  const e = parseWith(basicScanSchema, event, 'ECR Image Scan event');
  const d = e.detail;
  const counts = readCounts(d['finding-severity-counts'], BASIC_KEYS);
  const name = d['repository-name'];
  const repositoryArn = e.resources.find(
    (arn) => isRepositoryArn(arn) && parseRepositoryArn(arn)?.repositoryName === name,
  );
  const parts = repositoryArn ? parseRepositoryArn(repositoryArn) : undefined;
  return {
    kind: 'basic',
    status: d['scan-status'] === 'COMPLETE' ? 'complete' : 'failed',
    scanStatus: d['scan-status'],
    repositoryName: name,
    ...(repositoryArn ? { repositoryArn } : {}),
    registryId: parts?.accountId ?? e.account,
    repositoryRegion: parts?.region ?? e.region,
    imageDigest: d['image-digest'],
    imageTags: d['image-tags'],
    counts,
    reportedSeverities: [...SCAN_SEVERITIES],
    total: sum(counts),
    ...originOf(e),
  };
}

function parseEnhancedScan(event: unknown): ScanEvent {
  const e = parseWith(enhancedScanSchema, event, 'Inspector2 Scan event');
  const d = e.detail;
  const raw = d['finding-severity-counts'];
  const counts = readCounts(raw, ENHANCED_KEYS);
  const reportedSeverities = SCAN_SEVERITIES.filter(
    (s) => ENHANCED_ALWAYS_REPORTED.includes(s) || raw[ENHANCED_KEYS[s]] !== undefined,
  );
  const arn = d['repository-name'];
  const parts = parseRepositoryArn(arn);
  const name = parts?.repositoryName ?? arn;
  return {
    kind: 'enhanced',
    status: ENHANCED_COMPLETE_STATUSES.includes(d['scan-status']) ? 'complete' : 'failed',
    scanStatus: d['scan-status'],
    repositoryName: name,
    repositoryArn: arn,
    registryId: parts?.accountId ?? e.account,
    repositoryRegion: parts?.region ?? e.region,
    imageDigest: d['image-digest'],
    imageTags: d['image-tags'],
    counts,
    reportedSeverities,
    total: Math.max(raw.TOTAL ?? 0, sum(counts)),
    ...originOf(e),
  };
}

/** Parses an `ECR Image Scan` or `Inspector2 Scan` event; anything else is an InvalidInputError. */
export function parseScanEvent(event: unknown): ScanEvent {
  const detailType = detailTypeOf(event, 'scan event');
  if (detailType === 'ECR Image Scan') return parseBasicScan(event);
  if (detailType === 'Inspector2 Scan') return parseEnhancedScan(event);
  throw new InvalidInputError('scan event', [
    `detail-type: expected "ECR Image Scan" or "Inspector2 Scan", got ${JSON.stringify(detailType) ?? 'nothing'}`,
  ]);
}

// ---- events about other resources -----------------------------------------------------------------------------

/**
 * An Amazon Inspector event about something that is not an ECR image: Inspector scans EC2 instances, Lambda
 * functions and machine images too, and sends the same detail-types for them. Not malformed, not ours: the
 * handler skips it with `reason`.
 */
export interface OtherResourceEvent extends EventOrigin {
  kind: 'other-resource';
  detailType: string;
  reason: string;
}

const inspectorEnvelopeSchema = z.looseObject({
  ...envelope,
  'detail-type': z.enum(['Inspector2 Scan', 'Inspector2 Finding']),
  source: z.literal('aws.inspector2'),
  detail: z.looseObject({}),
});

/** What an Inspector event names instead of an ECR repository: `i-…`, a function ARN, `ami-…`. */
function namedResources(resources: readonly string[]): string {
  const shown = resources.slice(0, 3).join(', ');
  return resources.length > 3 ? `${shown} …` : shown || 'no resource';
}

/**
 * An `Inspector2 Scan` is about an ECR image when it names a repository (`repository-name`) or an ECR ARN among
 * its `resources` (the documented EC2, Lambda and machine image scans carry an instance id, a function ARN or an
 * AMI id instead). One that is about an ECR image but malformed is still parsed, so its problems are reported.
 */
function otherResourceScan(event: unknown): OtherResourceEvent | undefined {
  const e = parseWith(inspectorEnvelopeSchema, event, 'Inspector2 Scan event');
  const ecr = e.resources.some((arn) => parseRepositoryArn(arn) !== undefined);
  if (ecr || e.detail['repository-name'] !== undefined) return undefined;
  return {
    kind: 'other-resource',
    detailType: e['detail-type'],
    reason: `an Amazon Inspector scan of ${namedResources(e.resources)} is not an Amazon ECR image scan`,
    ...originOf(e),
  };
}

// ---- Amazon Inspector findings --------------------------------------------------------------------------------

/** The Inspector resource type of an ECR image (Inspector2 API, ResourceType). */
export const ECR_IMAGE_RESOURCE_TYPE = 'AWS_ECR_CONTAINER_IMAGE';

const inspectorResourceSchema = z.looseObject({
  type: z.string().min(1),
  id: z.string().optional(),
  /** `N/A` in the ECR User Guide's sample; the Region otherwise. */
  region: z.string().optional(),
  details: z
    .looseObject({
      awsEcrContainerImage: z
        .looseObject({
          repositoryName: repositoryName,
          imageHash: imageDigest,
          registry: accountId,
          imageTags,
        })
        .optional(),
    })
    .optional(),
});

const inspectorFindingSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('Inspector2 Finding'),
  source: z.literal('aws.inspector2'),
  detail: z.looseObject({
    findingArn: z.string().min(1).optional(),
    /** INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED. */
    severity: z.string().min(1).optional(),
    /** ACTIVE, SUPPRESSED or CLOSED. */
    status: z.string().min(1).optional(),
    title: z.string().optional(),
    type: z.string().optional(),
    packageVulnerabilityDetails: z.looseObject({ vulnerabilityId: z.string().optional() }).optional(),
    resources: z.array(inspectorResourceSchema).min(1, 'expected at least one resource'),
  }),
});

/**
 * Amazon Inspector created, updated or closed a finding about an ECR image. The event is a hint that the
 * image's findings changed: the verdict is decided again from the findings API, never from this one finding.
 */
export interface InspectorFindingEvent extends EventOrigin {
  kind: 'finding';
  repositoryName: string;
  registryId: string;
  /** From the resource (`region`, else the region in its ARN), else the event's region. */
  repositoryRegion: string;
  imageDigest: string;
  imageTags: string[];
  findingArn?: string;
  /** The CVE (`packageVulnerabilityDetails.vulnerabilityId`), else the finding's title. */
  vulnerabilityId?: string;
  severity: ScanSeverity;
  /** ACTIVE, SUPPRESSED or CLOSED, as sent. */
  findingStatus?: string;
}

/** Parses an `Inspector2 Finding`; one about another resource type is an OtherResourceEvent. */
export function parseInspectorFindingEvent(event: unknown): InspectorFindingEvent | OtherResourceEvent {
  const e = parseWith(inspectorFindingSchema, event, 'Inspector2 Finding event');
  const d = e.detail;
  const index = d.resources.findIndex((r) => r.type === ECR_IMAGE_RESOURCE_TYPE);
  const resource = d.resources[index];
  if (!resource) {
    const types = [...new Set(d.resources.map((r) => r.type))].join(', ');
    return {
      kind: 'other-resource',
      detailType: e['detail-type'],
      reason: `an Amazon Inspector finding about ${types} (${namedResources(e.resources)}) is not about an Amazon ECR image`,
      ...originOf(e),
    };
  }
  const image = resource.details?.awsEcrContainerImage;
  if (!image) {
    throw new InvalidInputError('Inspector2 Finding event', [
      `detail.resources[${index}].details.awsEcrContainerImage: expected the ECR image of an ${ECR_IMAGE_RESOURCE_TYPE} resource`,
    ]);
  }
  const arn = resource.id ? parseRepositoryArn(resource.id) : undefined;
  const region =
    resource.region && REGION.test(resource.region) ? resource.region : (arn?.region ?? e.region);
  const vulnerabilityId = d.packageVulnerabilityDetails?.vulnerabilityId ?? d.title;
  return {
    kind: 'finding',
    repositoryName: image.repositoryName,
    registryId: image.registry,
    repositoryRegion: region,
    imageDigest: image.imageHash,
    imageTags: image.imageTags,
    ...(d.findingArn ? { findingArn: d.findingArn } : {}),
    ...(vulnerabilityId ? { vulnerabilityId } : {}),
    severity: toScanSeverity(d.severity),
    ...(d.status ? { findingStatus: d.status } : {}),
    ...originOf(e),
  };
}

/** Everything the scan handler subscribes to, parsed. */
export type ScanGateEvent = ScanEvent | InspectorFindingEvent | OtherResourceEvent;

/**
 * Parses an `ECR Image Scan`, `Inspector2 Scan` or `Inspector2 Finding` event. Inspector events about EC2
 * instances, Lambda functions or machine images come back as OtherResourceEvent (skipped with a reason);
 * anything malformed is an InvalidInputError naming the JSON path.
 */
export function parseScanGateEvent(event: unknown): ScanGateEvent {
  const detailType = detailTypeOf(event, 'scan event');
  if (detailType === 'Inspector2 Finding') return parseInspectorFindingEvent(event);
  if (detailType === 'Inspector2 Scan') return otherResourceScan(event) ?? parseEnhancedScan(event);
  if (detailType === 'ECR Image Scan') return parseBasicScan(event);
  throw new InvalidInputError('scan event', [
    `detail-type: expected "ECR Image Scan", "Inspector2 Scan" or "Inspector2 Finding", got ${JSON.stringify(detailType) ?? 'nothing'}`,
  ]);
}

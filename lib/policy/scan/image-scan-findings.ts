/**
 * Findings from DescribeImageScanFindings responses (one per page), basic or enhanced, normalised and ranked.
 *
 * - Basic scanning (`imageScanFindings.findings[]`): `name` is the CVE, `uri` the advisory; the package and CVSS
 *   score are attributes (`package_name`, `package_version`, `CVSS3_SCORE`, `CVSS2_SCORE`).
 * - Enhanced scanning (`imageScanFindings.enhancedFindings[]`, shape EnhancedImageScanFinding in botocore ecr
 *   2015-09-21): `packageVulnerabilityDetails.vulnerabilityId` is the CVE, `vulnerablePackages[]` the packages
 *   with their `fixedInVersion`, `score` the Amazon Inspector score (CVSS as Inspector adjusted it).
 *
 * A `ScanFinding` is one finding as the scanner counted it (the unit of `findingSeverityCounts` and of the scan
 * event's counts); a `TopFinding` is one vulnerable package of it, the unit a person acts on.
 */
import * as z from 'zod';
import { lazy } from '../lazy';
import { InvalidInputError, formatIssues } from '../validation';
import type { ScanSeverity, SeverityCounts } from './severity';
import { SCAN_SEVERITIES, severityRank, toScanSeverity, zeroCounts } from './severity';

/** The response schemas, built on first use (lib/policy/lazy.ts): only a scan event's handling reads findings. */
const schemas = lazy(() => {
  const attributeSchema = z.looseObject({ key: z.string(), value: z.string().optional() });

  const basicFindingSchema = z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    uri: z.string().optional(),
    severity: z.string().optional(),
    attributes: z.array(attributeSchema).default([]),
  });

  const vulnerablePackageSchema = z.looseObject({
    name: z.string().optional(),
    version: z.string().optional(),
    fixedInVersion: z.string().optional(),
  });

  const enhancedFindingSchema = z.looseObject({
    findingArn: z.string().optional(),
    title: z.string().optional(),
    severity: z.string().optional(),
    status: z.string().optional(),
    score: z.number().optional(),
    scoreDetails: z
      .looseObject({ cvss: z.looseObject({ score: z.number().optional() }).optional() })
      .optional(),
    packageVulnerabilityDetails: z
      .looseObject({
        vulnerabilityId: z.string().optional(),
        sourceUrl: z.string().optional(),
        referenceUrls: z.array(z.string()).optional(),
        cvss: z.array(z.looseObject({ baseScore: z.number().optional() })).optional(),
        vulnerablePackages: z.array(vulnerablePackageSchema).optional(),
      })
      .optional(),
    remediation: z
      .looseObject({ recommendation: z.looseObject({ url: z.string().optional() }).optional() })
      .optional(),
  });

  const count = z.number().int().nonnegative();

  /** A ScanTimestamp: epoch seconds in AWS CLI output, an ISO string once the SDK's Date went through JSON. */
  const scanTimestamp = z.union([z.number().nonnegative(), z.iso.datetime({ offset: true })]);

  const pageSchema = z.looseObject({
    imageScanStatus: z
      .looseObject({ status: z.string().min(1).optional(), description: z.string().optional() })
      .optional(),
    imageScanFindings: z
      .looseObject({
        imageScanCompletedAt: scanTimestamp.optional(),
        findingSeverityCounts: z.record(z.string(), count).optional(),
        findings: z.array(basicFindingSchema).optional(),
        enhancedFindings: z.array(enhancedFindingSchema).optional(),
      })
      .optional(),
    nextToken: z.string().nullish(),
  });

  return { basicFindingSchema, enhancedFindingSchema, pageSchema };
});
type Schemas = ReturnType<typeof schemas>;

function parsePages(pages: unknown): z.infer<Schemas['pageSchema']>[] {
  const list = Array.isArray(pages) ? pages : [pages];
  return list.map((raw, i) => {
    const result = schemas().pageSchema.safeParse(raw);
    if (!result.success) {
      throw new InvalidInputError(
        'DescribeImageScanFindings pages',
        formatIssues(result.error, ['pages', i]),
      );
    }
    return result.data;
  });
}

export interface FindingPackage {
  name?: string;
  version?: string;
  fixedInVersion?: string;
}

export interface ScanFinding {
  /** The CVE (or other vulnerability id) as the scanner names it. */
  id: string;
  severity: ScanSeverity;
  /** CVSS v3 when known, else v2 (basic); the Inspector score (enhanced). */
  score?: number;
  title?: string;
  /** An advisory a person can open. */
  link?: string;
  packages: FindingPackage[];
}

export interface TopFinding {
  id: string;
  severity: ScanSeverity;
  score?: number;
  packageName?: string;
  packageVersion?: string;
  fixedInVersion?: string;
  link?: string;
}

/** Inspector findings in these states are not counted against the image. */
const INACTIVE_ENHANCED_STATUSES = new Set(['SUPPRESSED', 'CLOSED']);

function parseScore(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function fromBasic(f: z.infer<Schemas['basicFindingSchema']>): ScanFinding {
  const attr = (key: string) => f.attributes.find((a) => a.key === key)?.value;
  const score = parseScore(attr('CVSS3_SCORE')) ?? parseScore(attr('CVSS2_SCORE'));
  const pkg: FindingPackage = {
    ...(attr('package_name') ? { name: attr('package_name') } : {}),
    ...(attr('package_version') ? { version: attr('package_version') } : {}),
  };
  return {
    id: f.name,
    severity: toScanSeverity(f.severity),
    ...(score !== undefined ? { score } : {}),
    ...(f.uri ? { link: f.uri } : {}),
    packages: pkg.name || pkg.version ? [pkg] : [],
  };
}

function fromEnhanced(f: z.infer<Schemas['enhancedFindingSchema']>): ScanFinding {
  const details = f.packageVulnerabilityDetails;
  const cvss = (details?.cvss ?? []).flatMap((c) => (c.baseScore !== undefined ? [c.baseScore] : []));
  const score = f.score ?? f.scoreDetails?.cvss?.score ?? (cvss.length > 0 ? Math.max(...cvss) : undefined);
  const link = details?.sourceUrl ?? f.remediation?.recommendation?.url ?? details?.referenceUrls?.[0];
  return {
    id: details?.vulnerabilityId ?? f.title ?? f.findingArn ?? 'unknown',
    severity: toScanSeverity(f.severity),
    ...(score !== undefined ? { score } : {}),
    ...(f.title ? { title: f.title } : {}),
    ...(link ? { link } : {}),
    packages: (details?.vulnerablePackages ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      ...(p.version ? { version: p.version } : {}),
      ...(p.fixedInVersion ? { fixedInVersion: p.fixedInVersion } : {}),
    })),
  };
}

/** Worst first: severity, then score (unknown last), then id, so that output is stable. */
function compareWorstFirst(a: { id: string; severity: ScanSeverity; score?: number }, b: typeof a): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (b.score ?? -1) - (a.score ?? -1) ||
    a.id.localeCompare(b.id)
  );
}

const packageKey = (packages: readonly FindingPackage[]) =>
  packages
    .map((p) => `${p.name ?? ''}@${p.version ?? ''}`)
    .sort()
    .join(',');

/**
 * Every finding of every page, basic and enhanced alike. A finding repeated across pages (same CVE and
 * packages, or same Inspector finding ARN) is kept once, at its worst severity and score.
 */
export function collectScanFindings(pages: unknown): ScanFinding[] {
  const byKey = new Map<string, ScanFinding>();
  const keep = (key: string, finding: ScanFinding) => {
    const existing = byKey.get(key);
    if (!existing || compareWorstFirst(finding, existing) < 0) byKey.set(key, finding);
  };
  parsePages(pages).forEach((parsed) => {
    const page = parsed.imageScanFindings;
    for (const f of page?.findings ?? []) {
      const finding = fromBasic(f);
      keep(`basic|${finding.id}|${packageKey(finding.packages)}`, finding);
    }
    for (const f of page?.enhancedFindings ?? []) {
      if (f.status && INACTIVE_ENHANCED_STATUSES.has(f.status.toUpperCase())) continue;
      const finding = fromEnhanced(f);
      keep(f.findingArn ?? `enhanced|${finding.id}|${packageKey(finding.packages)}`, finding);
    }
  });
  return [...byKey.values()];
}

/**
 * One entry per vulnerability and package, worst first (severity, then score, unknown scores last). The same
 * id and package (name and version) reported by several findings is named once, at its worst.
 */
export function rankFindings(findings: readonly ScanFinding[]): TopFinding[] {
  const byKey = new Map<string, TopFinding>();
  for (const f of findings) {
    const packages: FindingPackage[] = f.packages.length > 0 ? f.packages : [{}];
    for (const p of packages) {
      const entry: TopFinding = {
        id: f.id,
        severity: f.severity,
        ...(f.score !== undefined ? { score: f.score } : {}),
        ...(p.name ? { packageName: p.name } : {}),
        ...(p.version ? { packageVersion: p.version } : {}),
        ...(p.fixedInVersion ? { fixedInVersion: p.fixedInVersion } : {}),
        ...(f.link ? { link: f.link } : {}),
      };
      const key = `${f.id}|${p.name ?? ''}|${p.version ?? ''}`;
      const existing = byKey.get(key);
      if (!existing || compareWorstFirst(entry, existing) < 0) byKey.set(key, entry);
    }
  }
  return [...byKey.values()].sort(
    (a, b) =>
      compareWorstFirst(a, b) ||
      (a.packageName ?? '').localeCompare(b.packageName ?? '') ||
      (a.packageVersion ?? '').localeCompare(b.packageVersion ?? ''),
  );
}

/** The `n` worst entries of `rankFindings`. */
export function topFindings(findings: readonly ScanFinding[], n: number): TopFinding[] {
  return rankFindings(findings).slice(0, Math.max(0, n));
}

/** What the findings API says about an image's last scan: its state, when it completed, and what it found. */
export interface ScanFindingsReading {
  /** `imageScanStatus.status` (COMPLETE, ACTIVE, IN_PROGRESS, FAILED …); undefined when no page carries one. */
  status?: string;
  /** `imageScanStatus.description`, e.g. why a scan failed. */
  statusDescription?: string;
  /** `imageScanFindings.imageScanCompletedAt` as ISO 8601 (milliseconds, UTC); undefined when absent. */
  completedAt?: string;
  /**
   * `imageScanFindings.findingSeverityCounts`, the API's own count of the scan's findings per severity (a
   * severity absent counts zero; Inspector's UNTRIAGED counts as undefined).
   */
  counts: SeverityCounts;
  /** Whether any page carried `imageScanFindings` at all. */
  hasFindings: boolean;
  /** Every finding of every page (`collectScanFindings`). */
  findings: ScanFinding[];
}

/** Seconds since the epoch (CLI output) or ISO text (a snapshot, the SDK's Date as JSON) → ISO 8601 with ms. */
function isoTime(value: number | string): string {
  return new Date(typeof value === 'number' ? value * 1000 : Date.parse(value)).toISOString();
}

/** Reads DescribeImageScanFindings pages (one response per page, every page of one request). */
export function readScanFindings(pages: unknown): ScanFindingsReading {
  const parsed = parsePages(pages);
  let status: string | undefined;
  let statusDescription: string | undefined;
  let completedAt: string | undefined;
  let severityCounts: Record<string, number> | undefined;
  let hasFindings = false;
  for (const page of parsed) {
    if (page.imageScanStatus?.status) status = page.imageScanStatus.status;
    if (page.imageScanStatus?.description) statusDescription = page.imageScanStatus.description;
    const findings = page.imageScanFindings;
    if (!findings) continue;
    hasFindings = true;
    if (findings.imageScanCompletedAt !== undefined) completedAt = isoTime(findings.imageScanCompletedAt);
    if (findings.findingSeverityCounts) severityCounts = findings.findingSeverityCounts;
  }
  const counts = zeroCounts();
  for (const [key, n] of Object.entries(severityCounts ?? {})) counts[toScanSeverity(key)] += n;
  return {
    ...(status ? { status } : {}),
    ...(statusDescription ? { statusDescription } : {}),
    ...(completedAt ? { completedAt } : {}),
    counts,
    hasFindings,
    findings: collectScanFindings(parsed),
  };
}

/** FNV-1a, 64 bits, over the UTF-16 code units: a short, stable digest (not a security boundary). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * A fingerprint of what a scan found: its status, its counts and each finding's id, severity and packages
 * (scores and texts left out: Amazon Inspector re-scores and re-words findings without anything new being
 * found). Equal fingerprints mean the same findings; a re-scan that swaps one CVE for another of the same
 * severity changes it even though every count stays the same.
 */
export function findingsFingerprint(
  reading: Pick<ScanFindingsReading, 'status' | 'counts' | 'findings'>,
): string {
  const lines = reading.findings
    .map((f) => `${f.id}|${f.severity}|${packageKey(f.packages)}`)
    .sort()
    .join('\n');
  const counts = SCAN_SEVERITIES.map((s) => reading.counts[s]).join(',');
  return fnv1a64(`${reading.status ?? ''}\n${counts}\n${lines}`);
}

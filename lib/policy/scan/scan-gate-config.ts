/**
 * The scan gate's configuration (mounted by the guardrails file; every field has a default, so an absent
 * section means "block any critical or high finding, notify on failed, stopped and timed-out builds").
 *
 * Thresholds are the largest count of findings allowed per severity. `null` (`~` in YAML) means unlimited;
 * in a repository override an absent key inherits the top-level threshold, so an override only names what it
 * changes.
 */
import * as z from 'zod';
import { InvalidInputError, formatIssues } from '../validation';
import { lazy } from '../lazy';
import { matchesAny } from '../wildcard';
import type { ScanSeverity } from './severity';
import { SCAN_SEVERITIES } from './severity';

/** CodeBuild StatusType values a build notification can be sent for. */
export const NOTIFIABLE_BUILD_STATUSES = [
  'FAILED',
  'STOPPED',
  'TIMED_OUT',
  'SUCCEEDED',
  'FAULT',
  'IN_PROGRESS',
] as const;

/** The schemas, built on first use (lib/policy/lazy.ts): the functions that only read verdicts never need them. */
const schemas = lazy(() => {
  const maxCount = z
    .number({ error: 'expected a non-negative integer, or null for unlimited' })
    .int('expected a non-negative integer, or null for unlimited')
    .nonnegative('expected a non-negative integer, or null for unlimited')
    .nullable();

  const thresholdsSchema = z
    .strictObject({
      critical: maxCount.default(0),
      high: maxCount.default(0),
      medium: maxCount.default(null),
      low: maxCount.default(null),
      informational: maxCount.default(null),
      undefined: maxCount.default(null),
    })
    .prefault({});

  /** Same keys, none defaulted: absent inherits, null lifts the limit. */
  const thresholdOverridesSchema = z.strictObject({
    critical: maxCount.optional(),
    high: maxCount.optional(),
    medium: maxCount.optional(),
    low: maxCount.optional(),
    informational: maxCount.optional(),
    undefined: maxCount.optional(),
  });

  /** Repository-name patterns; `*` matches any run of characters, including `/`. */
  const repositoryPatterns = z.array(z.string().min(1)).min(1, 'name at least one repository pattern');

  /**
   * An ISO date (`2025-06-30`, valid through the end of that day, UTC) or an ISO date-time with offset (valid
   * until that instant). YAML 1.1 parsers turn unquoted dates into Date objects: those are accepted as the date.
   */
  const expiry = z.preprocess(
    (value) =>
      value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value,
    z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'expected an ISO date (YYYY-MM-DD) or date-time',
    }),
  );

  const allowlistEntrySchema = z.strictObject({
    cve: z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'expected a CVE id such as CVE-2024-3094'),
    reason: z.string().trim().min(1, 'say why the finding is accepted'),
    expires: expiry,
    /** Absent: every repository. */
    repositories: repositoryPatterns.optional(),
  });

  const scanGateSchema = z
    .strictObject({
      /** Largest allowed count per severity after the allowlist; null means unlimited. */
      thresholds: thresholdsSchema,
      /** Per-repository thresholds. The first entry with a matching pattern wins; later entries are not merged. */
      repositoryOverrides: z
        .array(z.strictObject({ repositories: repositoryPatterns, thresholds: thresholdOverridesSchema }))
        .default([]),
      /** Accepted findings, by CVE, each with a reason and an expiry. Expired entries are reported, not applied. */
      allowlist: z.array(allowlistEntrySchema).default([]),
      /** How many findings a verdict notification names. */
      topFindings: z
        .number({ error: 'expected an integer from 1 to 100' })
        .int('expected an integer from 1 to 100')
        .min(1, 'expected an integer from 1 to 100')
        .max(100, 'expected an integer from 1 to 100')
        .default(10),
      buildNotifications: z
        .strictObject({
          /** Build states that are notified; an empty list turns build notifications off. */
          statuses: z.array(z.enum(NOTIFIABLE_BUILD_STATUSES)).default(['FAILED', 'STOPPED', 'TIMED_OUT']),
        })
        .prefault({}),
      /** Also publish AWS Chatbot (Amazon Q Developer in chat applications) custom notifications. */
      chatbot: z.boolean().default(false),
    })
    .prefault({});

  return { allowlistEntrySchema, scanGateSchema };
});

/** The scan gate's schema (the guardrails file's `scanGate` section). */
export const scanGateSchema = () => schemas().scanGateSchema;
export type AllowlistEntry = z.infer<ReturnType<typeof schemas>['allowlistEntrySchema']>;
export type ScanGateConfig = z.infer<ReturnType<typeof scanGateSchema>>;
export type Thresholds = Record<ScanSeverity, number | null>;

export const defaultScanGate = (): ScanGateConfig => scanGateSchema().parse({});

/** Parses an already-loaded value (the `scanGate` section of the guardrails file, say). */
export function parseScanGate(value: unknown, source = 'scanGate'): ScanGateConfig {
  const result = scanGateSchema().safeParse(value);
  if (!result.success) throw new InvalidInputError(source, formatIssues(result.error));
  return result.data;
}

export interface EffectiveThresholds {
  thresholds: Thresholds;
  /** `thresholds`, or `repositoryOverrides[2]` when an override matched. */
  source: string;
}

/** The thresholds that apply to a repository: the first matching override over the top-level thresholds. */
export function thresholdsFor(config: ScanGateConfig, repositoryName: string): EffectiveThresholds {
  const index = config.repositoryOverrides.findIndex((o) => matchesAny(repositoryName, o.repositories));
  const override = config.repositoryOverrides[index];
  if (!override) return { thresholds: { ...config.thresholds }, source: 'thresholds' };
  const thresholds = { ...config.thresholds };
  for (const s of SCAN_SEVERITIES) {
    const value = override.thresholds[s];
    if (value !== undefined) thresholds[s] = value;
  }
  return { thresholds, source: `repositoryOverrides[${index}]` };
}

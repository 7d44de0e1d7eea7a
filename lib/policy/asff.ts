/**
 * Findings as AWS Security Finding Format (ASFF) documents for AWS Security Hub's BatchImportFindings, built
 * from the findings state (lib/policy/finding-state.ts). Field names, value sets and length limits follow the
 * AwsSecurityFinding API reference (botocore's securityhub service model, tests/fixtures/aws-samples) and the
 * Security Hub user guide's "Required top-level ASFF attributes"; tests check every document against them.
 *
 * - `Id` is stable per account, region, resource and rule, so a later import updates the same finding.
 * - `ProductArn` is the account's default product (a custom integration): BatchImportFindings must then be
 *   called by the account the findings belong to.
 * - Severity and Types are sent at the top level (required by the format) and in `FindingProviderFields`,
 *   which is where a finding provider updates them once the finding exists.
 * - `Workflow.Status` NEW is sent only the first time a finding is seen. Security Hub keeps the workflow status
 *   a person set (BatchImportFindings cannot change it once the finding exists) and sets it back to NEW itself
 *   when an archived finding becomes active again.
 * - A resolved finding is sent once more, `RecordState` ARCHIVED, so it leaves the active findings.
 */
import type { FindingRecord } from './finding-state';
import type { Severity } from './findings';
import type { RuleId } from './guardrails';
import { RULES } from './rules/index';
import { partitionOf } from './aws-facts';

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Namespace/category of every buildwarden finding (ASFF types taxonomy). */
export const ASFF_FINDING_TYPE = 'Software and Configuration Checks/AWS Security Best Practices';
export const ASFF_PRODUCT_NAME = 'buildwarden';

/** Length limits of the AwsSecurityFinding fields buildwarden fills (API reference, in characters). */
export const ASFF_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  recommendationText: 512,
  severityOriginal: 64,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
} as const;

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type ComplianceStatus = 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE';
export type AsffResourceType = 'AwsEcrRepository' | 'AwsCodeBuildProject' | 'AwsIamRole' | 'Other';
/** The partitions buildwarden runs in (`partitionOf`), as the format names them. */
export type AsffPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The AwsSecurityFinding fields buildwarden sends (a subset of the format; names as in the API). */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  ProductName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: SeverityLabel; Original: string };
  FindingProviderFields: { Severity: { Label: SeverityLabel; Original: string }; Types: string[] };
  Title: string;
  Description: string;
  Remediation: { Recommendation: { Text: string; Url: string } };
  ProductFields: Record<string, string>;
  Resources: { Type: AsffResourceType; Id: string; Partition: AsffPartition; Region: string }[];
  Compliance: { Status: ComplianceStatus };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  Workflow?: { Status: 'NEW' };
}

export const SEVERITY_LABELS: Record<Severity, SeverityLabel> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFORMATIONAL',
};

const RESOURCE_TYPES: Record<string, AsffResourceType> = {
  'AWS::ECR::Repository': 'AwsEcrRepository',
  'AWS::CodeBuild::Project': 'AwsCodeBuildProject',
  'AWS::IAM::Role': 'AwsIamRole',
};

/** The ASFF resource type of a CloudFormation resource type; `Other` when ASFF has none for it. */
export function asffResourceType(resourceType: string): AsffResourceType {
  return RESOURCE_TYPES[resourceType] ?? 'Other';
}

/** Each rule's title, recommendation and documentation link, as its definition in the registry holds them. */
export const RULE_TEXTS: Record<RuleId, { title: string; recommendation: string; url: string }> =
  Object.fromEntries(
    RULES.map((rule) => [
      rule.id,
      { title: rule.title, recommendation: rule.recommendation, url: rule.documentationUrl },
    ]),
  ) as Record<RuleId, { title: string; recommendation: string; url: string }>;

function textsOf(ruleId: string): { title: string; recommendation: string; url: string } {
  return (
    (RULE_TEXTS as Record<string, { title: string; recommendation: string; url: string }>)[ruleId] ?? {
      title: `buildwarden rule ${ruleId}`,
      recommendation: `See the buildwarden documentation of rule ${ruleId}.`,
      url: 'https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html',
    }
  );
}

/** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`: the account's own product. */
export function productArn(accountId: string, region: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/**
 * The finding's `Id`: stable per account, region, resource and rule. Readable while it fits the 512-character
 * limit; a longer one (an IAM role with a long path), or one whose resource name holds characters the format
 * does not allow, keeps the start of the resource ARN and a hash of all of it.
 */
export function asffId(
  identity: Pick<FindingRecord, 'accountId' | 'region' | 'ruleId' | 'resourceArn'>,
): string {
  const prefix = `buildwarden/${identity.region}/${identity.accountId}/${oneLine(identity.ruleId)}/`;
  const resource = oneLine(identity.resourceArn);
  const id = prefix + resource;
  if (id.length <= ASFF_LIMITS.id && resource === identity.resourceArn) return id;
  const suffix = `#${hash64(identity.resourceArn)}`;
  return prefix + cut(resource, ASFF_LIMITS.id - prefix.length - suffix.length) + suffix;
}

export interface AsffOptions {
  /** When the document is made: `UpdatedAt`. */
  now: Date;
  /** True the first time the finding is sent: only then is `Workflow.Status` NEW set. */
  firstSight: boolean;
}

/** One finding record as an ASFF document. */
export function toAsff(record: FindingRecord, options: AsffOptions): AsffFinding {
  const texts = textsOf(record.ruleId);
  const severity = { Label: SEVERITY_LABELS[record.severity], Original: record.severity };
  const resolved = record.state === 'resolved';
  const description = resolved
    ? `Resolved (${record.resolution}) at ${record.resolvedAt}. ${record.message}`
    : record.message;
  const productFields: Record<string, string> = {
    'buildwarden/ruleId': record.ruleId,
    'buildwarden/resourceType': record.resourceType,
    'buildwarden/state': record.state,
    'buildwarden/status': record.status,
    ...(record.resolution ? { 'buildwarden/resolution': record.resolution } : {}),
    ...(record.resolvedAt ? { 'buildwarden/resolvedAt': record.resolvedAt } : {}),
    ...(record.remediatedAt ? { 'buildwarden/remediatedAt': record.remediatedAt } : {}),
  };
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: asffId(record),
    ProductArn: productArn(record.accountId, record.region),
    ProductName: ASFF_PRODUCT_NAME,
    GeneratorId: fit(record.ruleId, ASFF_LIMITS.generatorId),
    AwsAccountId: record.accountId,
    Region: record.region,
    Types: [ASFF_FINDING_TYPE],
    CreatedAt: record.firstSeen,
    UpdatedAt: options.now.toISOString(),
    FirstObservedAt: record.firstSeen,
    LastObservedAt: record.lastSeen,
    Severity: severity,
    FindingProviderFields: { Severity: { ...severity }, Types: [ASFF_FINDING_TYPE] },
    Title: fit(texts.title, ASFF_LIMITS.title),
    Description: fit(description, ASFF_LIMITS.description),
    Remediation: {
      Recommendation: { Text: fit(texts.recommendation, ASFF_LIMITS.recommendationText), Url: texts.url },
    },
    ProductFields: Object.fromEntries(
      Object.entries(productFields).map(([k, v]) => [k, fit(v, ASFF_LIMITS.productFieldValue)]),
    ),
    Resources: [
      {
        Type: asffResourceType(record.resourceType),
        Id: oneLine(record.resourceArn),
        Partition: partitionOf(record.region) as AsffPartition,
        Region: record.region,
      },
    ],
    Compliance: { Status: complianceStatus(record) },
    RecordState: resolved ? 'ARCHIVED' : 'ACTIVE',
    ...(options.firstSight ? { Workflow: { Status: 'NEW' as const } } : {}),
  };
}

/**
 * FAILED for a violation, NOT_AVAILABLE for a resource that could not be judged or that is gone, PASSED for a
 * finding resolved otherwise (fixed, remediated, or exempt — an accepted exception).
 */
export function complianceStatus(
  record: Pick<FindingRecord, 'state' | 'status' | 'resolution'>,
): ComplianceStatus {
  if (record.state === 'open') return record.status === 'violation' ? 'FAILED' : 'NOT_AVAILABLE';
  return record.resolution === 'deleted' ? 'NOT_AVAILABLE' : 'PASSED';
}

/**
 * One line (the format's `.*\S.*` pattern admits no line break), at most `max` UTF-16 code units with an
 * ellipsis when cut; never empty.
 */
export function fit(text: string, max: number): string {
  const line = oneLine(text);
  return line.length <= max ? line : `${cut(line, max - 1)}…`;
}

/** Control characters and line breaks as spaces, trimmed; `(none)` for a blank text. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim() || '(none)';
}

/** The first `max` UTF-16 code units, never half of a surrogate pair. */
function cut(text: string, max: number): string {
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** 64-bit FNV-1a as 16 hex digits: a short, stable digest (not a security measure). */
function hash64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * The documents for a set of state changes: an open finding (new, back, or still open — sent at each
 * evaluation, so Security Hub keeps it current) as ACTIVE, a resolved one as ARCHIVED. `Workflow.Status` NEW
 * only for a finding never recorded before.
 */
export function asffDocuments(
  changes: readonly { change: 'opened' | 'reopened' | 'updated' | 'resolved'; record: FindingRecord }[],
  now: Date,
): AsffFinding[] {
  return changes.map(({ change, record }) => toAsff(record, { now, firstSight: change === 'opened' }));
}

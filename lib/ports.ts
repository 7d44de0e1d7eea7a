/**
 * The ports: what the use cases need from an AWS account, named for what they do. Implemented by the SDK
 * adapters in lib/aws (a real account or an emulator) and by the simulated account in lib/sandbox.
 */
import type {
  ImageDetail,
  ManagedPolicy,
  Project,
  RegistryScanningConfiguration,
  Repository,
  Role,
} from './policy/model';
import type {
  PullThroughCacheRule,
  ReplicationConfiguration,
  RepositoryCreationTemplate,
} from './policy/registry-settings';
import type { RemediationWrite } from './policy/remediation';
import type { BuildRecord } from './policy/builds';
import type { ProjectUpdate } from './policy/convergence';
import type { ProvisioningPlan } from './policy/provisioning/plan';
import type { ImageRef, RepositoryRef } from './policy/scan/image';
import type { FindingRecord, Scope } from './policy/finding-state';
import type { AsffFinding } from './policy/asff';
import type { EcrLifecyclePreview } from './policy/lifecycle/compare';
import { UpstreamError } from './errors';

export type { ImageRef, RepositoryRef };

export interface AccountInfo {
  accountId: string;
  region: string;
}

/** Read side of ECR. */
export interface RegistryReader {
  /** GetRegistryScanningConfiguration; undefined when the registry has none. */
  scanningConfiguration(): Promise<RegistryScanningConfiguration | undefined>;
  /** DescribeRepositories, one page at a time (the repositories without their joined fields). */
  repositoryPages(): AsyncIterable<Repository[]>;
  /**
   * One DescribeRepositories page (without the joined fields): the first, or the one `nextToken` of an earlier
   * page names, of at most `maxResults` (1–1000, default 1000) repositories. A listing resumed from a token in
   * another process goes on where that page ended. A token the service does not know fails the call.
   */
  repositoryPage(options?: { nextToken?: string; maxResults?: number }): Promise<RepositoryPage>;
  /**
   * One repository by name, with the joined fields; undefined when it does not exist. With its `arn` known
   * (the caller's account and region), every read goes out in one round instead of waiting for
   * DescribeRepositories.
   */
  repository(name: string, options?: { images?: boolean; arn?: string }): Promise<Repository | undefined>;
  /**
   * Lifecycle policy, repository policy and tags of one repository, and its images when asked
   * (`if-lifecycle-policy`: only when the repository has a lifecycle policy, to save DescribeImages calls).
   * A call that fails throws UnreadableError naming it.
   */
  repositoryDetails(repository: Repository, options: { images: ImagesOption }): Promise<RepositoryDetails>;
  /*
   * The registry-level settings, one call each per registry (the lists every page). A call that fails throws
   * UnreadableError naming it; so does, on the sandbox, a setting the snapshot did not capture.
   */
  /** DescribeRegistry .replicationConfiguration; `{ rules: [] }` when the registry replicates nothing. */
  replicationConfiguration(): Promise<ReplicationConfiguration>;
  /** GetRegistryPolicy .policyText; null when the registry has no policy. */
  registryPolicyText(): Promise<string | null>;
  /** DescribePullThroughCacheRules, every page. */
  pullThroughCacheRules(): Promise<PullThroughCacheRule[]>;
  /** DescribeRepositoryCreationTemplates, every page. */
  repositoryCreationTemplates(): Promise<RepositoryCreationTemplate[]>;
}

export type ImagesOption = boolean | 'if-lifecycle-policy';

/** One page of a repository listing, and the token of the next one (absent on the last page). */
export interface RepositoryPage {
  repositories: Repository[];
  nextToken?: string;
}

export type RepositoryDetails = Pick<Repository, 'lifecyclePolicyText' | 'repositoryPolicyText' | 'tags'> & {
  images?: ImageDetail[];
};

/** Read side of CodeBuild. */
export interface ProjectReader {
  /** ListProjects + BatchGetProjects, one batch at a time. */
  projectPages(): AsyncIterable<Project[]>;
  /** One project by name; undefined when it does not exist. */
  project(name: string): Promise<Project | undefined>;
}

/** Read side of IAM. */
export interface IdentityReader {
  /**
   * Every role with its inline policies, attachments and boundary, and the managed policies they use. A role or
   * policy whose answer does not fit the schema is returned with `unreadable` set (the others are unaffected).
   */
  authorizationDetails(): Promise<{ roles: Role[]; policies: ManagedPolicy[] }>;
  /** One role with its inline policies, attachments and boundary, and the managed policies it uses. */
  role(name: string): Promise<{ role: Role; policies: ManagedPolicy[] } | undefined>;
  /**
   * ListEntitiesForPolicy (roles, every page): the names of the roles a managed policy is attached to, as a
   * permissions policy or a permissions boundary; none when the policy does not exist.
   */
  rolesUsingPolicy(policyArn: string): Promise<string[]>;
}

/** Read side of AWS Organizations: the organization the account belongs to (it counts as allowed). */
export interface OrganizationReader {
  /**
   * DescribeOrganization: the organization id (`o-…`), undefined when the account is in no organization.
   * Throws when it cannot be read (no permission, not captured): callers say so instead of guessing.
   */
  organizationId(): Promise<string | undefined>;
}

/** One account and region an organization-wide deployment guards. */
export interface Target {
  accountId: string;
  region: string;
}

/**
 * Which accounts and regions an organization-wide deployment guards: the organization's ACTIVE accounts (or
 * the configured accounts, or those under the configured organizational units) × the configured regions, and
 * what people call each account. Implemented over AWS Organizations and by the sandbox fleet.
 */
export interface TargetLister {
  /** Every guarded account × region, accounts in ascending id order. */
  targets(): Promise<Target[]>;
  /** The account's name in the organization (for notifications); undefined when it cannot be read. */
  accountName(accountId: string): Promise<string | undefined>;
}

/**
 * Applies remediation writes. Idempotent: applying a write whose effect is already in place changes nothing. A
 * resource that no longer exists is a NotFoundError (lib/errors.ts).
 */
export interface Remediator {
  apply(write: RemediationWrite): Promise<void>;
}

export interface Notification {
  subject: string;
  message: string;
  /**
   * SNS message attributes for subscription filtering (`kind`, `severity`, `repository`, `project`): one value,
   * or several (a String.Array, which a filter policy matches when any value matches).
   */
  attributes: Record<string, string | readonly string[]>;
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/**
 * DescribeImageScanFindings, every page (basic `findings` and enhanced `enhancedFindings` kept as sent). When the
 * repository, the image or its scan does not exist it throws a NotFoundError (lib/errors.ts) whose `resource`
 * is `repository`, `image` or `scan`.
 */
export interface ScanFindingsReader {
  imageScanFindingsPages(repositoryName: string, imageDigest: string): Promise<unknown[]>;
}

/** Whether an image is still in its repository (DescribeImages by digest). */
export interface ImageLookup {
  /** False when the repository or the image no longer exists. */
  imageExists(repositoryName: string, imageDigest: string): Promise<boolean>;
}

/** What waiting for ECR's lifecycle policy preview looks like, reported as it goes (the CLI prints it on stderr). */
export interface LifecyclePreviewProgress {
  /**
   * `queued`: another preview of the repository is running and ours waits for it to end; `started`: ours is
   * started; `in-progress`: still running; `complete`: done, with how many images it acts on (`results`).
   */
  phase: 'queued' | 'started' | 'in-progress' | 'complete';
  repositoryName: string;
  /** Since the call began. */
  elapsedMs: number;
  results?: number;
}

/**
 * ECR's own lifecycle policy preview, on a live account only (the sandbox has none: it refuses with an
 * invalid-input error). Starts a preview of `lifecyclePolicyText` on the repository — after waiting for a preview
 * already running there to end — and waits for it to complete, within `timeoutMs` all told; returns every page of
 * its results. A repository that does not exist is a NotFoundError; a preview that ECR refuses, that fails or
 * expires, or that does not complete in time, is a LifecyclePreviewFailedError.
 */
export interface LifecyclePreviewer {
  preview(
    repositoryName: string,
    lifecyclePolicyText: string,
    options: { timeoutMs: number; onProgress?: (progress: LifecyclePreviewProgress) => void },
  ): Promise<EcrLifecyclePreview>;
}

/** ECR's preview gave no result to compare with; `reason` says what ECR said or how long it was waited for. */
export class LifecyclePreviewFailedError extends UpstreamError {
  override readonly name: string = 'LifecyclePreviewFailedError';
  constructor(
    message: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * A stored scan verdict: what a deploy gate asks for by registry, region, repository and image digest. All
 * times are ISO 8601 with milliseconds in UTC (they are compared as strings).
 */
export interface StoredVerdict extends ImageRef {
  /** `deleted`: the image was deleted after its last scan (`deletedAt`); a deploy gate never passes it. */
  verdict: 'pass' | 'fail' | 'scan-failed' | 'deleted';
  scanKind: 'basic' | 'enhanced';
  /** The findings API's scan status (COMPLETE, ACTIVE …), or a failed scan event's `scan-status`. */
  scanStatus?: string;
  imageTags: string[];
  counts: Record<string, number>;
  topFindings: unknown[];
  allowlisted: unknown[];
  expiredAllowlist: unknown[];
  /**
   * When the scan completed: the findings API's imageScanCompletedAt, else the event's time. An older scan
   * never replaces a newer scan's verdict.
   */
  scannedAt: string;
  /** When buildwarden read the findings: orders two readings of the same scan. */
  evaluatedAt?: string;
  /** Fingerprint of the findings the verdict was decided from (`findingsFingerprint`). */
  fingerprint?: string;
  /** When the image was deleted (ECR Image Action DELETE); only a scan completed later replaces the verdict. */
  deletedAt?: string;
  /** The verdict the image had when it was deleted. */
  verdictBeforeDeletion?: 'pass' | 'fail' | 'scan-failed';
  /** The build that pushed the image, when known. */
  producedBy?: { project: string; buildId: string; buildNumber?: number; sourceVersion?: string };
}

/** A conditional write's outcome: not written when what is stored is newer, with the reason. */
export type VerdictWrite = { written: true } | { written: false; reason: string };

/**
 * Verdicts by image, and the builds that push to each repository (to name the build that produced an image).
 * Writes are conditional on what is stored, so deliveries that arrive late or out of order never replace a
 * newer truth (`staleVerdictReason` in lib/policy/scan/verdict.ts is the rule both implementations apply).
 */
export interface VerdictStore {
  /** Stores the verdict unless the stored one is newer (then `written: false`, never an error). */
  putVerdict(verdict: StoredVerdict): Promise<VerdictWrite>;
  getVerdict(image: ImageRef): Promise<StoredVerdict | undefined>;
  /**
   * Marks the image's stored verdict `deleted` as of `deletedAt`, keeping the verdict it had. Not written when no
   * verdict is stored, when it is already marked, or when the image was scanned after `deletedAt`.
   */
  markDeleted(image: ImageRef, deletedAt: string): Promise<VerdictWrite>;
  /** The build recorded as having pushed this digest (kept even before the image has a verdict). */
  producerOf(image: ImageRef): Promise<StoredVerdict['producedBy']>;
  /**
   * The stored verdict (as getVerdict) and the build recorded as having pushed the digest (as producerOf), in
   * one read of the image's item.
   */
  storedImage(image: ImageRef): Promise<{
    verdict: StoredVerdict | undefined;
    producedBy: StoredVerdict['producedBy'];
  }>;
  /** Records which build pushed a digest; kept when the verdict is written before or after. */
  recordProducer(image: ImageRef, producedBy: NonNullable<StoredVerdict['producedBy']>): Promise<void>;
  /** Records a build of a project whose target repository (`registryId`, `region`, `repositoryName`) is known. */
  recordBuild(build: BuildRecord): Promise<void>;
  /** Builds of projects that push to this repository, most recent first (a bounded window). */
  buildsFor(repository: RepositoryRef): Promise<BuildRecord[]>;
}

/**
 * Creates, repairs and deletes the resources of a managed build project. Inputs use the AWS API field names.
 * Deletes count a resource that is already gone as deleted. A create that meets a resource of that name throws
 * AlreadyExistsError; a project whose service role CodeBuild cannot assume yet, RoleNotAssumableYetError.
 */
export interface Provisioner {
  createRepository(input: ProvisioningPlan['createRepository']): Promise<void>;
  putLifecyclePolicy(input: ProvisioningPlan['putLifecyclePolicy']): Promise<void>;
  putImageTagMutability(repositoryName: string, imageTagMutability: 'IMMUTABLE'): Promise<void>;
  putImageScanningConfiguration(repositoryName: string, scanOnPush: true): Promise<void>;
  /** PutRegistryScanningConfiguration: the whole registry document (shared by every repository). */
  putRegistryScanningConfiguration(configuration: RegistryScanningConfiguration): Promise<void>;
  createRole(input: ProvisioningPlan['createRole']): Promise<void>;
  putRolePolicy(input: ProvisioningPlan['putRolePolicy']): Promise<void>;
  updateAssumeRolePolicy(roleName: string, policyDocument: string): Promise<void>;
  putRolePermissionsBoundary(roleName: string, permissionsBoundaryArn: string): Promise<void>;
  createProject(input: ProvisioningPlan['createProject']): Promise<void>;
  /** UpdateProject: the fields given replace the project's (tags too, when given). */
  updateProject(input: ProjectUpdate): Promise<void>;
  deleteProject(name: string): Promise<void>;
  /** Detaches the role's managed policies, deletes its inline policies, then the role. */
  deleteRole(roleName: string): Promise<void>;
  /** `force` deletes a repository that still holds images. */
  deleteRepository(repositoryName: string, force: boolean): Promise<void>;
  /** How many images a repository holds (to refuse deleting a non-empty one). */
  imageCount(repositoryName: string): Promise<number>;
}

/** One request's claim on a project name while it provisions it. */
export interface NameClaim {
  /** The project name. */
  name: string;
  /** The claiming request's token. */
  token: string;
  /** Hash of the spec it provisions: claims with the same hash are identical requests. */
  specHash: string;
  state: 'in-progress' | 'succeeded' | 'failed';
  /**
   * Epoch milliseconds. In progress: after this the claim no longer holds the name (its holder crashed).
   * Ended: how long the outcome is kept for identical requests that waited on it.
   */
  expiresAt: number;
}

/**
 * Claims on project names, so that one request at a time provisions a name: a conditional write on the name,
 * which an unexpired in-progress claim of another request makes fail.
 */
export interface ProvisioningClaims {
  /** Takes the name unless an unexpired in-progress claim holds it; then answers with that claim. */
  claimName(
    claim: Omit<NameClaim, 'state'>,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: NameClaim }>;
  readClaim(name: string): Promise<NameClaim | undefined>;
  /** Records how this request's claim ended; changes nothing when the name is no longer its own. */
  endClaim(name: string, token: string, state: 'succeeded' | 'failed', keepUntil: number): Promise<void>;
}

/** A conditional write's outcome: not written when the stored record is newer, with the reason. */
export type RecordWrite = { written: true } | { written: false; reason: string };

/**
 * The findings state (lib/policy/finding-state.ts): one record per account, region, resource and rule. Reads
 * are strongly consistent; a write replaces the whole record.
 */
export interface FindingsStore {
  /** Every record of one account and region (every page). */
  records(scope: Scope): Promise<FindingRecord[]>;
  /** The records of one resource of that account and region. */
  recordsOf(scope: Scope, resourceArn: string): Promise<FindingRecord[]>;
  /**
   * Writes records in batches within the store's limits (unconditionally: an audit's records), retrying what
   * the store leaves unprocessed; throws when some could still not be written, saying how many.
   */
  writeRecords(records: readonly FindingRecord[]): Promise<void>;
  /** Writes one record unless the stored one was observed later (a change event's records). */
  putRecord(record: FindingRecord): Promise<RecordWrite>;
}

/** A finding Security Hub did not import, as BatchImportFindings reports it. */
export interface ImportFailure {
  id: string;
  errorCode: string;
  errorMessage: string;
}

/** Sends findings to AWS Security Hub (BatchImportFindings). */
export interface SecurityHubPublisher {
  /** Imports every document (in calls of at most 100), retrying failed ones a bounded number of times. */
  importFindings(findings: readonly AsffFinding[]): Promise<{ imported: number; failed: ImportFailure[] }>;
}

/** A report to keep where people can open it: the scheduled audit's HTML report and its JSON findings. */
export interface ReportObject {
  /** Where it goes in the store (an S3 object key: at most 1,024 bytes of UTF-8). */
  key: string;
  body: string;
  /** Its media type (`text/html; charset=utf-8`, `application/json`). */
  contentType: string;
}

/** Where a report was kept: the bucket, the key and, in a versioned bucket, the version written. */
export interface StoredReport {
  bucket: string;
  key: string;
  versionId?: string;
}

/**
 * Keeps reports (PutObject to the reports bucket). Writing a key again keeps the earlier version (the bucket
 * is versioned). A bucket that does not exist is a NotFoundError (`resource` `bucket`); a key that is not a
 * valid object key is an InvalidInputError, before any call.
 */
export interface ReportStore {
  putReport(report: ReportObject): Promise<StoredReport>;
}

/**
 * Where an organization-wide audit keeps a run (an S3 bucket, or the sandbox's simulated one): objects of text
 * under keys such as `runs/<run id>/<account>/<region>.jsonl` (lib/usecases/organization-run.ts names them).
 * Objects are written whole; reading one streams it line by line, so a reader never holds a large object.
 */
export interface RunStore {
  /** Writes (or replaces) the object. */
  put(key: string, body: string): Promise<void>;
  /** The whole object as text; undefined when there is no such object. */
  text(key: string): Promise<string | undefined>;
  /** The object's lines, streamed (without line ends; a trailing empty line is not one). Absent: NotFoundError. */
  lines(key: string): AsyncIterable<string>;
  /** The keys under a prefix, in ascending order, every page. */
  keys(prefix: string): AsyncIterable<string>;
}

/**
 * A read a port could not make: which call failed (an IAM action name such as `ecr:GetRepositoryPolicy`, when
 * known) and why (`ErrorName: message`). The audit reports the resource as not-visible with this text, and a
 * snapshot records it so the sandbox fails the same call with the same text.
 */
export class UnreadableError extends Error {
  constructor(
    readonly call: string | undefined,
    readonly reason: string,
  ) {
    super(call ? `${call}: ${reason}` : reason);
    this.name = 'UnreadableError';
  }

  /** `cause` thrown by `call`, as an UnreadableError (kept as it is when it already is one). */
  static from(call: string | undefined, cause: unknown): UnreadableError {
    if (cause instanceof UnreadableError) return cause;
    return new UnreadableError(
      call,
      cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
    );
  }
}

/**
 * The whole-account audit benchmark's model: the SIMULATED API rates and latency, the fewest calls the APIs
 * allow for an account, and the lower bound on wall time those rates impose. Shared by the parent (bench/run.ts)
 * and the child process that runs the audit (bench/audit-child.ts).
 */
import {
  BATCH_GET_PROJECTS_MAX,
  ECR_PAGE_MAX,
  IAM_PAGE_MAX,
  LIST_PROJECTS_PAGE,
  REGISTRY_SETTINGS_PAGE_MAX,
} from '../lib/policy/aws-facts';
import type { Snapshot } from '../lib/policy/snapshot';

/**
 * Requests per second per API. No default TPS quota is published for any API the audit calls: the ECR User
 * Guide ("Amazon ECR service quotas") lists rate quotas only for the image push/pull and authentication APIs
 * (e.g. BatchCheckLayerAvailability 1,000/s, BatchGetImage 2,000/s), and its troubleshooting page gives one
 * throttle as an example, GetAuthorizationToken at 20 TPS sustained with a 200 burst. CodeBuild and IAM
 * publish no per-API TPS. The bench therefore ASSUMES 20 requests/s sustained (burst 1) for every API — the
 * one documented ECR example — and also runs at an assumed 100/s to show where concurrency starts to matter.
 */
export const ASSUMED_RATE_PER_SECOND = 20;
export const HIGHER_RATE_PER_SECOND = 100;
/** Simulated round trip of every call. */
export const SIMULATED_LATENCY_MS = 20;

export interface AuditRunConfig {
  label: string;
  repositories: number;
  projects: number;
  roles: number;
  seed: number;
  ratePerSecond: number;
  latencyMs: number;
  concurrency: number;
  /**
   * Simulated time runs this many times faster than the wall clock (latency ÷ k, rates × k) so the bench fits
   * its time budget; times are reported in simulated seconds (measured × k). CPU work is not scaled, so its
   * share of the simulated time is inflated k-fold: the ratios are, if anything, pessimistic.
   */
  timeScale: number;
  measureEvaluation: boolean;
}

export interface AuditRunResult {
  config: AuditRunConfig;
  wallMs: number;
  /** Until the last repository's details were read (simulated ms). */
  repositoryReadsMs: number;
  /** CPU time of the audit process during the audit (real ms, not scaled). */
  cpuMs: number;
  calls: Record<string, number>;
  minimumCalls: Record<string, number>;
  resources: { repositories: number; projects: number; roles: number };
  findings: number;
  notVisible: number;
  rssAfterGenerateKiB: number;
  maxRssKiB: number;
  rateLimitWaitMs: number;
  evaluation?: { runs: number; cpuMs: number; wallMs: number; resources: number };
}

/** The fewest calls the APIs allow for the audit's reads of this account (page sizes are the API maxima). */
export function minimumCalls(account: Snapshot): Record<string, number> {
  const repositories = account.ecr.repositories;
  const projects = account.codebuild.projects.length;
  const withPolicy = repositories.filter((r) => r.lifecyclePolicyText !== undefined);
  return {
    'ecr:GetRegistryScanningConfiguration': 1,
    // The registry-level settings: one call each per registry, the lists paged.
    'ecr:DescribeRegistry': 1,
    'ecr:GetRegistryPolicy': 1,
    'ecr:DescribePullThroughCacheRules': Math.max(
      1,
      Math.ceil((account.ecr.pullThroughCacheRules?.length ?? 0) / REGISTRY_SETTINGS_PAGE_MAX),
    ),
    'ecr:DescribeRepositoryCreationTemplates': Math.max(
      1,
      Math.ceil((account.ecr.repositoryCreationTemplates?.length ?? 0) / REGISTRY_SETTINGS_PAGE_MAX),
    ),
    'ecr:DescribeRepositories': Math.max(1, Math.ceil(repositories.length / ECR_PAGE_MAX)),
    'ecr:GetLifecyclePolicy': repositories.length,
    'ecr:GetRepositoryPolicy': repositories.length,
    'ecr:ListTagsForResource': repositories.length,
    // Only where a lifecycle policy exists (the audit previews it); at least one page per repository.
    'ecr:DescribeImages': withPolicy.reduce(
      (sum, r) => sum + Math.max(1, Math.ceil((r.images?.length ?? 0) / ECR_PAGE_MAX)),
      0,
    ),
    'codebuild:ListProjects': Math.max(1, Math.ceil(projects / LIST_PROJECTS_PAGE)),
    'codebuild:BatchGetProjects': Math.ceil(projects / BATCH_GET_PROJECTS_MAX),
    'iam:GetAccountAuthorizationDetails': Math.max(
      1,
      Math.ceil((account.iam.roles.length + account.iam.policies.length) / IAM_PAGE_MAX),
    ),
  };
}

/**
 * The wall time the rate limits impose at least, in ms: each API needs calls ÷ rate, and APIs limited
 * independently can run at once, so the slowest one dominates.
 */
export function rateLowerBoundMs(minimum: Record<string, number>, ratePerSecond: number): number {
  return (Math.max(...Object.values(minimum)) / ratePerSecond) * 1000;
}

/**
 * The audit use case: read what the guardrails need from an account through the ports, evaluate, summarise.
 * The same code runs in the scheduled Lambda, the CLI against a live account, and the CLI on a snapshot.
 */
import type {
  AccountInfo,
  IdentityReader,
  Notifier,
  OrganizationReader,
  ProjectReader,
  RegistryReader,
} from '../ports';
import { auditSummaryNotification } from '../policy/notifications';
import type { Finding } from '../policy/findings';
import { summarize, type AuditSummary } from '../policy/findings';
import type { Guardrails, RuleId } from '../policy/guardrails';
import { activeRules, evaluateAccount } from '../policy/evaluate';
import { accountViewFor } from '../policy/snapshot';
import type { PolicyDocument, Repository } from '../policy/model';
import type { ActionCatalog } from '../policy/iam/actions';
import { readsOf } from '../policy/rules/index';
import type { AccountView } from '../policy/rules/types';
import { mapWithConcurrency } from './concurrency';
import { describeError } from './errors';
import { readOrganization } from './organization';
import { readRegistrySettings } from './registry-settings';

export interface AuditDeps {
  account: AccountInfo;
  registry: RegistryReader;
  projects?: ProjectReader;
  identity?: IdentityReader;
  /** The account's organization (repository policies may share with it); absent = not read. */
  organization?: OrganizationReader;
  /** Loads the IAM action catalogue for these documents (unknown-action reporting); absent = not reported. */
  actionCatalog?: (documents: PolicyDocument[]) => Promise<ActionCatalog>;
}

export type AuditProgress =
  | { phase: 'repositories-listed'; count: number }
  | { phase: 'repository-read'; done: number; total: number }
  | { phase: 'projects-listed'; count: number }
  | { phase: 'roles-read'; count: number };

export interface AuditOptions {
  now: Date;
  ruleIds?: readonly RuleId[];
  /** Per-repository reads in flight at once. */
  concurrency?: number;
  onProgress?: (progress: AuditProgress) => void;
}

export interface AuditReport {
  accountId: string;
  region: string;
  generatedAt: string;
  findings: Finding[];
  summary: AuditSummary;
}

/** Enough in-flight reads to reach ECR's rate limits (bench/results.md: 8 leaves ~10% on the table at 100/s). */
const DEFAULT_CONCURRENCY = 16;

/**
 * Reads the account into an AccountView with only the reads the active rules need (each rule's definition
 * says which: `reads`). Repositories and their details are always read: their tags carry exemptions.
 */
export async function readAccount(
  deps: AuditDeps,
  guardrails: Guardrails,
  options: AuditOptions,
): Promise<AccountView> {
  const reads = readsOf(activeRules(guardrails, options.ruleIds));
  const view: AccountView = accountViewFor(deps.account);

  if (reads.has('registry-scanning')) {
    try {
      const scanning = await deps.registry.scanningConfiguration();
      if (scanning) view.registryScanning = scanning;
    } catch {
      view.registryScanningUnreadable = true;
    }
  }

  if (reads.has('organization')) Object.assign(view, await readOrganization(deps.organization));
  const registrySettings = await readRegistrySettings(deps.registry, reads);
  if (registrySettings) view.registrySettings = registrySettings;

  const listed: Repository[] = [];
  for await (const page of deps.registry.repositoryPages()) listed.push(...page);
  options.onProgress?.({ phase: 'repositories-listed', count: listed.length });

  let done = 0;
  // Details (lifecycle policy, repository policy, tags) are read for every repository: tags carry exemptions.
  // Images only where a lifecycle policy exists, to preview what it would expire now.
  const images = reads.has('repository-images') ? 'if-lifecycle-policy' : false;
  const unreadable: Record<string, string> = {};
  view.repositories = await mapWithConcurrency(
    listed,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (repository) => {
      let result: Repository = repository;
      try {
        result = { ...repository, ...(await deps.registry.repositoryDetails(repository, { images })) };
      } catch (error) {
        unreadable[repository.repositoryArn] = describeError(error);
      }
      done += 1;
      options.onProgress?.({ phase: 'repository-read', done, total: listed.length });
      return result;
    },
  );
  view.unreadable = unreadable;

  if (reads.has('projects') && deps.projects) {
    for await (const page of deps.projects.projectPages()) view.projects.push(...page);
    options.onProgress?.({ phase: 'projects-listed', count: view.projects.length });
  }
  if (reads.has('iam') && deps.identity && view.projects.length > 0) {
    try {
      const { roles, policies } = await deps.identity.authorizationDetails();
      view.roles = roles;
      view.policies = policies;
      options.onProgress?.({ phase: 'roles-read', count: roles.length });
    } catch (error) {
      // Every service role is then not-visible (with this reason); the other rules still run.
      view.rolesUnreadable = describeError(error);
    }
  }
  return view;
}

export async function runAudit(
  deps: AuditDeps,
  guardrails: Guardrails,
  options: AuditOptions,
): Promise<AuditReport> {
  const view = await readAccount(deps, guardrails, options);
  const documents = [
    ...view.roles.flatMap((r) => r.RolePolicyList.map((p) => p.PolicyDocument)),
    ...view.policies.flatMap((p) => p.PolicyVersionList.map((v) => v.Document)),
  ];
  const actionCatalog =
    deps.actionCatalog && documents.length > 0 ? await deps.actionCatalog(documents) : undefined;
  const findings = evaluateAccount(view, guardrails, {
    now: options.now,
    ...(actionCatalog ? { actionCatalog } : {}),
    ...(options.ruleIds ? { ruleIds: options.ruleIds } : {}),
  });
  return {
    accountId: view.accountId,
    region: view.region,
    generatedAt: options.now.toISOString(),
    findings,
    summary: summarize(findings, {
      repositories: view.repositories.length,
      projects: view.projects.length,
      roles: view.roles.length,
    }),
  };
}

/** The scheduled audit: run it and publish one summary notification (not one message per finding). */
export async function auditAndNotify(
  deps: AuditDeps & { notifier: Notifier },
  guardrails: Guardrails,
  options: AuditOptions & { topOffenders: number },
): Promise<AuditReport> {
  const report = await runAudit(deps, guardrails, options);
  await deps.notifier.publish(
    auditSummaryNotification({
      accountId: report.accountId,
      region: report.region,
      findings: report.findings,
      summary: report.summary,
      top: options.topOffenders,
    }),
  );
  return report;
}

/**
 * The audit use case: read what the guardrails need from an account through the ports, evaluate, summarise.
 * The same code runs in the scheduled Lambda, the CLI against a live account, and the CLI on a snapshot.
 */
import type {
  AccountInfo,
  FindingsStore,
  IdentityReader,
  Notifier,
  OrganizationReader,
  ProjectReader,
  RegistryReader,
  ReportStore,
  SecurityHubPublisher,
  StoredReport,
} from '../ports';
import { baselineFromRecords, deltaText, type AuditDelta } from '../policy/delta';
import { auditSummaryNotification, objectConsoleLink } from '../policy/notifications';
import { auditReportKeys } from '../policy/report-keys';
import { buildReportData, reportJson } from '../report/data';
import { renderHtml } from '../report/html';
import type { Finding } from '../policy/findings';
import { summarize, type AuditSummary } from '../policy/findings';
import type { Guardrails, RuleId } from '../policy/guardrails';
import { activeRules, evaluateAccount } from '../policy/evaluate';
import { accountViewFor } from '../policy/snapshot';
import type { PolicyDocument, Repository } from '../policy/model';
import type { ActionCatalog } from '../policy/iam/actions';
import { readsOf } from '../policy/rules/index';
import type { AccountView } from '../policy/rules/types';
import { mapWithConcurrency } from '../concurrency';
import { describeError } from './errors';
import { recordAuditFindings, type FindingsStateResult } from './findings-state';
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
  return (await auditWithResources(deps, guardrails, options)).report;
}

/**
 * Evaluates what readAccount read: with the IAM action catalog for the policy documents in it when the deps
 * offer one (unknown actions are then reported).
 */
export async function evaluateView(
  view: AccountView,
  deps: Pick<AuditDeps, 'actionCatalog'>,
  guardrails: Guardrails,
  options: Pick<AuditOptions, 'now' | 'ruleIds'>,
): Promise<Finding[]> {
  const documents = [
    ...view.roles.flatMap((r) => r.RolePolicyList.map((p) => p.PolicyDocument)),
    ...view.policies.flatMap((p) => p.PolicyVersionList.map((v) => v.Document)),
  ];
  const actionCatalog =
    deps.actionCatalog && documents.length > 0 ? await deps.actionCatalog(documents) : undefined;
  return evaluateAccount(view, guardrails, {
    now: options.now,
    ...(actionCatalog ? { actionCatalog } : {}),
    ...(options.ruleIds ? { ruleIds: options.ruleIds } : {}),
  });
}

/** The audit, and the ARNs of every resource it read (the findings state resolves the others as deleted). */
export async function auditWithResources(
  deps: AuditDeps,
  guardrails: Guardrails,
  options: AuditOptions,
): Promise<{ report: AuditReport; resourceArns: Set<string> }> {
  const view = await readAccount(deps, guardrails, options);
  const findings = await evaluateView(view, deps, guardrails, options);
  const report = {
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
  const resourceArns = new Set([
    ...view.repositories.map((r) => r.repositoryArn),
    ...view.projects.map((p) => p.arn),
    ...view.roles.map((r) => r.Arn),
  ]);
  return { report, resourceArns };
}

export interface ScheduledAuditDeps extends AuditDeps {
  notifier: Notifier;
  /** The findings state: the delta is taken from it and it is brought up to date. Absent: no delta. */
  findingsStore?: FindingsStore;
  /** Findings also go to Security Hub (`securityHub: true`); only with a findings store. */
  securityHub?: SecurityHubPublisher;
  /** Where the HTML report and the JSON findings are kept (the reports bucket); absent: not kept. */
  reports?: ReportStore;
}

export interface ScheduledAuditOptions extends AuditOptions {
  topOffenders: number;
  /** Days a resolved finding is kept in the findings state (`findingsRetentionDays`, default 90). */
  retentionDays?: number;
}

export interface ScheduledAudit extends AuditReport {
  /** What changed since the previous audit the findings state remembers (absent without a findings store). */
  delta?: AuditDelta;
  /** What the findings state (and Security Hub) took. */
  state?: FindingsStateResult;
  /** The reports kept: the HTML report, then the JSON findings. */
  reports: StoredReport[];
  /** What could not be done (reports not kept, findings Security Hub or the state did not take), one line each. */
  problems: string[];
}

/**
 * The scheduled audit: run it; take the delta from the findings state and bring the state (and Security Hub)
 * up to date; keep the HTML report and the JSON findings; publish one summary notification that leads with the
 * delta and links to the report (not one message per finding). What could not be kept or imported is said in
 * the notification; a findings state that cannot be read fails the audit before anything is published.
 */
export async function auditAndNotify(
  deps: ScheduledAuditDeps,
  guardrails: Guardrails,
  options: ScheduledAuditOptions,
): Promise<ScheduledAudit> {
  const { report, resourceArns } = await auditWithResources(deps, guardrails, options);
  const scope = { accountId: report.accountId, region: report.region };
  const evaluatedRules = activeRules(guardrails, options.ruleIds);
  const problems: string[] = [];

  const previous = deps.findingsStore ? await deps.findingsStore.records(scope) : undefined;
  // One delta: the findings state read as a baseline, as `audit --baseline` reads an earlier report.
  const data = buildReportData(report, previous && baselineFromRecords(previous, scope), { evaluatedRules });
  let state: FindingsStateResult | undefined;
  if (deps.findingsStore && previous) {
    try {
      state = await recordAuditFindings(
        { findingsStore: deps.findingsStore, ...(deps.securityHub ? { securityHub: deps.securityHub } : {}) },
        report,
        {
          evaluatedRules,
          existingResources: resourceArns,
          retentionDays: options.retentionDays ?? 90,
          previous,
        },
      );
      problems.push(...stateProblems(state));
    } catch (error) {
      problems.push(`The findings state was not brought up to date: ${describeError(error)}`);
    }
  }

  const reports: StoredReport[] = [];
  const links: { name: string; link: string }[] = [];
  if (deps.reports) {
    const keys = auditReportKeys(report.accountId, report.region, report.generatedAt);
    const kept = [
      {
        name: 'HTML report',
        key: keys.html,
        body: renderHtml(data),
        contentType: 'text/html; charset=utf-8',
      },
      { name: 'JSON findings', key: keys.json, body: reportJson(data), contentType: 'application/json' },
    ];
    for (const { name, ...object } of kept) {
      try {
        const stored = await deps.reports.putReport(object);
        reports.push(stored);
        links.push({ name, link: objectConsoleLink(stored.bucket, stored.key, report.region) });
      } catch (error) {
        problems.push(`The ${name} was not kept: ${describeError(error)}`);
      }
    }
  }

  await deps.notifier.publish(
    auditSummaryNotification({
      accountId: report.accountId,
      region: report.region,
      findings: report.findings,
      summary: report.summary,
      top: options.topOffenders,
      ...(data.delta ? { delta: deltaText(data.delta, { top: options.topOffenders, scope }) } : {}),
      reports: links,
      problems,
    }),
  );
  return {
    ...report,
    ...(data.delta ? { delta: data.delta } : {}),
    ...(state ? { state } : {}),
    reports,
    problems,
  };
}

/** What the findings state or Security Hub did not take, one line each. */
function stateProblems(state: FindingsStateResult): string[] {
  const problems: string[] = [];
  const hub = state.securityHub;
  if (hub?.error) {
    problems.push(`Security Hub took none of ${hub.documents} findings: ${hub.error}`);
  } else if (hub && hub.failed.length > 0) {
    const first = hub.failed[0]!;
    problems.push(
      `Security Hub did not take ${hub.failed.length} of ${hub.documents} findings (first: ${first.errorCode}: ${first.errorMessage})`,
    );
  }
  if (state.notWritten.length > 0) {
    problems.push(
      `The findings state kept ${state.notWritten.length} finding(s) as they were: ${state.notWritten[0]!.reason}`,
    );
  }
  return problems;
}

/**
 * `buildwarden audit --org`: every account and region of the organization (or of a sandbox fleet), audited a
 * few at a time; progress per account on stderr; the table groups by account; the JSON report gains
 * `summary.byAccount`. An account-region that cannot be audited is one not-visible finding, never a failed run.
 */
import type { Target, TargetLister } from '../../ports';
import { activeRules } from '../../policy/evaluate';
import type { Finding } from '../../policy/findings';
import type { Guardrails, RuleId } from '../../policy/guardrails';
import {
  auditOrganization,
  type OrganizationProgress,
  type OrganizationReport,
} from '../../usecases/organization-audit';
import type { Settings } from '../../settings';
import { liveOrganizationDeps, sandboxDeps } from '../deps';
import { EXIT, UsageError, type Io } from '../framework';
import { loadFleet, settingsOf } from '../inputs';
import { writeOutputFile } from '../outputs';

/** The options that choose an organization's targets and the member role, shared by `audit --org` and `snapshot --org`. */
export const ORG_TARGET_OPTIONS = {
  regions: { type: 'string', valueName: 'R1,R2', description: 'with --org: only these regions' },
  accounts: { type: 'string', valueName: 'ID,…', description: 'with --org: only these accounts' },
  'role-name': {
    type: 'string',
    valueName: 'NAME',
    description: 'with --org: the member role to assume (default $BUILDWARDEN_MEMBER_ROLE_NAME)',
  },
  'external-id': {
    type: 'string',
    valueName: 'ID',
    description:
      "with --org on AWS: the member role's external id (default $BUILDWARDEN_MEMBER_EXTERNAL_ID; one is required)",
  },
} as const;

export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/**
 * The settings of a live `--org` run: `--regions`, `--accounts`, `--role-name` and `--external-id` over
 * BUILDWARDEN_REGIONS, BUILDWARDEN_ACCOUNTS, BUILDWARDEN_MEMBER_ROLE_NAME and BUILDWARDEN_MEMBER_EXTERNAL_ID.
 * The external id is required: every member role trusts the hub only with it.
 */
export function liveOrganizationSettings(
  io: Io,
  flags: {
    regions: string[] | undefined;
    accounts: string[] | undefined;
    roleName: string | undefined;
    externalId: string | undefined;
  },
): Settings {
  const settings = settingsOf(io);
  if (flags.roleName !== undefined && !ROLE_NAME.test(flags.roleName)) {
    throw new UsageError('--role-name: expected an IAM role name (1 to 64 of A-Za-z0-9+=,.@-_)');
  }
  if (flags.externalId !== undefined && !EXTERNAL_ID.test(flags.externalId)) {
    throw new UsageError('--external-id: expected an external id (2 to 1224 of A-Za-z0-9+=,.@:/-_)');
  }
  const externalId = flags.externalId ?? settings.BUILDWARDEN_MEMBER_EXTERNAL_ID;
  if (externalId === undefined) {
    throw new UsageError(
      "--org: the member role's external id is required: --external-id ID or $BUILDWARDEN_MEMBER_EXTERNAL_ID (the member stack's ExternalId parameter)",
    );
  }
  return {
    ...settings,
    BUILDWARDEN_MEMBER_EXTERNAL_ID: externalId,
    BUILDWARDEN_MEMBER_ROLE_NAME: flags.roleName ?? settings.BUILDWARDEN_MEMBER_ROLE_NAME,
    ...(flags.regions ? { BUILDWARDEN_REGIONS: flags.regions } : {}),
    ...(flags.accounts ? { BUILDWARDEN_ACCOUNTS: flags.accounts } : {}),
  };
}

export interface OrgAuditArgs {
  snapshot: string | undefined;
  format: 'table' | 'json';
  out: string | undefined;
  regions: string | undefined;
  accounts: string | undefined;
  roleName: string | undefined;
  externalId: string | undefined;
  concurrency: number;
  readConcurrency: number;
  ruleIds: RuleId[] | undefined;
  showCompliant: boolean;
}

export function listOption(
  flag: string,
  value: string | undefined,
  pattern: RegExp,
  what: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((item) => !pattern.test(item));
  if (items.length === 0 || bad.length > 0) {
    throw new UsageError(
      `${flag}: expected ${what} separated by commas${bad.length ? ` (not: ${bad.join(', ')})` : ''}`,
    );
  }
  return items;
}

/** The lister narrowed to the given accounts and regions. */
export function narrowed(lister: TargetLister, accounts?: string[], regions?: string[]): TargetLister {
  return {
    targets: async () =>
      (await lister.targets()).filter(
        (t) => (!accounts || accounts.includes(t.accountId)) && (!regions || regions.includes(t.region)),
      ),
    accountName: (id) => lister.accountName(id),
  };
}

export function progressPerAccount(io: Io): (p: OrganizationProgress) => void {
  return (p) => {
    if (p.phase === 'targets-listed') io.stderr(`auditing ${p.count} account-regions\n`);
    else if (p.phase === 'target-audited')
      io.stderr(
        `[${p.done}/${p.total}] account ${p.target.accountId} ${p.target.region}: ${p.violations} violations\n`,
      );
    else
      io.stderr(
        `[${p.done}/${p.total}] account ${p.target.accountId} ${p.target.region}: not audited (${p.reason})\n`,
      );
  };
}

/** The table: one section per account, its findings, then the organization's totals. */
export function organizationTable(report: OrganizationReport, options: { showCompliant: boolean }): string {
  const sections = Object.values(report.summary.byAccount).map((account) => {
    const c = account.byStatus;
    const header = `Account ${account.accountId}${account.name ? ` (${account.name})` : ''} — ${account.regions.join(', ')}: ${c.violation} violations, ${c['not-visible']} not visible, ${c.exempt} exempt, ${c.compliant} compliant`;
    const shown = report.findings.filter(
      (f) => f.accountId === account.accountId && (options.showCompliant || f.status !== 'compliant'),
    );
    const rows = shown.map((f: Finding) =>
      [f.region ?? '', f.status, f.severity, f.ruleId, resourceName(f.resourceArn), f.message].join('  '),
    );
    return [header, ...rows.map((row) => `  ${row}`)].join('\n');
  });
  const s = report.summary;
  const totals = `Organization: ${Object.keys(s.byAccount).length} accounts, ${report.targets.length} account-regions, ${s.resources.repositories} repositories, ${s.resources.projects} projects, ${s.resources.roles} roles — ${s.byStatus.violation} violations, ${s.byStatus['not-visible']} not visible, ${s.byStatus.exempt} exempt, ${s.byStatus.compliant} compliant`;
  return `${sections.join('\n\n')}${sections.length ? '\n\n' : ''}${totals}\n`;
}

function resourceName(arn: string): string {
  const slash = arn.indexOf('/');
  return slash === -1 ? arn : arn.slice(slash + 1);
}

export function organizationJson(
  report: OrganizationReport,
  guardrails: Guardrails,
  ruleIds?: RuleId[],
): string {
  return `${JSON.stringify({ ...report, evaluatedRules: activeRules(guardrails, ruleIds) }, null, 2)}\n`;
}

export async function runOrganizationAudit(
  args: OrgAuditArgs,
  guardrails: Guardrails,
  io: Io,
): Promise<number> {
  const accounts = listOption('--accounts', args.accounts, ACCOUNT_ID, '12-digit account ids');
  const regions = listOption('--regions', args.regions, REGION, 'AWS regions such as us-east-1');
  const options = {
    now: new Date(),
    concurrency: args.concurrency,
    readConcurrency: args.readConcurrency,
    ...(args.ruleIds ? { ruleIds: args.ruleIds } : {}),
    onProgress: progressPerAccount(io),
  };
  let report: OrganizationReport;
  if (args.snapshot === undefined) {
    const settings = liveOrganizationSettings(io, { ...args, regions, accounts });
    const { lister, depsFor } = await liveOrganizationDeps(settings);
    report = await auditOrganization(lister, depsFor, guardrails, options);
  } else {
    if (args.roleName !== undefined) io.stderr('note: --role-name has no effect on a sandbox fleet\n');
    if (args.externalId !== undefined) io.stderr('note: --external-id has no effect on a sandbox fleet\n');
    const fleet = loadFleet(args.snapshot, io);
    const lister = narrowed(fleet, accounts, regions);
    report = await auditOrganization(
      lister,
      async (target: Target) => sandboxDeps(fleet.account(target)),
      guardrails,
      options,
    );
  }
  const text =
    args.format === 'json'
      ? organizationJson(report, guardrails, args.ruleIds)
      : organizationTable(report, { showCompliant: args.showCompliant });
  if (args.out === undefined) io.stdout(text);
  else {
    writeOutputFile('--out', args.out, text, io);
    io.stderr(`wrote ${args.out} (${report.findings.length} findings)\n`);
  }
  const failing = report.summary.byStatus.violation + report.summary.byStatus['not-visible'];
  return failing > 0 ? EXIT.findings : EXIT.ok;
}

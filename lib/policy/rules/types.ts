/** The shape every guardrail rule shares. Rules are pure: plain data in, an outcome out. */
import type { Guardrails, RuleId } from '../guardrails';
import type { ActionCatalog } from '../iam/actions';
import type { ManagedPolicy, Project, RegistryScanningConfiguration, Repository, Role } from '../model';
import type { RegistrySettings } from '../registry-settings';

/** What one rule concludes for one resource, before severity, exemptions and the resource id are attached. */
export interface RuleOutcome {
  status: 'violation' | 'compliant' | 'not-visible';
  message: string;
  remediable?: boolean;
  details?: Record<string, unknown>;
}

/** Everything the rules may look at, indexed for joins. Built once per audit from ports or a snapshot. */
export interface AccountView {
  accountId: string;
  region: string;
  partition: string;
  registryScanning?: RegistryScanningConfiguration;
  /** True when the registry scanning configuration could not be read (rules say so instead of guessing). */
  registryScanningUnreadable?: boolean;
  /** The account's own AWS Organizations organization: its id, null when the account is in none. */
  organizationId?: string | null;
  /** Why the own organization is unknown, when it could not be read (rules say so instead of guessing). */
  organizationUnreadable?: string;
  /**
   * The registry-level settings (replication, registry policy, pull through cache rules, creation templates),
   * each known or not; absent when no active rule needed them.
   */
  registrySettings?: RegistrySettings;
  repositories: Repository[];
  /** Resources (by ARN) whose details could not be read, with the reason: their rules say `not-visible`. */
  unreadable?: Record<string, string>;
  projects: Project[];
  roles: Role[];
  /** Why the account's IAM data could not be read, when it could not: every service role is not-visible. */
  rolesUnreadable?: string;
  policies: ManagedPolicy[];
}

export interface RuleContext {
  view: AccountView;
  guardrails: Guardrails;
  now: Date;
  /** IAM action catalogue: when given, unknown or misspelled actions in role policies are reported. */
  actionCatalog?: ActionCatalog;
}

export type RepositoryRule = (repository: Repository, ctx: RuleContext) => RuleOutcome;
export type ProjectRule = (project: Project, ctx: RuleContext) => RuleOutcome;

export type { RuleId };

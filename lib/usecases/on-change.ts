/**
 * Reacting to a change event: re-read the resource the event names, evaluate its current state, apply the
 * fixes the guardrails allow, and notify once per change. The event is a hint; the account is the truth.
 */
import type {
  AccountInfo,
  IdentityReader,
  Notification,
  Notifier,
  ProjectReader,
  RegistryReader,
  Remediator,
} from '../ports';
import type { ChangeEvent } from '../policy/change-events';
import { skipReason } from '../policy/change-events';
import { activeRules, evaluateRepository } from '../policy/evaluate';
import type { Finding } from '../policy/findings';
import type { Guardrails, RuleId } from '../policy/guardrails';
import type { RegistryScanningConfiguration, Repository } from '../policy/model';
import { changeNotification } from '../policy/notifications';
import { planRepositoryRemediation, type PlannedChange } from '../policy/remediation';
import { partitionOf } from '../policy/snapshot';
import type { AccountView, RuleContext } from '../policy/rules/types';

export interface ChangeDeps {
  account: AccountInfo;
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  remediator: Remediator;
  notifier: Notifier;
}

export interface ChangeOptions {
  now: Date;
  /** ARNs of buildwarden's own remediation role(s): events they cause are skipped (no loops). */
  ownRoleArns: readonly string[];
  /** Force dry run for this invocation (in addition to the guardrails' global and per-rule settings). */
  dryRun?: boolean;
}

export interface ChangeAction {
  ruleId: string;
  resourceArn: string;
  action: string;
  applied: boolean;
  before: unknown;
  after: unknown;
  /** Why the action was not applied (dry run, refused). */
  reason?: string;
}

export interface ChangeResult {
  skipped: string | null;
  actions: ChangeAction[];
  notifications: Notification[];
}

const ECR_RULES: RuleId[] = [
  'ecr.lifecycle-policy',
  'ecr.scan-on-push',
  'ecr.tag-immutability',
  'ecr.encryption',
  'ecr.repository-policy',
];

function viewOf(deps: ChangeDeps, partial: Partial<AccountView>): AccountView {
  return {
    accountId: deps.account.accountId,
    region: deps.account.region,
    partition: partitionOf(deps.account.region),
    repositories: [],
    projects: [],
    roles: [],
    policies: [],
    ...partial,
  };
}

class ChangeRun {
  readonly actions: ChangeAction[] = [];
  readonly notifications: Notification[] = [];

  constructor(
    private readonly event: ChangeEvent,
    private readonly deps: ChangeDeps,
    private readonly guardrails: Guardrails,
    private readonly options: ChangeOptions,
  ) {}

  private async notify(notification: Notification): Promise<void> {
    await this.deps.notifier.publish(notification);
    this.notifications.push(notification);
  }

  /** Applies one planned change (unless dry run or refused), records it and notifies once. */
  async carryOut(plan: PlannedChange, finding: Finding): Promise<void> {
    const dryRun = plan.dryRun || this.options.dryRun === true;
    let applied = false;
    let reason = plan.refused;
    if (plan.write && !dryRun) {
      await this.deps.remediator.apply(plan.write);
      applied = true;
    } else if (plan.write) {
      reason = 'dry run';
    }
    this.actions.push({
      ruleId: plan.ruleId,
      resourceArn: plan.resourceArn,
      action: plan.write?.type ?? 'none',
      applied,
      before: plan.before,
      after: plan.after,
      ...(reason ? { reason } : {}),
    });
    await this.notify(
      changeNotification({
        ruleId: plan.ruleId,
        resourceArn: plan.resourceArn,
        outcome: applied ? 'applied' : plan.write ? 'dry-run' : 'refused',
        before: plan.before,
        after: plan.after,
        ...(reason ? { reason } : {}),
        message: finding.message,
        severity: finding.severity,
        principal: this.event.principal,
        eventName: this.event.eventName,
        region: this.deps.account.region,
        accountId: this.deps.account.accountId,
      }),
    );
  }

  /** Violations nobody may fix automatically (mode report, or no safe fix) are reported once each. */
  async report(findings: Finding[], planned: Set<string>): Promise<void> {
    for (const f of findings) {
      if (f.status !== 'violation' || planned.has(`${f.ruleId} ${f.resourceArn}`)) continue;
      await this.notify(
        changeNotification({
          ruleId: f.ruleId,
          resourceArn: f.resourceArn,
          outcome: 'reported',
          before: null,
          after: null,
          message: f.message,
          severity: f.severity,
          principal: this.event.principal,
          eventName: this.event.eventName,
          region: this.deps.account.region,
          accountId: this.deps.account.accountId,
        }),
      );
    }
  }

  async fixRepository(
    repository: Repository,
    registryScanning: RegistryScanningConfiguration | undefined,
    rules: Set<RuleId>,
  ) {
    const ctx: RuleContext = {
      view: viewOf(this.deps, {
        repositories: [repository],
        ...(registryScanning ? { registryScanning } : {}),
      }),
      guardrails: this.guardrails,
      now: this.options.now,
    };
    const findings = evaluateRepository(repository, ctx, rules);
    const plans = planRepositoryRemediation(repository, findings, {
      guardrails: this.guardrails,
      now: this.options.now,
      ...(registryScanning ? { registryScanning } : {}),
    });
    for (const plan of plans) {
      await this.carryOut(
        plan,
        findings.find((f) => f.ruleId === plan.ruleId)!,
      );
    }
    await this.report(findings, new Set(plans.map((p) => `${p.ruleId} ${p.resourceArn}`)));
    return plans;
  }
}

export async function onChangeEvent(
  event: ChangeEvent,
  deps: ChangeDeps,
  guardrails: Guardrails,
  options: ChangeOptions,
): Promise<ChangeResult> {
  const skipped = skipReason(event, options.ownRoleArns);
  if (skipped) return { skipped, actions: [], notifications: [] };
  const run = new ChangeRun(event, deps, guardrails, options);
  const active = activeRules(guardrails);
  const target = event.target;

  if (target.kind === 'repository') {
    const repository = await deps.registry.repository(target.repositoryName, { images: true });
    if (!repository)
      return {
        skipped: `repository ${target.repositoryName} no longer exists`,
        actions: [],
        notifications: [],
      };
    const registryScanning = await deps.registry.scanningConfiguration();
    await run.fixRepository(repository, registryScanning, new Set(ECR_RULES.filter((r) => active.has(r))));
  } else if (target.kind === 'registry') {
    if (!active.has('ecr.scan-on-push'))
      return { skipped: 'rule ecr.scan-on-push is off', actions: [], notifications: [] };
    let registryScanning = await deps.registry.scanningConfiguration();
    for await (const page of deps.registry.repositoryPages()) {
      for (const listed of page) {
        const repository = {
          ...listed,
          ...(await deps.registry.repositoryDetails(listed, { images: false })),
        };
        const plans = await run.fixRepository(
          repository,
          registryScanning,
          new Set<RuleId>(['ecr.scan-on-push']),
        );
        // Registry-level fixes build on each other: the next repository sees the configuration just written.
        const registryWrite = plans.find((p) => p.write?.type === 'PutRegistryScanningConfiguration');
        if (registryWrite) registryScanning = registryWrite.after as RegistryScanningConfiguration;
      }
    }
  } else {
    return {
      skipped: `${target.kind} events are evaluated once the service-role rules are available`,
      actions: [],
      notifications: [],
    };
  }
  return { skipped: null, actions: run.actions, notifications: run.notifications };
}

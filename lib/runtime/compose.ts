/**
 * The one composition root. `compose(settings, needs)` gives a front door — a Lambda function, a CLI command,
 * a replay — the ports it names in `needs`, built from the AWS adapters or taken from a sandbox account:
 *
 * - AWS: each adapter is built on first use (a port the invocation never touches is never built, nor its SDK
 *   client) and then kept by the scope — for a function the process, for a CLI command the command. The
 *   settings the needed adapters read are checked first, and a missing one is a ConfigError naming it.
 * - Sandbox: the ports of a SIMULATED account (lib/sandbox), for the local stage and `--snapshot`. This module
 *   only knows its shape: the deployed bundles never contain the sandbox (lib/runtime/lambda.ts loads it with
 *   a dynamic import the bundler drops outside the local stage).
 *
 * A need names a port and how its AWS adapter is built (lib/runtime/adapters.ts lists them, one per adapter);
 * front doors import only the needs they use, so a bundle carries only those adapters and SDK clients.
 */
import { currentAccount } from '../aws/account';
import { processClients, type AwsClients } from '../aws/clients';
import type {
  AccountInfo,
  FindingsStore,
  IdentityReader,
  ImageLookup,
  LifecyclePreviewer,
  Notifier,
  OrganizationReader,
  ProjectReader,
  ProvisioningClaims,
  Provisioner,
  RegistryReader,
  Remediator,
  ReportStore,
  RunStore,
  ScanFindingsReader,
  TargetLister,
  SecurityHubPublisher,
  VerdictStore,
} from '../ports';
import { requireSettings, type SettingName, type Settings } from '../settings';

/** Every port by the name the use cases' deps give it. */
export interface Ports {
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  organization: OrganizationReader;
  remediator: Remediator;
  notifier: Notifier;
  findings: ScanFindingsReader;
  images: ImageLookup;
  verdicts: VerdictStore;
  provisioner: Provisioner;
  claims: ProvisioningClaims;
  lifecyclePreviewer: LifecyclePreviewer;
  targets: TargetLister;
  findingsStore: FindingsStore;
  securityHub: SecurityHubPublisher;
  reports: ReportStore;
  runs: RunStore;
}

export type PortName = keyof Ports;

/**
 * A port a front door needs, and how its AWS adapter is built from the settings (which it names) and the
 * scope's SDK clients (the process's own, or those of a member account: lib/aws/clients.ts).
 */
export interface Need<K extends PortName = PortName> {
  readonly port: K;
  /** The settings the adapter reads: required when composing on AWS. */
  readonly settings: readonly SettingName[];
  readonly aws: (settings: Settings, clients: AwsClients) => Ports[K];
}

/** The deps `needs` give: the account, and each needed port under its name. */
export type Deps<N extends readonly Need[]> = { account: AccountInfo } & {
  [K in N[number]['port']]: Ports[K];
};

/** What a sandbox account offers (lib/sandbox/account.ts): its account and every port. */
export interface SandboxPorts {
  ports(): { account: AccountInfo } & Ports;
}

/** Where a scope's adapters work: their SDK clients, and how the account they work in is learnt. */
export interface ScopeOptions {
  /** Default: the process's own clients. */
  clients?: AwsClients;
  /** Default: the account and region of the process's credentials (sts:GetCallerIdentity). */
  account?: () => Promise<AccountInfo>;
}

/**
 * What AWS adapters and the account are kept by: built once per scope. A Lambda process keeps one scope for
 * its lifetime (`processScope`); a CLI command makes its own, so two commands in one process share nothing;
 * a member account and region has its own (lib/runtime/members.ts), whose clients act through its member role.
 */
export class AdapterScope {
  private readonly adapters = new Map<Need, Map<string, unknown>>();
  private account: Promise<AccountInfo> | undefined;
  private known: AccountInfo | undefined;

  constructor(private readonly options: ScopeOptions = {}) {}

  /** The account and region the scope works in, asked once (a failure is not kept). */
  accountInfo(): Promise<AccountInfo> {
    this.account ??= (this.options.account ?? (() => currentAccount()))().then(
      (info) => (this.known = info),
      (error: unknown) => {
        this.account = undefined;
        throw error;
      },
    );
    return this.account;
  }

  /**
   * The account and region, when the front door already knows them for certain (a Lambda function from its
   * own ARN): no STS call is made for them. Ignored once the account is known.
   */
  knowAccount(account: AccountInfo): void {
    if (this.account) return;
    this.known = account;
    this.account = Promise.resolve(account);
  }

  /** The account and region once asked (accountInfo), else undefined. */
  knownAccount(): AccountInfo | undefined {
    return this.known;
  }

  /** The adapter of `need` for these settings, built on first use. */
  adapter<K extends PortName>(need: Need<K>, settings: Settings): Ports[K] {
    const key = JSON.stringify(need.settings.map((name) => settings[name] ?? null));
    let built = this.adapters.get(need);
    if (!built) this.adapters.set(need, (built = new Map()));
    if (!built.has(key)) built.set(key, need.aws(settings, this.options.clients ?? processClients));
    return built.get(key) as Ports[K];
  }
}

/** The scope of a Lambda process. */
export const processScope = new AdapterScope();

/** The settings the AWS adapters of `needs` read, each once. */
export function settingsOf(needs: readonly Need[]): SettingName[] {
  return [...new Set(needs.flatMap((need) => need.settings))];
}

export type Source = { sandbox: SandboxPorts } | { scope: AdapterScope };

/** The needed ports alone, without the account. */
export type PortsOf<N extends readonly Need[]> = Omit<Deps<N>, 'account'>;

/**
 * The deps of a front door: the account and the ports `needs` names, from the sandbox when `source` gives one,
 * else from the AWS adapters kept by `source.scope` (default: the process).
 */
export async function compose<const N extends readonly Need[]>(
  settings: Settings,
  needs: N,
  source: Source = { scope: processScope },
): Promise<Deps<N>> {
  if ('sandbox' in source) return fromSandbox(source.sandbox, needs);
  const ports = composePorts(settings, needs, source);
  // Assigned, not spread: the ports stay built on first use.
  return Object.assign(ports, { account: await source.scope.accountInfo() }) as Deps<N>;
}

/**
 * The ports `needs` names without the account, for a front door that is told which account to look at (no
 * call is made to learn the credentials' own).
 */
export function composePorts<const N extends readonly Need[]>(
  settings: Settings,
  needs: N,
  source: Source = { scope: processScope },
): PortsOf<N> {
  if ('sandbox' in source) {
    const { account: _account, ...ports } = fromSandbox(source.sandbox, needs);
    return ports as PortsOf<N>;
  }
  requireSettings(settings, settingsOf(needs));
  const { scope } = source;
  const ports: Record<string, unknown> = {};
  for (const need of needs) {
    Object.defineProperty(ports, need.port, {
      enumerable: true,
      get: () => scope.adapter(need, settings),
    });
  }
  return ports as PortsOf<N>;
}

/** The needed ports of a sandbox account (only those: a use case sees what its front door declared). */
export function fromSandbox<const N extends readonly Need[]>(sandbox: SandboxPorts, needs: N): Deps<N> {
  const ports = sandbox.ports();
  const deps: Record<string, unknown> = { account: ports.account };
  for (const need of needs) deps[need.port] = ports[need.port];
  return deps as Deps<N>;
}

/** The deps without `port`, the others still built on first use: a port a setting turns off (Security Hub). */
export function omitPort<D extends object, K extends keyof D>(deps: D, port: K): Omit<D, K> {
  const descriptors = Object.getOwnPropertyDescriptors(deps);
  delete descriptors[port];
  return Object.defineProperties({}, descriptors) as Omit<D, K>;
}

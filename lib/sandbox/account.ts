/**
 * SandboxAccount: a SIMULATED AWS account held in memory, loaded from and saved to an account snapshot. It is
 * composed of one module per port (registry.ts, projects.ts, identity.ts …), each implementing the port the
 * SDK adapters implement, over one shared state (state.ts): the use cases, the CLI and the demo run locally
 * on it. Nothing here talks to AWS. Pages are cut at the sizes the real APIs use, so call counts are
 * comparable; the AWS errors it simulates reach the use cases through the adapters' own translation.
 */
import { readFileSync } from 'node:fs';
import type { AccountInfo } from '../ports';
import { parseSnapshot, type Snapshot } from '../policy/snapshot';
import { SandboxClaims } from './claims';
import { SandboxFindingsStore } from './findings-store';
import type { FaultInjector } from './faults';
import { writeFileAtomic } from './file-store';
import { SandboxIdentity } from './identity';
import { SandboxImages } from './images';
import { SandboxLifecyclePreviewer } from './lifecycle-preview';
import { SandboxNotifier } from './notifier';
import { SandboxOrganization } from './organization';
import { SandboxProjects } from './projects';
import { SandboxProvisioner } from './provisioner';
import { SandboxRegistry } from './registry';
import { SandboxRemediator } from './remediator';
import { SandboxReportStore } from './reports';
import { SandboxRunStore } from './run-store';
import { SandboxScanFindings } from './scan-findings';
import { SandboxSecurityHub } from './securityhub';
import { SandboxState, type CallLog } from './state';
import { organizationOfOne, SandboxTargetLister } from './targets';
import { SandboxVerdictStore } from './verdicts';

export { simulatedAwsError, type CallLog } from './state';

export class SandboxAccount {
  private readonly state: SandboxState;
  readonly registry: SandboxRegistry;
  readonly projects: SandboxProjects;
  readonly identity: SandboxIdentity;
  readonly organization: SandboxOrganization;
  readonly remediator: SandboxRemediator;
  readonly notifier: SandboxNotifier;
  readonly findings: SandboxScanFindings;
  readonly images: SandboxImages;
  readonly verdicts: SandboxVerdictStore;
  readonly provisioner: SandboxProvisioner;
  readonly claims: SandboxClaims;
  /** A SIMULATED bucket for the organization audit's runs (in memory). */
  readonly runs: SandboxRunStore;
  /** The findings state, kept in the snapshot (`buildwarden.findings`). */
  readonly findingsStore: SandboxFindingsStore;
  /** A SIMULATED Security Hub (in memory). */
  readonly securityHub: SandboxSecurityHub;
  /** None: ECR's own lifecycle policy preview is live only (every call is refused). */
  readonly lifecyclePreviewer = new SandboxLifecyclePreviewer();
  /** The SIMULATED reports bucket (in memory). */
  readonly reports: SandboxReportStore;

  constructor(snapshot: Snapshot, options: { faults?: FaultInjector } = {}) {
    const state = (this.state = new SandboxState(snapshot, options.faults));
    this.registry = new SandboxRegistry(state);
    this.projects = new SandboxProjects(state);
    this.identity = new SandboxIdentity(state);
    this.organization = new SandboxOrganization(state);
    this.remediator = new SandboxRemediator(state);
    this.notifier = new SandboxNotifier(state);
    this.findings = new SandboxScanFindings(state);
    this.images = new SandboxImages(state);
    this.verdicts = new SandboxVerdictStore(state);
    this.provisioner = new SandboxProvisioner(state);
    this.claims = new SandboxClaims(state);
    this.runs = new SandboxRunStore(undefined, (action) => state.call(action));
    this.findingsStore = new SandboxFindingsStore(
      () => state.snapshot,
      (action) => state.call(action),
    );
    this.securityHub = new SandboxSecurityHub((action) => state.call(action));
    this.reports = new SandboxReportStore(state);
  }

  static fromFile(path: string): SandboxAccount {
    return new SandboxAccount(parseSnapshot(readFileSync(path, 'utf8'), path));
  }

  /** The account as a snapshot; the ports change it in place. */
  get snapshot(): Snapshot {
    return this.state.snapshot;
  }

  /** Simulated API calls so far, by IAM action name (every attempt, failed ones too). */
  get calls(): CallLog {
    return this.state.calls;
  }

  /** SIMULATED throttling, server errors, latency and rate limits (lib/sandbox/faults.ts); none when unset. */
  get faults(): FaultInjector | undefined {
    return this.state.faults;
  }

  set faults(faults: FaultInjector | undefined) {
    this.state.faults = faults;
  }

  /**
   * Writes the account back in snapshot format, atomically (a crash never leaves half a file, and writers in
   * other threads or processes never share a temporary file).
   */
  saveTo(path: string): void {
    writeFileAtomic(path, `${JSON.stringify(this.snapshot, null, 2)}\n`);
  }

  get info(): AccountInfo {
    return { accountId: this.snapshot.accountId, region: this.snapshot.region };
  }

  /** Every port of the account, by the name the use cases' deps give it (lib/runtime/compose.ts picks). */
  ports() {
    return {
      account: this.info,
      registry: this.registry,
      projects: this.projects,
      identity: this.identity,
      organization: this.organization,
      remediator: this.remediator,
      notifier: this.notifier,
      findings: this.findings,
      images: this.images,
      verdicts: this.verdicts,
      provisioner: this.provisioner,
      claims: this.claims,
      runs: this.runs,
      findingsStore: this.findingsStore,
      securityHub: this.securityHub,
      lifecyclePreviewer: this.lifecyclePreviewer,
      // An organization of one: this account, in its Region.
      targets: new SandboxTargetLister(organizationOfOne(this.info.accountId), {
        regions: [this.info.region],
      }),
      reports: this.reports,
    };
  }
}

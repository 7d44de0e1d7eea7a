/**
 * Composition root of the Lambda functions: config parsed once at cold start, adapters created once.
 * Handlers in functions/ import from here and never touch the SDK themselves.
 */
import { loadConfig, required, type RuntimeConfig } from './config';
import { currentAccount, stsActions } from './aws/account';
import { EcrRegistry, ecrReadActions } from './aws/ecr';
import { SnsNotifier, snsActions } from './aws/sns';
import { CodeBuildProjects, codebuildReadActions } from './aws/codebuild';
import { IamIdentity, iamReadActions, iamRoleReadActions } from './aws/iam';
import { AwsRemediator, remediatorActions } from './aws/remediator';
import type { ChangeDeps } from './usecases/on-change';
import { EcrScanFindings, scanFindingsActions } from './aws/scan-findings';
import { DynamoVerdictStore, verdictReadActions, verdictStoreActions } from './aws/verdicts';
import { idempotencyActions, onceByKey } from './aws/idempotency';
import type { BuildDeps, ScanDeps } from './usecases/scan-gate';
export { onceByKey };
import type { AccountInfo, Provisioner, VerdictStore } from './ports';
import { AwsProvisioner, provisionerActions } from './aws/provisioner';
import { SandboxAccount } from './sandbox/account';

let config: RuntimeConfig | undefined;
let account: Promise<AccountInfo> | undefined;

export function runtimeConfig(): RuntimeConfig {
  return (config ??= loadConfig());
}

/** Every port a function may use. Built per invocation; the SDK clients behind them are module singletons. */
export interface Deps extends ChangeDeps, ScanDeps, BuildDeps {
  provisioner: Provisioner;
  verdicts: VerdictStore;
  /** Whether this invocation runs on the SIMULATED sandbox account (stage `local`). */
  sandbox: boolean;
}

function awsDeps(accountInfo: AccountInfo): Deps {
  const cfg = runtimeConfig();
  let store: DynamoVerdictStore | undefined;
  // The verdict store is built on first use, so functions that never touch it need no table configured.
  const verdicts = () =>
    (store ??= new DynamoVerdictStore({
      verdicts: required(cfg, 'VERDICTS_TABLE'),
      ...(cfg.BUILDS_TABLE ? { builds: cfg.BUILDS_TABLE } : {}),
    }));
  const builds = () => {
    required(cfg, 'BUILDS_TABLE');
    return verdicts();
  };
  return {
    sandbox: false,
    account: accountInfo,
    registry: new EcrRegistry(),
    projects: new CodeBuildProjects(),
    identity: new IamIdentity(),
    remediator: new AwsRemediator(),
    notifier: new SnsNotifier(cfg.NOTIFICATION_TOPIC_ARN),
    findings: new EcrScanFindings(),
    provisioner: new AwsProvisioner(),
    verdicts: {
      putVerdict: (v) => verdicts().putVerdict(v),
      getVerdict: (r, d) => verdicts().getVerdict(r, d),
      recordProducer: (r, d, p) => verdicts().recordProducer(r, d, p),
      producerOf: (r, d) => verdicts().producerOf(r, d),
      recordBuild: (b) => builds().recordBuild(b),
      buildsFor: (r) => builds().buildsFor(r),
    },
  };
}

function sandboxDepsOf(sandbox: SandboxAccount): Deps {
  return {
    sandbox: true,
    account: sandbox.info,
    registry: sandbox,
    projects: sandbox,
    identity: sandbox,
    remediator: sandbox,
    notifier: sandbox,
    findings: sandbox,
    verdicts: sandbox,
    provisioner: sandbox,
  };
}

let sandboxQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs one invocation's use case against the account: the real one through the SDK adapters, or — when
 * BUILDWARDEN_SANDBOX_FILE is set (stage `local`, `npm start`) — the SIMULATED sandbox account read from that
 * file and written back afterwards, one invocation at a time so state persists across requests.
 */
export async function withAccount<T>(use: (deps: Deps) => Promise<T>): Promise<T> {
  const file = runtimeConfig().BUILDWARDEN_SANDBOX_FILE;
  if (!file) return use(awsDeps(await (account ??= currentAccount())));
  const run = sandboxQueue.then(async () => {
    const sandbox = SandboxAccount.fromFile(file);
    const result = await use(sandboxDepsOf(sandbox));
    sandbox.saveTo(file);
    return result;
  });
  sandboxQueue = run.catch(() => undefined);
  return run;
}

export const idempotencyTable = (): string => required(runtimeConfig(), 'IDEMPOTENCY_TABLE');

/**
 * The IAM actions each function's adapters call. serverless.yml grants each function exactly these (plus its
 * log stream and failure destination); tests/unit/deploy/template.test.ts keeps the two in step.
 */
export const functionActions = {
  audit: [...ecrReadActions, ...codebuildReadActions, ...iamReadActions, ...stsActions, ...snsActions],
  onScan: [
    ...scanFindingsActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...stsActions,
    ...snsActions,
  ],
  onBuild: [
    ...codebuildReadActions,
    ...verdictStoreActions,
    ...idempotencyActions,
    ...stsActions,
    ...snsActions,
  ],
  onImagePush: [...verdictStoreActions, ...stsActions],
  verdictApi: [...verdictReadActions, ...stsActions],
  projectsApi: [
    ...provisionerActions,
    'ecr:DescribeRepositories',
    'ecr:GetLifecyclePolicy',
    'ecr:GetRepositoryPolicy',
    'ecr:ListTagsForResource',
    'ecr:GetRegistryScanningConfiguration',
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...stsActions,
  ],
  onChange: [
    ...ecrReadActions,
    ...codebuildReadActions,
    ...iamRoleReadActions,
    ...remediatorActions,
    ...stsActions,
    ...snsActions,
  ],
} as const;

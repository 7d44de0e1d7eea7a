/**
 * What every Lambda function shares, whatever its trigger (lib/runtime/event-handler.ts, http-handler.ts):
 *
 * - its settings, parsed once per process and checked at the first invocation, before any work: the stage,
 *   and on AWS the settings its ports and its idempotency read — a missing one is a ConfigError naming it;
 * - the guardrails it runs with: compiled to JSON into its bundle at package time from the guardrails file
 *   (validated then, with the guardrails schema), or — unbundled — read from BUILDWARDEN_CONFIG;
 * - the logger context of each invocation: request id and cold-start flag on every log line;
 * - its deps, through the one composition root (lib/runtime/compose.ts): AWS adapters kept by the process,
 *   or — on the local stage, with BUILDWARDEN_SANDBOX_FILE — the SIMULATED sandbox account in that file.
 */
import type { Context } from 'aws-lambda';
import { ConfigError } from '../errors';
import { logger } from '../logger';
import type { Guardrails } from '../policy/guardrails';
import type { AccountInfo } from '../ports';
import {
  LAMBDA_SETTINGS,
  parseSettings,
  processEnvironment,
  type SettingName,
  type Settings,
} from '../settings';
import { compose, processScope, settingsOf, type Deps, type Need } from './compose';
import { startTracing, withMetrics, type FunctionMetrics } from './observability';

/**
 * Whether the bundle may contain the sandbox: serverless.yml defines it true on the local stage only, so the
 * bundler drops the dynamic import below from deployed bundles. Undefined when not bundled (tests, tsx).
 */
declare const __BUILDWARDEN_SANDBOX__: boolean | undefined;

/**
 * The guardrails a packaged function runs with, as JSON text: serverless.yml defines it from the guardrails
 * file (param guardrailsFile, '' = the defaults), parsed and validated with the guardrails schema at package
 * time (scripts/compiled-guardrails.js), so a bad file fails the packaging, naming the field. Undefined when
 * not bundled (tests, tsx): then the file BUILDWARDEN_CONFIG names is read (lib/guardrails-file.ts).
 */
declare const __BUILDWARDEN_GUARDRAILS__: string | undefined;

/** Runs a handling once per key; what `idempotency` of a function provides (lib/runtime/idempotency.ts). */
export type Once = <I, O extends object>(key: string, input: I, fn: (input: I) => Promise<O>) => Promise<O>;

export interface Idempotency {
  /** The settings it reads: required when the function runs on AWS. */
  settings: readonly SettingName[];
  once: (settings: Settings, context: Context | undefined) => Once;
}

/** What a function declares about itself: the ports it uses, and how it handles each event once. */
export interface FunctionShape<N extends readonly Need[] = readonly Need[]> {
  needs: N;
  /** Each event handled once per key; on the sandbox, which has no table, every delivery. */
  idempotency?: Idempotency;
  /** What its results count (lib/runtime/observability.ts), published when BUILDWARDEN_METRICS is true. */
  metrics?: FunctionMetrics;
}

/** What one invocation of a function gets beside its deps. */
export interface Invocation {
  settings: Settings;
  guardrails: Guardrails;
  /** True on the local stage's sandbox account. */
  sandbox: boolean;
  /** When the invocation started. */
  now: Date;
  /**
   * Runs `fn` once per `key` (a repeat returns the stored result) through the function's idempotency; on the
   * sandbox, which has no idempotency table, every time.
   */
  once: Once;
}

let loaded: { settings: Settings; guardrails: Guardrails } | undefined;

/** The settings a function requires, given whether it runs on the sandbox (no tables there). */
export function requiredSettings(fn: FunctionShape, sandbox: boolean): SettingName[] {
  if (sandbox) return [...LAMBDA_SETTINGS];
  return [...LAMBDA_SETTINGS, ...settingsOf(fn.needs), ...(fn.idempotency?.settings ?? [])];
}

/** The function's settings and guardrails, read once per process (a failure is not kept: the next invocation reads again). */
export async function functionConfig(
  fn: FunctionShape,
): Promise<{ settings: Settings; guardrails: Guardrails }> {
  if (!loaded) {
    const env = processEnvironment();
    const settings = parseSettings(env, requiredSettings(fn, Boolean(env.BUILDWARDEN_SANDBOX_FILE)));
    loaded = { settings, guardrails: await guardrailsOf(settings) };
  }
  return loaded;
}

/**
 * The compiled guardrails of the bundle (JSON, validated at package time), or — unbundled — the file's. The
 * bundler drops the import below from packaged functions: neither the YAML parser nor the guardrails schema
 * is built at their cold start.
 */
async function guardrailsOf(settings: Settings): Promise<Guardrails> {
  if (typeof __BUILDWARDEN_GUARDRAILS__ === 'undefined') {
    const { functionGuardrails } = await import('../guardrails-file');
    return functionGuardrails(settings);
  }
  return JSON.parse(__BUILDWARDEN_GUARDRAILS__) as Guardrails;
}

/**
 * Starts the log context of an invocation: the request id and the cold-start flag (Powertools computes it) on
 * every line until the next invocation, as Powertools' injectLambdaContext does.
 */
export function beginInvocation(context: Context | undefined): void {
  logger.resetKeys();
  logger.addContext(context ?? ({ awsRequestId: 'unknown' } as Context));
}

/** Runs one invocation's work with the function's deps and its invocation facts. */
export async function invoke<const N extends readonly Need[], T>(
  fn: FunctionShape<N>,
  context: Context | undefined,
  work: (deps: Deps<N>, invocation: Invocation) => Promise<T>,
): Promise<T> {
  const { settings, guardrails } = await functionConfig(fn);
  const invocation = (sandbox: boolean): Invocation => ({
    settings,
    guardrails,
    sandbox,
    now: new Date(),
    once: sandbox ? (_key, input, handle) => handle(input) : onceOf(fn, settings, context),
  });
  const file = settings.BUILDWARDEN_SANDBOX_FILE;
  await startTracing(settings);
  return withMetrics(settings, fn.metrics as FunctionMetrics<T> | undefined, async () => {
    if (!file) {
      const own = accountOfFunction(context);
      if (own) processScope.knowAccount(own);
      return work(await compose(settings, fn.needs), invocation(false));
    }
    const { withSandboxFile } = await localStage();
    return withSandboxFile(file, async (sandbox) =>
      work(await compose(settings, fn.needs, { sandbox }), invocation(true)),
    );
  });
}

/**
 * The account and region a function runs in, from its own ARN (`arn:aws:lambda:<region>:<account>:function:…`,
 * given by the Lambda runtime): those of its role's credentials, since a function's role is in its account
 * and its SDK clients use its region. The cold path then makes no STS call before its first read.
 */
export function accountOfFunction(context: Context | undefined): AccountInfo | undefined {
  const arn = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:/.exec(
    context?.invokedFunctionArn ?? '',
  );
  return arn ? { region: arn[1]!, accountId: arn[2]! } : undefined;
}

function onceOf(fn: FunctionShape, settings: Settings, context: Context | undefined): Once {
  if (fn.idempotency) return fn.idempotency.once(settings, context);
  return () => {
    throw new Error('invocation.once: this function declares no idempotency');
  };
}

/** The local stage's sandbox runner; in a deployed bundle it is not there at all. */
async function localStage(): Promise<typeof import('../sandbox/local-stage')> {
  if (typeof __BUILDWARDEN_SANDBOX__ === 'undefined' || __BUILDWARDEN_SANDBOX__) {
    return import('../sandbox/local-stage');
  }
  throw new ConfigError(
    'BUILDWARDEN_SANDBOX_FILE: this bundle has no sandbox (it is built into the local stage only)',
  );
}

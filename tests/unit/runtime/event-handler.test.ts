/**
 * The event skeleton: parse → run the use case with the function's deps → log one line, with the request id
 * and cold-start flag on every log line; malformed events dropped, misconfiguration and AWS errors rethrown.
 * Each test cold starts a handler built in a fresh module registry (tests/fixtures/lambda.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { EventFunction, ScheduledFunction } from '../../../lib/runtime/event-handler';
import type { Need } from '../../../lib/runtime/compose';
import * as lambda from '../../fixtures/lambda';
import { REPO_ROOT } from '../../fixtures/load';

const ACCOUNT = '123456789012';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:buildwarden-notifications';

/** The invocation context Lambda passes (the fields @types/aws-lambda declares). */
function lambdaContext(awsRequestId: string): Context {
  return {
    awsRequestId,
    functionName: 'buildwarden-test-fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:buildwarden-test-fn`,
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/buildwarden-test-fn',
    logStreamName: '2026/11/25/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Event = { name: string };

/** What a definition is built from: modules of the handler's own (fresh) registry. */
interface Fresh {
  adapters: typeof import('../../../lib/runtime/adapters');
  errors: typeof import('../../../lib/errors');
  logger: typeof import('../../../lib/logger').logger;
  idempotency: typeof import('../../../lib/runtime/idempotency').powertoolsIdempotency;
}

/** Cold starts an event handler of `definition` (built in the fresh registry), logging at INFO. */
async function coldStart<N extends readonly Need[], R extends object>(
  definition: (fresh: Fresh) => EventFunction<Event, N, R>,
  env: lambda.LambdaEnv = {},
) {
  return lambda.coldStart(
    async () => {
      const { eventHandler } = await import('../../../lib/runtime/event-handler');
      const fresh: Fresh = {
        adapters: await import('../../../lib/runtime/adapters'),
        errors: await import('../../../lib/errors'),
        logger: (await import('../../../lib/logger')).logger,
        idempotency: (await import('../../../lib/runtime/idempotency')).powertoolsIdempotency,
      };
      return { handler: eventHandler(definition(fresh)) };
    },
    { AWS_REGION: 'us-east-1', BUILDWARDEN_STAGE: 'test', POWERTOOLS_LOG_LEVEL: 'INFO', ...env },
  );
}

/** The JSON log lines written (to stdout or stderr) while `act` runs. */
async function logLinesOf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  let out = '';
  const capture = (chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  };
  const writes = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    for (const write of writes) write.mockRestore();
  }
  return out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A function echoing the event's name; its parse rejects an event without one. */
const echo = ({ errors }: Fresh): EventFunction<Event, readonly Need[], { echoed: string }> => ({
  event: 'test event',
  parse: (raw) => {
    const name = (raw as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') throw new errors.InvalidInputError('event', ['name: expected a string']);
    return { name };
  },
  needs: [],
  run: async (event) => ({ echoed: event.name }),
  log: (event, result) => ['test event handled', { name: event.name, ...result }],
});

beforeEach(() => {
  lambda.sdk.resetAll();
  lambda.sdk.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('eventHandler', () => {
  it("returns the use case's result for a valid event", async () => {
    // Prepare
    const { handler } = await coldStart(echo);

    // Act
    const result = await handler({ name: 'a' }, lambdaContext('req-1'));

    // Assess
    expect(result).toEqual({ echoed: 'a' });
  });

  it('logs one line for the handled event, with its fields, the request id and the cold-start flag', async () => {
    // Prepare
    const { handler } = await coldStart(echo);

    // Act
    const lines = await logLinesOf(() => handler({ name: 'a' }, lambdaContext('req-1')));

    // Assess
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'test event handled',
        name: 'a',
        echoed: 'a',
        function_request_id: 'req-1',
        cold_start: expect.any(Boolean),
      }),
    ]);
  });

  it('flags the first invocation of an on-demand environment as a cold start, and only that one', async () => {
    // Prepare
    const { handler } = await coldStart(echo, { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });

    // Act
    const first = await logLinesOf(() => handler({ name: 'a' }, lambdaContext('req-1')));
    const second = await logLinesOf(() => handler({ name: 'b' }, lambdaContext('req-2')));

    // Assess
    expect(first.map((l) => [l.function_request_id, l.cold_start])).toEqual([['req-1', true]]);
    expect(second.map((l) => [l.function_request_id, l.cold_start])).toEqual([['req-2', false]]);
  });

  it("puts the request id on the use case's own log lines too", async () => {
    // Prepare
    const { handler } = await coldStart((fresh) => ({
      ...echo(fresh),
      async run(event: Event) {
        fresh.logger.info('working', { on: event.name });
        return { echoed: event.name };
      },
    }));

    // Act
    const lines = await logLinesOf(() => handler({ name: 'a' }, lambdaContext('req-7')));

    // Assess
    expect(lines.map((l) => [l.message, l.function_request_id])).toEqual([
      ['working', 'req-7'],
      ['test event handled', 'req-7'],
    ]);
  });

  it('drops a malformed event with the reason, runs nothing and logs a warning', async () => {
    // Prepare
    const run = jest.fn();
    const { handler } = await coldStart((fresh) => ({ ...echo(fresh), run }));

    // Act
    let result: unknown;
    const lines = await logLinesOf(
      async () => (result = await handler({ nom: 'a' }, lambdaContext('req-1'))),
    );

    // Assess
    expect(result).toEqual({ dropped: 'name: expected a string' });
    expect(run).not.toHaveBeenCalled();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'test event dropped',
        reason: ['name: expected a string'],
        function_request_id: 'req-1',
      }),
    ]);
  });

  it('rethrows a parse failure that is not about the input', async () => {
    // Prepare
    const { handler } = await coldStart((fresh) => ({
      ...echo(fresh),
      parse: () => {
        throw new RangeError('defect');
      },
    }));

    // Act
    const handling = handler({ name: 'a' });

    // Assess
    await expect(handling).rejects.toThrow(RangeError);
  });

  it('fails naming a setting its ports need, before reading the event (even a malformed one)', async () => {
    // Prepare
    const { handler, ConfigError } = await coldStart((fresh) => ({
      ...echo(fresh),
      needs: [fresh.adapters.snsNotifier],
    }));

    // Act
    const handling = handler({ nom: 'malformed' });

    // Assess
    await expect(handling).rejects.toThrow(ConfigError);
    await expect(handling).rejects.toThrow(/BUILDWARDEN_NOTIFICATION_TOPIC_ARN/);
  });

  it('fails naming BUILDWARDEN_IDEMPOTENCY_TABLE when an idempotent function has none', async () => {
    // Prepare
    const { handler, ConfigError } = await coldStart((fresh) => ({
      ...echo(fresh),
      idempotency: fresh.idempotency,
    }));

    // Act
    const handling = handler({ name: 'a' });

    // Assess
    await expect(handling).rejects.toThrow(ConfigError);
    await expect(handling).rejects.toThrow(/BUILDWARDEN_IDEMPOTENCY_TABLE/);
  });

  it('refuses invocation.once to a function that declares no idempotency', async () => {
    // Prepare
    const { handler } = await coldStart((fresh) => ({
      ...echo(fresh),
      run: (event: Event, _deps, { once }) => once(event.name, event, async () => ({ echoed: event.name })),
    }));

    // Act
    const handling = handler({ name: 'a' });

    // Assess
    await expect(handling).rejects.toThrow(/declares no idempotency/);
  });

  it('rethrows what the use case throws, for Lambda to retry', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { handler } = await coldStart((fresh) => ({
      ...echo(fresh),
      run: async () => {
        throw throttled;
      },
    }));

    // Act
    const handling = handler({ name: 'a' });

    // Assess
    await expect(handling).rejects.toBe(throttled);
  });

  it("gives the use case the ports it needs and the deployment's account", async () => {
    // Prepare
    let seen: { account: unknown; notifier: unknown } | undefined;
    const { handler } = await coldStart(
      (fresh) => ({
        ...echo(fresh),
        needs: [fresh.adapters.snsNotifier],
        run: async (event: Event, deps) => {
          seen = { account: deps.account, notifier: deps.notifier };
          return { echoed: event.name };
        },
      }),
      { BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN },
    );

    // Act
    await handler({ name: 'a' });

    // Assess
    expect(seen?.account).toEqual({ accountId: ACCOUNT, region: 'us-east-1' });
    expect(seen?.notifier).toBeDefined();
  });
});

describe('eventHandler on the local stage', () => {
  function sandboxFile(): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bw-stage-')), 'account.json');
    copyFileSync(path.join(REPO_ROOT, 'demo/account.json'), file);
    return file;
  }

  it('runs on the sandbox account in BUILDWARDEN_SANDBOX_FILE, needs no table and writes the account back', async () => {
    // Prepare
    const file = sandboxFile();
    const { handler } = await coldStart(
      (fresh) => ({
        ...echo(fresh),
        needs: [fresh.adapters.snsNotifier],
        idempotency: fresh.idempotency,
        run: async (event: Event, deps, { sandbox, once }) =>
          once(event.name, event, async () => {
            await deps.notifier.publish({ subject: `hello ${event.name}`, message: 'm', attributes: {} });
            return { echoed: String(sandbox) };
          }),
      }),
      { BUILDWARDEN_SANDBOX_FILE: file },
    );

    // Act
    await handler({ name: 'a' });
    await handler({ name: 'a' });

    // Assess: no idempotency table on the sandbox, so both deliveries are handled; no AWS call
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      sns: { topics: { messages: { subject: string }[] }[] };
    };
    expect(saved.sns.topics[0]!.messages.map((m) => m.subject)).toEqual(['hello a', 'hello a']);
    expect(lambda.sdk.all.flatMap((m) => m.calls())).toEqual([]);
  });
});

describe('scheduledHandler', () => {
  it("passes the schedule event's id as the trigger", async () => {
    // Prepare
    const run = jest.fn(async (trigger: string) => ({ trigger }));
    const { handler } = await lambda.coldStart(
      async () => {
        const { scheduledHandler } = await import('../../../lib/runtime/event-handler');
        const fn: ScheduledFunction<[], { trigger: string }> = { needs: [], run };
        return { handler: scheduledHandler(fn) };
      },
      { AWS_REGION: 'us-east-1', BUILDWARDEN_STAGE: 'test' },
    );

    // Act
    const result = await handler({ id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa' });

    // Assess
    expect(result).toEqual({ trigger: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa' });
  });
});

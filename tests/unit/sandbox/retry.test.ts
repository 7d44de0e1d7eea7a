/**
 * The retrying wrapper of the sandbox composition (lib/sandbox/retry.ts): which errors it retries, its
 * backoff, and page-by-page retries of async iterables. Sleeps are faked: no real waiting.
 */
import { SandboxAccount } from '../../../lib/sandbox/account';
import {
  SimulatedAwsServiceError,
  simulatedServerError,
  simulatedThrottling,
} from '../../../lib/sandbox/faults';
import { generateAccount } from '../../../lib/sandbox/generate';
import {
  backoffDelayMs,
  isRetryableError,
  retrying,
  withRetriedPorts,
  withRetries,
  type RetryEvent,
} from '../../../lib/sandbox/retry';

function named(name: string, status?: number): Error {
  const error = new Error(name);
  error.name = name;
  if (status !== undefined) Object.assign(error, { $metadata: { httpStatusCode: status } });
  return error;
}

/** An operation that fails with the given errors first, then returns 'done'. */
function failingThen(errors: Error[]) {
  let calls = 0;
  return {
    run: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

const fast = { sleep: async () => {}, random: () => 0.5 };

describe('which errors are retried', () => {
  test.each([
    ['ThrottlingException', named('ThrottlingException')],
    ['TooManyRequestsException', named('TooManyRequestsException')],
    ['ServerException (ECR)', named('ServerException')],
    ['InternalServerException', named('InternalServerException')],
    ['ServiceUnavailableException', named('ServiceUnavailableException')],
    ['ServiceFailureException with HTTP 500 (IAM)', named('ServiceFailureException', 500)],
    ['a simulated throttle', simulatedThrottling('ecr:DescribeImages')],
    ['a simulated 503', simulatedServerError('sns:Publish', true)],
  ])('%s is retried', (_name, error) => {
    expect(isRetryableError(error)).toBe(true);
  });

  test.each([
    ['RepositoryNotFoundException', named('RepositoryNotFoundException', 400)],
    ['AccessDeniedException', named('AccessDeniedException', 400)],
    ['NoSuchEntityException', named('NoSuchEntityException', 404)],
    ['a plain TypeError', new TypeError('x is undefined')],
    ['a string', 'ThrottlingException'],
  ])('%s is not retried', (_name, error) => {
    expect(isRetryableError(error)).toBe(false);
  });
});

describe('retrying', () => {
  test('retries until success and reports each retry', async () => {
    const op = failingThen([simulatedThrottling('a'), simulatedServerError('a', false)]);
    const retries: RetryEvent[] = [];

    const result = await retrying('op', op.run, { ...fast, onRetry: (r) => retries.push(r) });

    expect(result).toBe('done');
    expect(op.calls()).toBe(3);
    expect(retries.map((r) => r.attempt)).toEqual([2, 3]);
  });

  test('rethrows a non-retryable error at once', async () => {
    const op = failingThen([named('AccessDeniedException', 400)]);

    await expect(retrying('op', op.run, fast)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(op.calls()).toBe(1);
  });

  test('gives up after maxAttempts with the last error, unchanged', async () => {
    const last = simulatedThrottling('a');
    const op = failingThen([simulatedThrottling('a'), simulatedThrottling('a'), last]);

    await expect(retrying('op', op.run, { ...fast, maxAttempts: 3 })).rejects.toBe(last);
    expect(op.calls()).toBe(3);
  });

  test('the default budget is 8 attempts, as the SDK clients are configured', async () => {
    const op = failingThen(Array.from({ length: 20 }, () => simulatedThrottling('a')));

    await expect(retrying('op', op.run, fast)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(op.calls()).toBe(8);
  });

  test('waits the backoff between attempts', async () => {
    const sleeps: number[] = [];
    const op = failingThen([named('InternalServerException'), named('InternalServerException')]);

    await retrying('op', op.run, { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) });

    expect(sleeps).toEqual([50, 100]);
  });
});

describe('backoff', () => {
  test('doubles per attempt from 100 ms after a transient error (full jitter: random × ceiling)', () => {
    const error = named('InternalServerException');

    expect([2, 3, 4, 5].map((a) => backoffDelayMs(a, error, { random: () => 0.999999 }))).toEqual([
      99, 199, 399, 799,
    ]);
  });

  test('starts from 500 ms after throttling', () => {
    expect(backoffDelayMs(2, simulatedThrottling('a'), { random: () => 0.5 })).toBe(250);
  });

  test('is capped at 20 s', () => {
    expect(backoffDelayMs(30, simulatedThrottling('a'), { random: () => 0.999999 })).toBe(19_999);
  });
});

describe('withRetries on the sandbox ports', () => {
  /** A sandbox whose given action fails with `error` for its first `times` attempts. */
  function flakySandbox(
    action: string,
    times: number,
    error: () => Error = () => simulatedThrottling(action),
  ) {
    const sandbox = new SandboxAccount(
      generateAccount({ repositories: 2500, projects: 250, roles: 20, seed: 1 }),
    );
    let left = times;
    sandbox.faults = {
      beforeCall: async (a) => {
        if (a === action && left-- > 0) throw error();
      },
    };
    return sandbox;
  }

  test('a promise method is retried as a whole', async () => {
    const sandbox = flakySandbox('ecr:GetRepositoryPolicy', 2);
    const repository = sandbox.snapshot.ecr.repositories[0]!;

    const details = await withRetries(sandbox.registry, fast).repositoryDetails(repository, {
      images: false,
    });

    expect(details.tags).toEqual(repository.tags);
    expect(sandbox.calls.get('ecr:GetLifecyclePolicy')).toBe(3);
  });

  test('pages: a failed page fetch is retried alone, and every page is yielded once, in order', async () => {
    // Prepare: 2500 repositories are 3 DescribeRepositories pages; the 2nd and 3rd fetches fail once each.
    const sandbox = new SandboxAccount(generateAccount({ repositories: 2500, projects: 0, roles: 0 }));
    let attempt = 0;
    sandbox.faults = {
      beforeCall: async (action) => {
        if (action !== 'ecr:DescribeRepositories') return;
        attempt += 1;
        if (attempt === 2 || attempt === 4) throw simulatedThrottling(action);
      },
    };

    // Act
    const names: string[] = [];
    for await (const page of withRetries(sandbox.registry, fast).repositoryPages())
      names.push(...page.map((r) => r.repositoryName));

    // Assess: 3 pages + 2 retried fetches, no page fetched twice after success, none yielded twice.
    expect(names).toEqual(sandbox.snapshot.ecr.repositories.map((r) => r.repositoryName));
    expect(sandbox.calls.get('ecr:DescribeRepositories')).toBe(5);
  });

  test('project pages: the ListProjects call and each BatchGetProjects are retried on their own', async () => {
    const sandbox = flakySandbox('codebuild:ListProjects', 2);

    const pages: number[] = [];
    for await (const page of withRetries(sandbox.projects, fast).projectPages()) pages.push(page.length);

    expect(pages).toEqual([100, 100, 50]);
    // One ListProjects per page of 100 names, plus the 2 throttled attempts.
    expect(sandbox.calls.get('codebuild:ListProjects')).toBe(5);
    expect(sandbox.calls.get('codebuild:BatchGetProjects')).toBe(3);
  });

  test('an async generator cannot be resumed after an error: its error passes through, never a short list', async () => {
    const port = {
      async *pages() {
        yield [1];
        throw simulatedThrottling('x:ListThings');
      },
    };

    const seen: number[][] = [];
    const iterate = async () => {
      for await (const page of withRetries(port, fast).pages()) seen.push(page);
    };

    await expect(iterate()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(seen).toEqual([[1]]);
  });

  test('writes and notifications are retried, and happen once', async () => {
    const sandbox = flakySandbox('sns:Publish', 3, () => simulatedServerError('sns:Publish', true));

    await withRetries(sandbox.notifier, fast).publish({ subject: 's', message: 'm', attributes: {} });

    expect(sandbox.snapshot.sns?.topics[0]?.messages).toHaveLength(1);
    expect(sandbox.calls.get('sns:Publish')).toBe(4);
  });

  test('a non-retryable error from a port is not retried', async () => {
    const sandbox = flakySandbox('ecr:PutImageTagMutability', 0);

    await expect(
      withRetries(sandbox.remediator, fast).apply({
        type: 'PutImageTagMutability',
        repositoryName: 'no/such-repository',
        imageTagMutability: 'IMMUTABLE',
      }),
    ).rejects.toMatchObject({ kind: 'not-found', cause: { name: 'RepositoryNotFoundException' } });
    expect(sandbox.calls.get('ecr:PutImageTagMutability')).toBe(1);
  });

  test('other properties pass through unchanged', () => {
    const sandbox = flakySandbox('sns:Publish', 0);

    const wrapped = withRetries(sandbox, fast);

    expect(wrapped.info).toEqual(sandbox.info);
    expect(wrapped.calls).toBe(sandbox.calls);
  });

  test('withRetriedPorts wraps every port of a composition and keeps the account info', async () => {
    const sandbox = flakySandbox('ecr:GetRegistryScanningConfiguration', 1);
    const deps = { account: sandbox.info, registry: sandbox.registry, notifier: sandbox.notifier };

    const wrapped = withRetriedPorts(deps, fast);

    expect(wrapped.account).toBe(deps.account);
    await expect(wrapped.registry.scanningConfiguration()).resolves.toBeDefined();
    expect(wrapped.notifier).not.toBe(sandbox.notifier);
  });

  test('SimulatedAwsServiceError is an Error with the SDK fault fields', () => {
    const error = new SimulatedAwsServiceError('ServerException', 'boom', 500);

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
  });
});

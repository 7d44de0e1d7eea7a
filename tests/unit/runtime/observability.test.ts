/**
 * The skeleton's tracing and metrics (lib/runtime/observability.ts): the tracer is installed only when
 * BUILDWARDEN_TRACING is true, and then captures every SDK client created afterwards; metrics are published
 * only when BUILDWARDEN_METRICS is true, also when the invocation fails. The tracer is installed once per
 * process: the test that installs it comes last.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ECRClient } from '@aws-sdk/client-ecr';
import { captureClientsWith, instrumented } from '../../../lib/aws/instrument';
import { startTracing, withMetrics } from '../../../lib/runtime/observability';
import { parseSettings } from '../../../lib/settings';

afterAll(() => captureClientsWith(undefined));

const settings = (env: Record<string, string> = {}) => parseSettings({ BUILDWARDEN_STAGE: 'test', ...env });

/** What `run` writes to stdout. */
async function stdoutOf(run: () => Promise<unknown>): Promise<string> {
  let text = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    write.mockRestore();
  }
  return text;
}

describe('tracing', () => {
  it('installs nothing when BUILDWARDEN_TRACING is not set', async () => {
    // Prepare
    const capture = jest.spyOn(Tracer.prototype, 'captureAWSv3Client');

    // Act
    await startTracing(settings());
    instrumented(new ECRClient({ region: 'us-east-1' }));

    // Assess
    expect(capture).not.toHaveBeenCalled();
  });

  it('captures the SDK clients created after it started, when BUILDWARDEN_TRACING is true', async () => {
    // Prepare
    const capture = jest.spyOn(Tracer.prototype, 'captureAWSv3Client');

    // Act
    await startTracing(settings({ BUILDWARDEN_TRACING: 'true' }));
    const client = instrumented(new ECRClient({ region: 'us-east-1' }));

    // Assess
    expect(capture).toHaveBeenCalledWith(client);
  });
});

describe('metrics', () => {
  it('publishes the failed metrics of an invocation that throws, and rethrows', async () => {
    // Prepare
    const failure = new Error('boom');

    // Act
    let thrown: unknown;
    const text = await stdoutOf(() =>
      withMetrics(
        settings({ BUILDWARDEN_METRICS: 'true' }),
        { function: 'onChange', failed: [{ name: 'RemediationsFailed', value: 1 }] },
        () => Promise.reject(failure),
      ).catch((error: unknown) => {
        thrown = error;
      }),
    );

    // Assess
    expect(thrown).toBe(failure);
    const [document] = text
      .split('\n')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as object);
    expect(document).toMatchObject({
      service: 'buildwarden',
      function: 'onChange',
      RemediationsFailed: 1,
      ApiCalls: 0,
      _aws: { CloudWatchMetrics: [{ Namespace: 'buildwarden', Dimensions: [['service', 'function']] }] },
    });
  });

  it('publishes nothing when BUILDWARDEN_METRICS is not set', async () => {
    // Prepare

    // Act
    const text = await stdoutOf(() =>
      withMetrics(settings(), { function: 'audit', of: () => [{ name: 'NewFindings', value: 1 }] }, () =>
        Promise.resolve({}),
      ),
    );

    // Assess
    expect(text).not.toContain('_aws');
  });
});

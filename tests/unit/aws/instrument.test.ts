/**
 * Every SDK client a process creates is instrumented: its calls are counted (the `ApiCalls` metric) and, once a
 * tracer is installed, it is captured. Over aws-sdk-client-mock, whose class mock stubs the prototype's `send`.
 */
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { apiCallCount, captureClientsWith, instrumented } from '../../../lib/aws/instrument';

const ecrMock = mockClient(ECRClient);

beforeEach(() => {
  ecrMock.reset();
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
  captureClientsWith(undefined);
});

afterAll(() => captureClientsWith(undefined));

describe('instrumented SDK clients', () => {
  it('count each call sent through them', async () => {
    // Prepare
    const client = instrumented(new ECRClient({ region: 'us-east-1' }));
    const before = apiCallCount();

    // Act
    await client.send(new DescribeRepositoriesCommand({}));
    await client.send(new DescribeRepositoriesCommand({ maxResults: 1000 }));

    // Assess
    expect(apiCallCount() - before).toBe(2);
  });

  it('still send each call to the client class (a class mock sees it, with its input)', async () => {
    // Prepare
    const client = instrumented(new ECRClient({ region: 'us-east-1' }));

    // Act
    const out = await client.send(new DescribeRepositoriesCommand({ maxResults: 1000 }));

    // Assess
    expect(out).toEqual({ repositories: [] });
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)[0]!.args[0].input).toEqual({ maxResults: 1000 });
  });

  it('count a call that fails too', async () => {
    // Prepare
    ecrMock.on(DescribeRepositoriesCommand).rejects(new Error('Rate exceeded'));
    const client = instrumented(new ECRClient({ region: 'us-east-1' }));
    const before = apiCallCount();

    // Act
    const sending = client.send(new DescribeRepositoriesCommand({}));

    // Assess
    await expect(sending).rejects.toThrow('Rate exceeded');
    expect(apiCallCount() - before).toBe(1);
  });

  it('are captured by the tracer installed before they are created, and only then', () => {
    // Prepare
    const captured: object[] = [];
    const earlier = instrumented(new ECRClient({ region: 'us-east-1' }));
    captureClientsWith((client) => {
      captured.push(client);
      return client;
    });

    // Act
    const later = instrumented(new ECRClient({ region: 'us-east-1' }));

    // Assess
    expect(captured).toEqual([later]);
    expect(captured).not.toContain(earlier);
  });

  it('are not captured once the capture is removed', () => {
    // Prepare
    const captured: object[] = [];
    captureClientsWith((client) => {
      captured.push(client);
      return client;
    });
    captureClientsWith(undefined);

    // Act
    instrumented(new ECRClient({ region: 'us-east-1' }));

    // Assess
    expect(captured).toEqual([]);
  });
});

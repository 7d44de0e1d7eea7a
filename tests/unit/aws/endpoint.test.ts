/**
 * Honesty check: the adapters talk to whatever AWS_ENDPOINT_URL names (an emulator, a local stack) without
 * code changes, because the SDK itself honours the variable. A node:http server on 127.0.0.1 answers the ECR
 * JSON protocol; nothing here is mocked, so serialisation, signing and error parsing are the SDK's own.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EcrRegistry } from '../../../lib/aws/ecr';
import { awsSample } from '../../fixtures/load';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Reply = { status: number; body: unknown };
type Responder = (target: string, body: Record<string, unknown>) => Reply;

const ENV_KEYS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_ECR', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] as const;
const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

let server: Server;
let received: Received[];
let respond: Responder;
let savedEnv: Record<string, string | undefined>;
let client: ECRClient | undefined;

function describeRepositoriesSample(): { repositories: Record<string, unknown>[] } {
  return awsSample('api-ecr-describe-repositories.aws-cli.json');
}

beforeEach(async () => {
  received = [];
  respond = () => ({ status: 500, body: { __type: 'ServerException', message: 'no responder set' } });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = respond(
        target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target,
        body,
      );
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  for (const key of ENV_KEYS) delete process.env[key];
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  client?.destroy();
  client = undefined;
  for (const key of ENV_KEYS) {
    const value = savedEnv[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A fresh client, created after AWS_ENDPOINT_URL is set, exactly as a Lambda cold start would. */
function registry(): EcrRegistry {
  client = new ECRClient({ region: 'us-east-1' });
  return new EcrRegistry(client);
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('ECR adapter against an endpoint named by AWS_ENDPOINT_URL', () => {
  it('sends a signed DescribeRepositories JSON request to that endpoint', async () => {
    // Prepare
    respond = () => ({ status: 200, body: describeRepositoriesSample() });

    // Act
    await collect(registry().repositoryPages());

    // Assess
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({
      method: 'POST',
      url: '/',
      headers: {
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
        'content-type': 'application/x-amz-json-1.1',
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/ecr\/aws4_request/,
        ),
      },
      body: { maxResults: 1000 },
    });
  });

  it('parses the page the endpoint answers into Repository objects', async () => {
    // Prepare
    respond = () => ({ status: 200, body: describeRepositoriesSample() });

    // Act
    const pages = await collect(registry().repositoryPages());

    // Assess
    expect(pages).toStrictEqual([
      [
        {
          registryId: '012345678910',
          repositoryName: 'ubuntu',
          repositoryArn: 'arn:aws:ecr:us-west-2:012345678910:repository/ubuntu',
        },
        {
          registryId: '012345678910',
          repositoryName: 'test',
          repositoryArn: 'arn:aws:ecr:us-west-2:012345678910:repository/test',
        },
      ],
    ]);
  });

  it('follows nextToken through the endpoint', async () => {
    // Prepare
    const [ubuntu, test] = describeRepositoriesSample().repositories;
    respond = (_target, body) =>
      body.nextToken === 'page-2'
        ? { status: 200, body: { repositories: [test] } }
        : { status: 200, body: { repositories: [ubuntu], nextToken: 'page-2' } };

    // Act
    const pages = await collect(registry().repositoryPages());

    // Assess
    expect(pages.map((page) => page.map((r) => r.repositoryName))).toEqual([['ubuntu'], ['test']]);
    expect(received.map((r) => r.body)).toEqual([
      { maxResults: 1000 },
      { maxResults: 1000, nextToken: 'page-2' },
    ]);
  });

  it("recognises the endpoint's RepositoryNotFoundException by name", async () => {
    // Prepare
    respond = () => ({
      status: 400,
      body: {
        __type: 'RepositoryNotFoundException',
        message: "The repository with name 'gone' does not exist in the registry with id '012345678910'",
      },
    });

    // Act
    const repository = await registry().repository('gone');

    // Assess
    expect(repository).toBeUndefined();
    expect(received.map((r) => r.body)).toEqual([{ repositoryNames: ['gone'] }]);
  });
});

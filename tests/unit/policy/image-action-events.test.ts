import path from 'node:path';
import { awsSample, loadJson } from '../../fixtures/load';
import { parseImageActionEvent, parseImagePushEvent } from '../../../lib/policy/image-action-events';
import { InvalidInputError } from '../../../lib/policy/validation';

/** The parts of the samples these tests change. */
interface Envelope {
  'detail-type': string;
  source: string;
  account: string;
}

interface PushSample extends Envelope {
  detail: { 'action-type': string; result: string };
}

const repoEvent = <T = unknown>(name: string) => loadJson<T>(path.join('..', '..', 'events', name));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('ECR Image Action (push)', () => {
  test('the push event built from the documented sample parses', () => {
    const push = parseImagePushEvent(repoEvent('ecr-image-action-push.json'));

    expect(push).toEqual({
      action: 'PUSH',
      repositoryName: 'web/frontend',
      imageDigest: 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89',
      imageTag: '1.4.2',
      account: '123456789012',
      region: 'us-east-1',
      eventId: '5b7c1e2a-3f4d-4e8a-9c61-0d2f8a7b6c41',
      time: '2026-10-02T09:14:55Z',
    });
  });

  test('a DELETE action is rejected at detail.action-type', () => {
    const event = repoEvent<PushSample>('ecr-image-action-push.json');
    event.detail['action-type'] = 'DELETE';

    expect(problemsOf(() => parseImagePushEvent(event))).toEqual([
      expect.stringMatching(/^detail\.action-type: /),
    ]);
  });

  test('a failed push is rejected at detail.result', () => {
    const event = repoEvent<PushSample>('ecr-image-action-push.json');
    event.detail.result = 'FAILURE';

    expect(problemsOf(() => parseImagePushEvent(event))).toEqual([
      expect.stringMatching(/^detail\.result: /),
    ]);
  });
});

describe('ECR Image Action (any action)', () => {
  test('the official image deletion sample parses into a delete', () => {
    const action = parseImageActionEvent(awsSample('ecr-image-action-delete.json'));

    expect(action).toEqual({
      action: 'DELETE',
      repositoryName: 'my-repository-name',
      imageDigest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      imageTag: 'latest',
      account: '123456789012',
      region: 'us-west-2',
      eventId: 'dd3b46cb-2c74-f49e-393b-28286b67279d',
      time: '2019-11-16T02:01:05Z',
    });
  });

  test('a push parses into a push', () => {
    expect(parseImageActionEvent(repoEvent('ecr-image-action-push.json')).action).toBe('PUSH');
  });

  test('another action type is rejected at detail.action-type', () => {
    const event = awsSample<PushSample>('ecr-image-action-delete.json');
    event.detail['action-type'] = 'REPLICATE';

    expect(problemsOf(() => parseImageActionEvent(event))).toEqual([
      expect.stringMatching(/^detail\.action-type: /),
    ]);
  });
});

describe('events/ files', () => {
  test('ecr-image-action-delete.json deletes web/frontend 1.4.2', () => {
    expect(parseImageActionEvent(repoEvent('ecr-image-action-delete.json'))).toMatchObject({
      action: 'DELETE',
      repositoryName: 'web/frontend',
    });
  });
});

import path from 'node:path';
import { awsSample, loadJson } from '../../fixtures/load';
import type { BuildRecord } from '../../../lib/policy/builds';
import {
  buildStateNotification,
  correlateImageToBuild,
  isBuildNotified,
  newestBuildFirst,
} from '../../../lib/policy/builds';
import { parseScanGate } from '../../../lib/policy/scan/scan-gate-config';
import type { ImagePushEvent } from '../../../lib/policy/image-action-events';
import { parseBuildStateEvent } from '../../../lib/policy/build-events';
import { parseImagePushEvent } from '../../../lib/policy/image-action-events';

interface BuildJson {
  detail: {
    'build-status': string;
    'additional-information': { phases: Record<string, unknown>[]; 'build-number'?: number };
  };
}
const repoEvent = <T>(name: string) => loadJson<T>(path.join('..', '..', 'events', name));
const failedBuild = () => parseBuildStateEvent(repoEvent('codebuild-build-failed.json'));
const succeededBuild = () => parseBuildStateEvent(repoEvent('codebuild-build-succeeded.json'));

describe('build state notification', () => {
  test('the subject names status, project, build number and failed phase', () => {
    const n = buildStateNotification(failedBuild(), { consoleRegion: 'us-east-1' });

    expect(n.subject).toBe('buildwarden build FAILED: web-frontend-build #43 in BUILD');
  });

  test('the body gives the failed phase with its error message', () => {
    const n = buildStateNotification(failedBuild(), { consoleRegion: 'us-east-1' });

    expect(n.message).toContain('Failed phase: BUILD (FAILED) after 52s');
    expect(n.message).toContain(
      '  COMMAND_EXECUTION_ERROR: Error while executing command: docker build -t $REPOSITORY_URI:$IMAGE_TAG .. Reason: exit status 1',
    );
  });

  test('the body names project, initiator, duration and source version', () => {
    const n = buildStateNotification(failedBuild(), { consoleRegion: 'us-east-1' });

    expect(n.message).toContain('Project:        web-frontend-build');
    expect(n.message).toContain('Initiator:      GitHub-Hookshot/4f1c2d3');
    expect(n.message).toContain('Duration:       1m 28s (sum of phase durations)');
    expect(n.message).toContain('Source version: 8d2e4f6a1b3c5d7e9f0a1b2c3d4e5f60718293a4');
  });

  test('the body links the CloudWatch Logs deep link and the build in the console', () => {
    const n = buildStateNotification(failedBuild(), { consoleRegion: 'us-east-1' });

    expect(n.message).toContain(
      'Logs:           https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=/aws/codebuild/web-frontend-build;stream=0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
    );
    expect(n.message).toContain(
      'Build console:  https://us-east-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/web-frontend-build/build/web-frontend-build%3A0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d/?region=us-east-1',
    );
  });

  test('attributes carry kind, severity, the known repository and the project', () => {
    const n = buildStateNotification(failedBuild(), {
      consoleRegion: 'us-east-1',
      repositoryName: 'web/frontend',
    });

    expect(n.attributes).toEqual({
      kind: 'build-state',
      severity: 'high',
      repository: 'web/frontend',
      project: 'web-frontend-build',
    });
  });

  test('the repository attribute is empty when the target repository is unknown', () => {
    const n = buildStateNotification(succeededBuild(), { consoleRegion: 'us-east-1' });

    expect(n.attributes.repository).toBe('');
    expect(n.attributes.severity).toBe('info');
  });

  test('the official sample (no build number) is named by its build id prefix', () => {
    const n = buildStateNotification(parseBuildStateEvent(awsSample('codebuild-build-state-change.json')), {
      consoleRegion: 'us-west-2',
    });

    expect(n.subject).toBe('buildwarden build SUCCEEDED: my-sample-project 8745a7a9');
  });

  test('a long list of context messages is truncated with a count', () => {
    const json = repoEvent<BuildJson>('codebuild-build-failed.json');
    const phase = json.detail['additional-information'].phases[6]!;
    phase['phase-context'] = Array.from({ length: 9 }, (_, i) => `CLIENT_ERROR: problem ${i}`);

    const n = buildStateNotification(parseBuildStateEvent(json), { consoleRegion: 'us-east-1' });

    expect(n.message).toContain('  CLIENT_ERROR: problem 4');
    expect(n.message).not.toContain('problem 5');
    expect(n.message).toContain('… and 4 more');
  });

  test('a very long context message is clipped', () => {
    const json = repoEvent<BuildJson>('codebuild-build-failed.json');
    json.detail['additional-information'].phases[6]!['phase-context'] = [
      `COMMAND_EXECUTION_ERROR: ${'x'.repeat(5000)}`,
    ];

    const n = buildStateNotification(parseBuildStateEvent(json), { consoleRegion: 'us-east-1' });

    const line = n.message.split('\n').find((l) => l.includes('COMMAND_EXECUTION_ERROR'))!;
    expect(line.length).toBeLessThanOrEqual(502);
    expect(line.endsWith('…')).toBe(true);
  });

  test('the subject stays within 99 characters for a long project name', () => {
    const build = { ...failedBuild(), projectName: 'p'.repeat(150) };

    const n = buildStateNotification(build, { consoleRegion: 'us-east-1' });

    expect(n.subject.length).toBeLessThanOrEqual(99);
  });
});

describe('which build states are notified', () => {
  test('failed builds are notified by default', () => {
    expect(isBuildNotified(failedBuild(), parseScanGate({}))).toBe(true);
  });

  test('succeeded builds are not notified by default', () => {
    expect(isBuildNotified(succeededBuild(), parseScanGate({}))).toBe(false);
  });

  test('the configured statuses decide', () => {
    const config = parseScanGate({ buildNotifications: { statuses: ['SUCCEEDED'] } });

    expect(isBuildNotified(succeededBuild(), config)).toBe(true);
  });
});

describe('correlateImageToBuild', () => {
  /** events/ecr-image-action-push.json: web/frontend:1.4.2 pushed at 2026-10-02T09:14:55Z. */
  const push = (): ImagePushEvent => parseImagePushEvent(repoEvent('ecr-image-action-push.json'));
  const build = (over: Partial<BuildRecord> & { id: string }): BuildRecord => ({
    projectName: 'web-frontend-build',
    repositoryName: 'web/frontend',
    startTime: '2026-10-02T09:12:03.120Z',
    endTime: '2026-10-02T09:15:04.880Z',
    ...over,
  });

  test('the build whose run contains the push time produced the image', () => {
    const builds = [
      build({
        id: 'web-frontend-build:41',
        buildNumber: 41,
        startTime: '2026-10-02T08:00:00Z',
        endTime: '2026-10-02T08:03:00Z',
      }),
      build({ id: 'web-frontend-build:42', buildNumber: 42, sourceVersion: '3f9a1c2e' }),
    ];

    expect(correlateImageToBuild(push(), builds)).toEqual({
      project: 'web-frontend-build',
      buildId: 'web-frontend-build:42',
      buildNumber: 42,
      sourceVersion: '3f9a1c2e',
    });
  });

  test('a build of a project targeting another repository is not a candidate', () => {
    const builds = [build({ id: 'api-build:7', projectName: 'api-build', repositoryName: 'api/server' })];

    expect(correlateImageToBuild(push(), builds)).toBeUndefined();
  });

  test('a build that ended before the push is not a candidate', () => {
    const builds = [build({ id: 'b:1', endTime: '2026-10-02T09:14:54.999Z' })];

    expect(correlateImageToBuild(push(), builds)).toBeUndefined();
  });

  test('a build that started after the push second is not a candidate', () => {
    const builds = [build({ id: 'b:1', startTime: '2026-10-02T09:14:56Z', endTime: '2026-10-02T09:20:00Z' })];

    expect(correlateImageToBuild(push(), builds)).toBeUndefined();
  });

  test('a build started within the push second still matches (event times are whole seconds)', () => {
    const builds = [
      build({ id: 'b:1', startTime: '2026-10-02T09:14:55.400Z', endTime: '2026-10-02T09:16:00Z' }),
    ];

    expect(correlateImageToBuild(push(), builds)?.buildId).toBe('b:1');
  });

  test('a build still running (no end time) matches', () => {
    const builds = [build({ id: 'b:1', endTime: undefined })];

    expect(correlateImageToBuild(push(), builds)?.buildId).toBe('b:1');
  });

  test('of overlapping builds, the one that started last wins', () => {
    const builds = [
      build({ id: 'b:1', startTime: '2026-10-02T09:10:00Z', endTime: '2026-10-02T09:20:00Z' }),
      build({ id: 'b:2', startTime: '2026-10-02T09:13:00Z', endTime: '2026-10-02T09:16:00Z' }),
    ];

    expect(correlateImageToBuild(push(), builds)?.buildId).toBe('b:2');
  });

  test('builds that started at the same instant are ordered by build number, higher first', () => {
    const builds = [build({ id: 'b:a', buildNumber: 7 }), build({ id: 'b:b', buildNumber: 8 })];

    expect(correlateImageToBuild(push(), builds)?.buildId).toBe('b:b');
  });

  test('a build without a known target repository never matches', () => {
    const builds = [build({ id: 'b:1', repositoryName: undefined })];

    expect(correlateImageToBuild(push(), builds)).toBeUndefined();
  });
});

test('a STOPPED build is notified with medium severity', () => {
  const json = awsSample<BuildJson>('codebuild-build-state-change.json');
  json.detail['build-status'] = 'STOPPED';

  const n = buildStateNotification(parseBuildStateEvent(json), { consoleRegion: 'us-west-2' });

  expect(n.attributes.severity).toBe('medium');
});

describe('newestBuildFirst', () => {
  test('orders builds by start time, the most recent first, then by build id, as the builds table sorts them', () => {
    // Prepare
    const build = (id: string, startTime: string): BuildRecord => ({ id, projectName: 'p', startTime });
    const builds = [
      build('p:1', '2026-10-01T09:00:00.000Z'),
      build('p:3', '2026-10-02T09:00:00.000Z'),
      build('p:2', '2026-10-02T09:00:00.000Z'),
    ];

    // Act
    const ordered = [...builds].sort(newestBuildFirst);

    // Assess
    expect(ordered.map((b) => b.id)).toEqual(['p:3', 'p:2', 'p:1']);
  });
});

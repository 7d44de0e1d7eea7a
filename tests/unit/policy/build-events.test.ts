import path from 'node:path';
import { awsSample, loadJson } from '../../fixtures/load';
import {
  parseBuildPhaseEvent,
  parseBuildStateEvent,
  withoutUrlCredentials,
} from '../../../lib/policy/build-events';
import { InvalidInputError } from '../../../lib/policy/validation';

/** The parts of the samples these tests change. */
interface Envelope {
  'detail-type': string;
  source: string;
  account: string;
}

interface BuildSample extends Envelope {
  detail: {
    'build-status': string;
    'completed-phase-context'?: string;
    'additional-information': {
      phases: Record<string, unknown>[];
      source?: { type: string; location: string };
      logs?: Record<string, string>;
      'build-number'?: number;
      'source-version'?: string;
    };
  };
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

describe('CodeBuild events', () => {
  test('the official state-change sample parses with its phases, logs and initiator', () => {
    const build = parseBuildStateEvent(awsSample('codebuild-build-state-change.json'));

    expect(build).toMatchObject({
      status: 'SUCCEEDED',
      projectName: 'my-sample-project',
      buildId:
        'arn:aws:codebuild:us-west-2:123456789012:build/my-sample-project:8745a7a9-c340-456a-9166-edf953571bEX',
      initiator: 'MyCodeBuildDemoUser',
      startTime: 'Sep 1, 2017 4:12:29 PM',
      currentPhase: 'COMPLETED',
      logs: { groupName: '/aws/codebuild/my-sample-project' },
    });
    expect(build.phases.map((p) => p.type)).toEqual([
      'SUBMITTED',
      'PROVISIONING',
      'DOWNLOAD_SOURCE',
      'INSTALL',
      'PRE_BUILD',
      'BUILD',
      'POST_BUILD',
      'UPLOAD_ARTIFACTS',
      'FINALIZING',
      'COMPLETED',
    ]);
    expect(build.failedPhase).toBeUndefined();
  });

  test('the duration is the sum of the phase durations', () => {
    const build = parseBuildStateEvent(awsSample('codebuild-build-state-change.json'));

    expect(build.durationSeconds).toBe(0 + 36 + 4 + 0 + 0 + 70 + 0 + 0 + 4);
  });

  test('the first phase that did not succeed is the failed phase, with its context messages', () => {
    const event = awsSample<BuildSample>('codebuild-build-state-change.json');
    event.detail['build-status'] = 'FAILED';
    const build5 = event.detail['additional-information'].phases[5]!;
    build5['phase-status'] = 'FAILED';
    build5['phase-context'] = [
      ': ',
      'COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2',
    ];

    const build = parseBuildStateEvent(event);

    expect(build.failedPhase).toMatchObject({
      type: 'BUILD',
      status: 'FAILED',
      durationSeconds: 70,
      context: ['COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2'],
    });
  });

  test('build number and source version are read when the event carries them', () => {
    const event = awsSample<BuildSample>('codebuild-build-state-change.json');
    event.detail['additional-information']['build-number'] = 55;
    event.detail['additional-information']['source-version'] = 'refs/heads/main';

    const build = parseBuildStateEvent(event);

    expect(build).toMatchObject({ buildNumber: 55, sourceVersion: 'refs/heads/main' });
  });

  test('credentials embedded in a source URL are removed', () => {
    const event = awsSample<BuildSample>('codebuild-build-state-change.json');
    event.detail['additional-information'].source = {
      type: 'GITHUB',
      location: 'https://ci-bot:ghp_secret@github.com/example-org/web-frontend.git',
    };

    const build = parseBuildStateEvent(event);

    expect(build.sourceLocation).toBe('https://github.com/example-org/web-frontend.git');
  });

  test('a logs deep link with a null group (logs disabled) is not kept', () => {
    const event = awsSample<BuildSample>('codebuild-build-state-change.json');
    event.detail['additional-information'].logs = {
      'deep-link':
        'https://console.aws.amazon.com/cloudwatch/home?region=us-west-2#logEvent:group=null;stream=null',
    };

    expect(parseBuildStateEvent(event).logs.deepLink).toBeUndefined();
  });

  test('an unknown build status is rejected at detail.build-status', () => {
    const event = awsSample<BuildSample>('codebuild-build-state-change.json');
    event.detail['build-status'] = 'BROKEN';

    expect(problemsOf(() => parseBuildStateEvent(event))).toEqual([
      expect.stringMatching(/^detail\.build-status: /),
    ]);
  });

  test('a phase-change event is not a state-change event', () => {
    const event = awsSample('codebuild-build-phase-change.json');

    expect(problemsOf(() => parseBuildStateEvent(event))).toEqual([
      expect.stringMatching(/^detail-type: /),
      expect.stringMatching(/^detail\.build-status: /),
    ]);
  });

  test('the official phase-change sample parses with its completed phase', () => {
    const phase = parseBuildPhaseEvent(awsSample('codebuild-build-phase-change.json'));

    expect(phase.completedPhase).toEqual({
      type: 'COMPLETED',
      status: 'SUCCEEDED',
      startTime: 'Sep 1, 2017 4:14:21 PM',
      endTime: 'Sep 1, 2017 4:14:26 PM',
      durationSeconds: 4,
      context: [],
    });
    expect(phase.projectName).toBe('my-sample-project');
  });

  test('a phase-change context rendered as text is unwrapped', () => {
    const event = awsSample<BuildSample>('codebuild-build-phase-change.json');
    event.detail['completed-phase-context'] = '[CLIENT_ERROR: repository not found for primary source]';

    expect(parseBuildPhaseEvent(event).completedPhase.context).toEqual([
      'CLIENT_ERROR: repository not found for primary source',
    ]);
  });
});

describe('events/ files', () => {
  test('codebuild-build-failed.json failed in BUILD with a command error', () => {
    const build = parseBuildStateEvent(repoEvent('codebuild-build-failed.json'));

    expect(build).toMatchObject({ status: 'FAILED', projectName: 'web-frontend-build', buildNumber: 43 });
    expect(build.failedPhase?.type).toBe('BUILD');
    expect(build.failedPhase?.context[0]).toMatch(/^COMMAND_EXECUTION_ERROR: .*exit status 1$/);
  });

  test('codebuild-build-succeeded.json succeeded with no failed phase', () => {
    const build = parseBuildStateEvent(repoEvent('codebuild-build-succeeded.json'));

    expect(build).toMatchObject({ status: 'SUCCEEDED', buildNumber: 42 });
    expect(build.failedPhase).toBeUndefined();
  });
});

test('withoutUrlCredentials leaves a location without credentials unchanged', () => {
  expect(withoutUrlCredentials('codebuild-123456789012-input-bucket/my-input-artifact.zip')).toBe(
    'codebuild-123456789012-input-bucket/my-input-artifact.zip',
  );
});

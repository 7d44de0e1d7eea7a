/**
 * The default buildspec: the CodeBuild Docker sample, adapted to immutable tags and every partition.
 */
import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { defaultBuildspec } from '../../../../lib/policy/provisioning/default-buildspec';
import { ACCOUNT, REGION } from '../../../fixtures/builders';
import { loadText } from '../../../fixtures/load';
import { OWN_REPOSITORY_URI } from './helpers';

describe('defaultBuildspec', () => {
  const buildspec = () =>
    parseYaml(defaultBuildspec()) as {
      version: number;
      phases: Record<'pre_build' | 'build' | 'post_build', { commands: string[] }>;
    };
  const officialSample = () =>
    parseYaml(loadText('aws-samples/codebuild-docker-sample-buildspec.yml')) as ReturnType<typeof buildspec>;

  test('is a version 0.2 buildspec with the phases of the official Docker sample', () => {
    const spec = buildspec();

    expect(spec.version).toBe(0.2);
    expect(Object.keys(spec.phases)).toEqual(Object.keys(officialSample().phases));
  });

  test('logs in to ECR the way the official sample does, at the registry of REPOSITORY_URI', () => {
    const login = buildspec().phases.pre_build.commands.find((c) => c.includes('docker login'))!;
    const sampleLogin = officialSample().phases.pre_build.commands.find((c) => c.includes('docker login'))!;

    const upToRegistry = (command: string) => command.slice(0, command.lastIndexOf(' '));
    expect(upToRegistry(login)).toBe(upToRegistry(sampleLogin));
    expect(login.endsWith(' ${REPOSITORY_URI%%/*}')).toBe(true);
  });

  test('builds and pushes one image tagged $IMAGE_TAG, and never a latest tag', () => {
    const spec = buildspec();

    expect(spec.phases.build.commands).toContain('docker build -t $REPOSITORY_URI:$IMAGE_TAG .');
    expect(spec.phases.post_build.commands).toContain('docker push $REPOSITORY_URI:$IMAGE_TAG');
    const docker = Object.values(spec.phases).flatMap((p) =>
      p.commands.filter((c) => /^docker (?:build|tag|push)/.test(c)),
    );
    expect(docker).toHaveLength(2);
    const commands = Object.values(spec.phases).flatMap((p) => p.commands);
    expect(commands.filter((c) => /latest/i.test(c))).toEqual([]);
  });

  /** Runs the pre_build commands that compute the tag and the registry in a POSIX shell. */
  function runTagCommands(env: Record<string, string>): { tag: string; registry: string } {
    const commands = buildspec().phases.pre_build.commands.filter((c) => c.startsWith('IMAGE_TAG='));
    const script = [...commands, 'printf "%s\\n%s" "$IMAGE_TAG" "${REPOSITORY_URI%%/*}"'].join('\n');
    const out = execFileSync('sh', ['-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REPOSITORY_URI: OWN_REPOSITORY_URI, ...env },
      encoding: 'utf8',
    });
    const [tag = '', registry = ''] = out.split('\n');
    return { tag, registry };
  }

  test('tags the image with the resolved source revision', () => {
    const sha = '4f9b1c7d2e0a8b6c5d3e1f2a9b8c7d6e5f4a3b2c';

    const { tag } = runTagCommands({
      CODEBUILD_RESOLVED_SOURCE_VERSION: sha,
      CODEBUILD_BUILD_ID: 'team-app:1',
    });

    expect(tag).toBe(sha);
  });

  test('falls back to the build id without its project prefix when there is no revision (NO_SOURCE)', () => {
    const { tag } = runTagCommands({
      CODEBUILD_RESOLVED_SOURCE_VERSION: '',
      CODEBUILD_BUILD_ID: 'team-app:0b7e3f2a-9c1d-4e5f-8a6b-7c8d9e0f1a2b',
    });

    expect(tag).toBe('build-0b7e3f2a-9c1d-4e5f-8a6b-7c8d9e0f1a2b');
  });

  test('turns characters Docker tags cannot hold into _ and keeps at most 128', () => {
    const { tag } = runTagCommands({ CODEBUILD_RESOLVED_SOURCE_VERSION: `3/L4kqtJl+cp${'x'.repeat(200)}` });

    expect(tag).toMatch(/^3_L4kqtJl_cpx+$/);
    expect(tag).toHaveLength(128);
  });

  test('logs in to the registry host of REPOSITORY_URI', () => {
    const { registry } = runTagCommands({ CODEBUILD_RESOLVED_SOURCE_VERSION: 'abc' });

    expect(registry).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`);
  });
});

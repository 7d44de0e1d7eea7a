/** Reading the env section of an inline buildspec (CodeBuild User Guide, build specification reference). */
import { buildspecEnv, isInlineBuildspec } from '../../../lib/policy/buildspec';

describe('isInlineBuildspec', () => {
  test.each([
    ['a path in the source', 'buildspec.yml', false],
    ['an S3 ARN', 'arn:aws:s3:::my-bucket/buildspec.yml', false],
    ['a path with surrounding line breaks', '\nci/buildspec.yml\n', false],
    ['YAML over several lines', 'version: 0.2\nphases: {}\n', true],
    ['YAML with Windows line breaks', 'version: 0.2\r\nphases: {}\r\n', true],
  ])('%s → %p', (_what, text, inline) => {
    expect(isInlineBuildspec(text)).toBe(inline);
  });
});

describe('buildspecEnv', () => {
  test('reads variables, parameter-store and secrets-manager entries with their paths', () => {
    const text = [
      'version: 0.2',
      'env:',
      '  variables:',
      '    NODE_ENV: production',
      '    PORT: 8080',
      '  parameter-store:',
      '    DB_URL: /ci/app/db-url',
      '  secrets-manager:',
      '    TOKEN: ci/app/token:value:AWSCURRENT',
      'phases: {}',
    ].join('\n');

    const env = buildspecEnv(text);

    expect(env).toEqual({
      parsed: true,
      variables: [
        { path: 'env.variables.NODE_ENV', name: 'NODE_ENV', value: 'production' },
        { path: 'env.variables.PORT', name: 'PORT', value: '8080' },
      ],
      parameterStore: [{ path: 'env.parameter-store.DB_URL', name: 'DB_URL', value: '/ci/app/db-url' }],
      secretsManager: [
        { path: 'env.secrets-manager.TOKEN', name: 'TOKEN', value: 'ci/app/token:value:AWSCURRENT' },
      ],
      problems: [],
    });
  });

  test('a buildspec without env has no entries', () => {
    expect(buildspecEnv('version: 0.2\nphases: {}\n')).toMatchObject({
      parsed: true,
      variables: [],
      parameterStore: [],
      secretsManager: [],
      problems: [],
    });
  });

  test('an empty value reads as the empty string', () => {
    expect(buildspecEnv('version: 0.2\nenv:\n  variables:\n    EMPTY:\n').variables).toEqual([
      { path: 'env.variables.EMPTY', name: 'EMPTY', value: '' },
    ]);
  });

  test('text that is not YAML is reported as unparsed, with no entries', () => {
    expect(buildspecEnv('version: 0.2\nphases: [\n')).toEqual({
      parsed: false,
      variables: [],
      parameterStore: [],
      secretsManager: [],
      problems: [],
    });
  });

  test.each([
    ['env: [a, b]', 'env: must be a mapping'],
    [
      'env:\n  parameter-store: [/ci/app/x]',
      'env.parameter-store: must be a mapping of variable names to values',
    ],
    ['env:\n  secrets-manager:\n    TOKEN: [a, b]', 'env.secrets-manager.TOKEN: must be a single value'],
  ])('%p is a problem', (yaml, problem) => {
    expect(buildspecEnv(`version: 0.2\n${yaml}\n`).problems).toEqual([problem]);
  });
});

/**
 * Redaction of credential-looking values in projects (what `buildwarden snapshot` stores), and the promise
 * that makes it safe: the rules report a redacted project exactly as the original.
 */
import { evaluateProject } from '../../../lib/policy/evaluate';
import { activeRules } from '../../../lib/policy/evaluate';
import { projectSchema, type Project } from '../../../lib/policy/model';
import {
  projectForRules,
  redactBuildspec,
  redactLocationCredentials,
  redactProject,
  STAND_INS,
  type RedactionReason,
} from '../../../lib/policy/redaction';
import { plaintextCredentialReason } from '../../../lib/policy/rules/codebuild/secrets';
import { sourceCredentialReason } from '../../../lib/policy/rules/codebuild/source-credentials';
import { awsSample } from '../../fixtures/load';
import { ruleContext } from '../../fixtures/builders';

/** Fake credentials of every shape the detector knows (AWS's documented example keys where AWS has one). */
const SECRETS = {
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  github: `ghp_${'a1B2c3D4e5'.repeat(3)}f6G7h8`,
  gitlab: 'glpat-Zx8Yw7Vu6Ts5Rq4Po3Nm',
  password: 'hunter2',
  entropy: 'q7Vd9Xk2Lm4Pz8Rt6Wy3',
  urlPassword: 's3cr3t-pass',
};

function sampleProject(overrides: Record<string, unknown> = {}): Project {
  const base = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[0]!;
  return projectSchema().parse({ ...base, ...overrides });
}

function projectWithSecrets(): Project {
  const base = sampleProject();
  return projectSchema().parse({
    ...base,
    environment: {
      ...base.environment,
      environmentVariables: [
        { name: 'AWS_SECRET_ACCESS_KEY', value: SECRETS.awsSecret, type: 'PLAINTEXT' },
        { name: 'DEPLOY_KEY_ID', value: SECRETS.accessKeyId },
        { name: 'GH', value: SECRETS.github, type: 'PLAINTEXT' },
        { name: 'GITLAB', value: SECRETS.gitlab, type: 'PLAINTEXT' },
        { name: 'DB_PASSWORD', value: SECRETS.password, type: 'PLAINTEXT' },
        { name: 'SONAR_TOKEN', value: SECRETS.entropy, type: 'PLAINTEXT' },
        { name: 'IMAGE_REPO_NAME', value: 'team/app', type: 'PLAINTEXT' },
        { name: 'NPM_TOKEN', value: '/ci/npm-token', type: 'PARAMETER_STORE' },
      ],
    },
    source: {
      type: 'GITHUB',
      location: `https://deploy:${SECRETS.urlPassword}@github.com/example-org/app.git`,
      buildspec: [
        'version: 0.2',
        'env:',
        '  variables:',
        `    API_TOKEN: ${SECRETS.entropy}`,
        '    REGION: us-east-1 # not a secret',
        'phases:',
        '  build:',
        '    commands:',
        `      - curl -H "Authorization: token ${SECRETS.github}" https://api.github.com/user`,
        '',
      ].join('\n'),
    },
    secondarySources: [
      {
        type: 'GITHUB',
        sourceIdentifier: 'tools',
        location: `https://${SECRETS.github}@github.com/o/tools.git`,
      },
    ],
  });
}

/** A variable name that makes the detector reach each reason (value-based reasons ignore the name). */
const NAME_FOR: Record<RedactionReason, string> = {
  'aws-credential-variable': 'AWS_SECRET_ACCESS_KEY',
  'aws-access-key-id': 'SOME_VALUE',
  'github-token': 'SOME_VALUE',
  'gitlab-token': 'SOME_VALUE',
  'private-key': 'SOME_VALUE',
  'password-literal': 'DB_PASSWORD',
  'high-entropy-value': 'API_TOKEN',
  'url-password': 'SOME_VALUE',
  'aws-presigned-url': 'SOME_VALUE',
  'slack-token': 'SOME_VALUE',
  'npm-token': 'SOME_VALUE',
  'npm-auth-token': 'SOME_VALUE',
  'url-query-credential': 'SOME_VALUE',
};

describe('stand-ins', () => {
  test.each(Object.keys(STAND_INS).filter((r) => r !== 'url-password') as RedactionReason[])(
    'the %s stand-in is classified with that reason as a variable value',
    (reason) => {
      expect(plaintextCredentialReason(NAME_FOR[reason], STAND_INS[reason])).toBe(reason);
    },
  );

  test.each([
    'url-password',
    'aws-access-key-id',
    'github-token',
    'gitlab-token',
    'high-entropy-value',
  ] as const)('the %s stand-in is classified with that reason in a URL userinfo', (reason) => {
    expect(sourceCredentialReason(`https://${STAND_INS[reason]}@github.com/o/r.git`)).toBe(reason);
  });
});

describe('redactProject', () => {
  test('replaces each flagged PLAINTEXT value with <redacted:REASON>', () => {
    const { project } = redactProject(projectWithSecrets());

    expect(project.environment!.environmentVariables!.map((v) => [v.name, v.value])).toEqual([
      ['AWS_SECRET_ACCESS_KEY', '<redacted:aws-credential-variable>'],
      ['DEPLOY_KEY_ID', '<redacted:aws-access-key-id>'],
      ['GH', '<redacted:github-token>'],
      ['GITLAB', '<redacted:gitlab-token>'],
      ['DB_PASSWORD', '<redacted:password-literal>'],
      ['SONAR_TOKEN', '<redacted:high-entropy-value>'],
      ['IMAGE_REPO_NAME', 'team/app'],
      ['NPM_TOKEN', '/ci/npm-token'],
    ]);
  });

  test('replaces the credentials of source URLs, keeping the rest of the URL', () => {
    const { project } = redactProject(projectWithSecrets());

    expect(project.source!.location).toBe('https://<redacted:url-password>@github.com/example-org/app.git');
    expect(project.secondarySources![0]!.location).toBe(
      'https://<redacted:github-token>@github.com/o/tools.git',
    );
  });

  test('redacts inline buildspec variables by name and recognised tokens anywhere, keeping comments', () => {
    const { project } = redactProject(projectWithSecrets());

    const buildspec = project.source!.buildspec!;
    expect(buildspec).toContain('API_TOKEN: <redacted:high-entropy-value>');
    expect(buildspec).toContain('REGION: us-east-1 # not a secret');
    expect(buildspec).toContain('Authorization: token <redacted:github-token>');
  });

  test('leaves no secret anywhere in the project', () => {
    const text = JSON.stringify(redactProject(projectWithSecrets()).project);

    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  test('lists what it redacted by field and reason, never the value', () => {
    const { redacted } = redactProject(projectWithSecrets());

    expect(redacted).toContainEqual({
      field: 'environment.environmentVariables[0].value',
      reason: 'aws-credential-variable',
    });
    expect(redacted).toContainEqual({ field: 'source.location', reason: 'url-password' });
    expect(redacted).toContainEqual({ field: 'source.buildspec', reason: 'high-entropy-value' });
    expect(JSON.stringify(redacted)).not.toContain(SECRETS.entropy);
  });

  test('does not change the project it is given', () => {
    const original = projectWithSecrets();
    const before = JSON.stringify(original);

    redactProject(original);

    expect(JSON.stringify(original)).toBe(before);
  });

  test('leaves a project without credentials unchanged (the official sample, single-line buildspec paths too)', () => {
    const plain = sampleProject();

    expect(redactProject(plain)).toEqual({ project: plain, redacted: [] });
    expect(
      redactProject(sampleProject({ source: { type: 'S3', buildspec: 'ci/buildspec.yml' } })).redacted,
    ).toEqual([]);
  });

  test('redacting twice changes nothing more', () => {
    const once = redactProject(projectWithSecrets()).project;

    expect(redactProject(once)).toEqual({ project: once, redacted: [] });
  });
});

describe('redactBuildspec on text that is not YAML', () => {
  test('keeps the text and redacts the recognised token shapes', () => {
    const text = `version: 0.2\nphases: [unclosed\n  - echo ${SECRETS.accessKeyId}\n`;

    expect(redactBuildspec(text)).toEqual({
      text: 'version: 0.2\nphases: [unclosed\n  - echo <redacted:aws-access-key-id>\n',
      reasons: ['aws-access-key-id'],
    });
  });

  test('replaces a private key block from BEGIN to END', () => {
    const text = [
      'phases: [',
      '  - |',
      '    -----BEGIN RSA PRIVATE KEY-----',
      '    MIIEowIBAAKCAQEAexample',
      '    -----END RSA PRIVATE KEY-----',
      '',
    ].join('\n');

    const result = redactBuildspec(text)!;

    expect(result.text).toBe('phases: [\n  - |\n    <redacted:private-key>\n');
    expect(result.reasons).toEqual(['private-key']);
  });
});

describe('redactLocationCredentials', () => {
  test('a location without credentials is not redacted', () => {
    expect(redactLocationCredentials('https://github.com/o/r.git')).toBeUndefined();
  });

  test("a Bitbucket clone URL's account name is not a credential", () => {
    expect(redactLocationCredentials('https://jdoe@bitbucket.org/team/repo.git')).toBeUndefined();
  });
});

describe('the rules on a redacted project', () => {
  const judge = (project: Project) => {
    const ctx = ruleContext();
    return evaluateProject(project, ctx, activeRules(ctx.guardrails));
  };

  test('report exactly the findings of the original project', () => {
    const original = projectWithSecrets();

    expect(judge(redactProject(original).project)).toEqual(judge(original));
  });

  test('still flag plaintext-credentials and source-credentials with the original reasons', () => {
    const findings = judge(redactProject(projectWithSecrets()).project);

    const plaintext = findings.find((f) => f.ruleId === 'codebuild.plaintext-credentials')!;
    expect(plaintext.status).toBe('violation');
    expect(plaintext.details!.variables).toEqual([
      { name: 'AWS_SECRET_ACCESS_KEY', reason: 'aws-credential-variable' },
      { name: 'DEPLOY_KEY_ID', reason: 'aws-access-key-id' },
      { name: 'GH', reason: 'github-token' },
      { name: 'GITLAB', reason: 'gitlab-token' },
      { name: 'DB_PASSWORD', reason: 'password-literal' },
      { name: 'SONAR_TOKEN', reason: 'high-entropy-value' },
      // The inline buildspec's env.variables are read too.
      { name: 'env.variables.API_TOKEN', reason: 'high-entropy-value', where: 'buildspec' },
    ]);
    expect(findings.find((f) => f.ruleId === 'codebuild.source-credentials')!.status).toBe('violation');
  });

  test('projectForRules leaves a project without placeholders as it is (same object)', () => {
    const plain = sampleProject();

    expect(projectForRules(plain)).toBe(plain);
  });
});

import { defaultGuardrails, type Guardrails } from '../../../../lib/policy/guardrails';
import { projectSchema, type Project } from '../../../../lib/policy/model';
import { artifactEncryptionRule } from '../../../../lib/policy/rules/codebuild/artifact-encryption';
import { loggingRule } from '../../../../lib/policy/rules/codebuild/logging';
import { plaintextCredentialsRule } from '../../../../lib/policy/rules/codebuild/plaintext-credentials';
import { privilegedModeRule } from '../../../../lib/policy/rules/codebuild/privileged-mode';
import {
  ENTROPY_MIN_LENGTH,
  ENTROPY_THRESHOLD_BITS_PER_CHAR,
  plaintextCredentialReason,
  recognisedSecret,
  shannonEntropy,
} from '../../../../lib/policy/rules/codebuild/secrets';
import { sourceCredentialsRule } from '../../../../lib/policy/rules/codebuild/source-credentials';
import { PROJECT_RULES } from '../../../../lib/policy/rules/index';
import type { RuleContext } from '../../../../lib/policy/rules/types';
import { awsSample } from '../../../fixtures/load';

type Sample = { projects: Record<string, unknown>[] };

/** A project from the official `aws codebuild batch-get-projects` sample, parsed with projectSchema(). */
function sampleProject(index: 0 | 1): Project {
  const raw = awsSample<Sample>('api-codebuild-batch-get-projects.aws-cli.json').projects[index]!;
  return projectSchema().parse(raw);
}

/** Sample project 0 ("codebuild-demo-project2"): privileged, NO_SOURCE, NO_ARTIFACTS, no logsConfig, no tags. */
const privilegedSample = () => sampleProject(0);
/** Sample project 1 ("my-other-demo-project"): GitHub source, not privileged. */
const githubSample = () => sampleProject(1);

function context(configure?: (guardrails: Guardrails) => void): RuleContext {
  const guardrails = defaultGuardrails();
  configure?.(guardrails);
  return {
    view: {
      accountId: '123456789012',
      region: 'us-west-2',
      partition: 'aws',
      repositories: [],
      projects: [],
      roles: [],
      policies: [],
    },
    guardrails,
    now: new Date('2024-06-01T00:00:00Z'),
  };
}

function withVariables(variables: { name: string; value: string; type?: string }[]): Project {
  const project = githubSample();
  project.environment = projectSchema().shape.environment.parse({
    ...project.environment,
    environmentVariables: variables,
  });
  return project;
}

// Realistic-looking but fake secrets, assembled so no scanner mistakes this file for a leak.
const FAKE_ACCESS_KEY_ID = 'AKIA' + 'Z7Q3XW5T2MHK9PLD';
const FAKE_GITHUB_TOKEN = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const FAKE_GITHUB_PAT =
  'github_pat_' + '11ABCDEFG0abcdefghijkl_' + 'mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV';
const FAKE_GITLAB_TOKEN = 'glpat-' + 'x9Yz8Wv7Ut6Sr5Qp4On3';
const FAKE_PRIVATE_KEY =
  '-----BEGIN RSA ' + 'PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
const FAKE_API_KEY = 'Zq8Lr2Vx9Tn4Wc7Hy3Kd6Pb1';
const FAKE_SLACK_BOT_TOKEN = 'xoxb-' + '153445930147-' + 'Tjy11gGxUW6Cf99YOYwtzG0K';
const FAKE_SLACK_USER_TOKEN = 'xoxp-' + '333333333578-811111111114-' + 'efffffffffff1111111fff11ffff1b';
const FAKE_NPM_TOKEN = 'npm_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5';
/** The SigV4 signature of a presigned URL: 64 hex characters. */
const FAKE_SIGNATURE = 'aeeed9bbccd4d02ee5c0109b86d86835' + 'f396a2e2b6a2c7a1c4c0b0b71e32d3e0';
/**
 * A presigned S3 GET in the shape of the S3 API Reference example ("Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4)"), with the documentation's example access key id.
 */
const PRESIGNED_URL =
  'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130721%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20130721T201207Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
  `&X-Amz-Signature=${FAKE_SIGNATURE}`;

describe('PROJECT_RULES', () => {
  it('registers the six project rules under their guardrail ids', () => {
    // Prepare
    const expected = [
      'codebuild.artifact-encryption',
      'codebuild.logging',
      'codebuild.plaintext-credentials',
      'codebuild.privileged-mode',
      'codebuild.project-visibility',
      'codebuild.source-credentials',
    ];

    // Act
    const ids = PROJECT_RULES.map((rule) => rule.id).sort();

    // Assess
    expect(ids).toEqual(expected);
  });

  it.each(PROJECT_RULES.map((rule) => [rule.id, rule] as const))(
    '%s finds nothing to report on the official non-privileged sample',
    (_id, rule) => {
      // Prepare
      const project = githubSample();

      // Act
      const outcome = rule.evaluate(project, context());

      // Assess
      expect(outcome.status).toBe('compliant');
    },
  );
});

describe('codebuild.privileged-mode', () => {
  it('is compliant when privileged mode is off', () => {
    // Prepare
    const project = githubSample();

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { privilegedMode: false } });
  });

  it('is compliant when privilegedMode is absent (API default false)', () => {
    // Prepare
    const project = privilegedSample();
    delete project.environment!.privilegedMode;

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags a privileged project that is neither tagged nor listed as a docker build', () => {
    // Prepare
    const project = privilegedSample();

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      remediable: false,
      details: { privilegedMode: true },
    });
    expect(outcome.message).toContain('buildwarden:docker-build=true');
  });

  it('allows privileged mode on a project tagged buildwarden:docker-build=true', () => {
    // Prepare
    const project = privilegedSample();
    project.tags = [{ key: 'buildwarden:docker-build', value: 'true' }];

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { allowedBy: 'tag' } });
  });

  it('accepts the docker-build tag value in any letter case', () => {
    // Prepare
    const project = privilegedSample();
    project.tags = [{ key: 'buildwarden:docker-build', value: 'TRUE' }];

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('does not accept a docker-build tag key spelled in another case (AWS tag keys are case-sensitive)', () => {
    // Prepare
    const project = privilegedSample();
    project.tags = [{ key: 'Buildwarden:Docker-Build', value: 'true' }];

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it.each([['false'], [''], ['yes']])('does not accept the docker-build tag with value %j', (value) => {
    // Prepare
    const project = privilegedSample();
    project.tags = [{ key: 'buildwarden:docker-build', value }];

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('does not accept a docker-build tag without a value', () => {
    // Prepare
    const project = privilegedSample();
    project.tags = [{ key: 'buildwarden:docker-build' }];

    // Act
    const outcome = privilegedModeRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('allows privileged mode on a project whose name matches a dockerBuildProjects pattern', () => {
    // Prepare
    const project = privilegedSample();
    const ctx = context((g) => {
      g.rules['codebuild.privileged-mode'].dockerBuildProjects = ['other-*', 'codebuild-demo-*'];
    });

    // Act
    const outcome = privilegedModeRule(project, ctx);

    // Assess
    expect(outcome).toMatchObject({
      status: 'compliant',
      details: { allowedBy: 'pattern', pattern: 'codebuild-demo-*' },
    });
  });

  it('flags a privileged project whose name matches none of the dockerBuildProjects patterns', () => {
    // Prepare
    const project = privilegedSample();
    const ctx = context((g) => {
      g.rules['codebuild.privileged-mode'].dockerBuildProjects = ['codebuild-demo', '*-images'];
    });

    // Act
    const outcome = privilegedModeRule(project, ctx);

    // Assess
    expect(outcome.status).toBe('violation');
  });
});

describe('codebuild.plaintext-credentials', () => {
  it('is compliant when the project has no environment variables', () => {
    // Prepare
    const project = githubSample();

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { variables: [] } });
  });

  it('is compliant for ordinary build settings', () => {
    // Prepare
    const project = withVariables([
      { name: 'IMAGE_REPO_NAME', value: 'team/app' },
      { name: 'IMAGE_TAG', value: 'latest' },
      { name: 'AWS_DEFAULT_REGION', value: 'us-west-2' },
      { name: 'AWS_ACCOUNT_ID', value: '123456789012' },
    ]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each([['AWS_ACCESS_KEY_ID'], ['AWS_SECRET_ACCESS_KEY'], ['AWS_SESSION_TOKEN']])(
    'flags a PLAINTEXT %s whatever its value',
    (name) => {
      // Prepare
      const project = withVariables([{ name, value: 'x' }]);

      // Act
      const outcome = plaintextCredentialsRule(project, context());

      // Assess
      expect(outcome).toMatchObject({
        status: 'violation',
        details: { variables: [{ name, reason: 'aws-credential-variable' }] },
      });
    },
  );

  it('flags an empty PLAINTEXT AWS credential variable (a slot for a plaintext override)', () => {
    // Prepare
    const project = withVariables([{ name: 'AWS_SECRET_ACCESS_KEY', value: '' }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('treats a variable without a type as PLAINTEXT and one typed PLAINTEXT the same', () => {
    // Prepare
    const untyped = withVariables([{ name: 'AWS_ACCESS_KEY_ID', value: FAKE_ACCESS_KEY_ID }]);
    const typed = withVariables([
      { name: 'AWS_ACCESS_KEY_ID', value: FAKE_ACCESS_KEY_ID, type: 'PLAINTEXT' },
    ]);

    // Act
    const outcomes = [
      plaintextCredentialsRule(untyped, context()),
      plaintextCredentialsRule(typed, context()),
    ];

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['violation', 'violation']);
  });

  it.each([['PARAMETER_STORE'], ['SECRETS_MANAGER']])(
    'ignores %s variables, whose value is only a reference',
    (type) => {
      // Prepare
      const project = withVariables([
        { name: 'AWS_SECRET_ACCESS_KEY', value: '/ci/aws-secret-access-key', type },
        { name: 'GITHUB_TOKEN', value: FAKE_GITHUB_TOKEN, type },
      ]);

      // Act
      const outcome = plaintextCredentialsRule(project, context());

      // Assess
      expect(outcome.status).toBe('compliant');
    },
  );

  it.each([
    ['an AWS access key id', 'DEPLOY_KEY', FAKE_ACCESS_KEY_ID, 'aws-access-key-id'],
    ['a temporary AWS access key id', 'KEY', 'ASIA' + 'Q2W3E4R5T6Y7U8I9', 'aws-access-key-id'],
    ['a classic GitHub token', 'GH', FAKE_GITHUB_TOKEN, 'github-token'],
    [
      'a GitHub app installation token',
      'GH',
      'ghs_' + 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa',
      'github-token',
    ],
    ['a fine-grained GitHub token', 'GH', FAKE_GITHUB_PAT, 'github-token'],
    ['a GitLab token', 'GITLAB', FAKE_GITLAB_TOKEN, 'gitlab-token'],
    ['a private key', 'SIGNING', FAKE_PRIVATE_KEY, 'private-key'],
    [
      'an OpenSSH private key',
      'DEPLOY',
      '-----BEGIN OPENSSH ' + 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA',
      'private-key',
    ],
  ])('flags %s whatever the variable is called', (_what, name, value, reason) => {
    // Prepare
    const project = withVariables([{ name, value }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ variables: [{ name, reason }] });
  });

  it('does not mistake a longer upper-case identifier for an access key id', () => {
    // Prepare
    const project = withVariables([{ name: 'BUILD_ID', value: 'XAKIA' + 'Z7Q3XW5T2MHK9PLDX' }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each([
    ['*_TOKEN', 'NPM_TOKEN'],
    ['*_SECRET', 'WEBHOOK_SECRET'],
    ['*_API_KEY', 'DATADOG_API_KEY'],
    ['lower-case names', 'sonar_token'],
  ])('flags a high-entropy value in a variable named %s', (_pattern, name) => {
    // Prepare
    const project = withVariables([{ name, value: FAKE_API_KEY }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ variables: [{ name, reason: 'high-entropy-value' }] });
  });

  it('flags a random 40-character hex token (under the hex threshold rule)', () => {
    // Prepare
    const value = '3f9a1c7e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a';
    const project = withVariables([{ name: 'CODECOV_TOKEN', value }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('flags a UUID used as a token', () => {
    // Prepare
    const project = withVariables([{ name: 'SNYK_TOKEN', value: '9b2f6c1e-4a7d-4e3b-8c5f-1d0a2e7b9c4f' }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it.each([
    ['a short placeholder', 'changeme'],
    ['a variable reference', '${SOME_REF}'],
    ['a shell reference', '$NPM_TOKEN_FROM_SSM'],
    [
      'a command substitution',
      '$(aws ssm get-parameter --name /ci/token --query Parameter.Value --output text)',
    ],
    ['a Secrets Manager ARN', 'arn:aws:secretsmanager:us-west-2:123456789012:secret:ci/npm-AbCdEf'],
    ['a repetitive value', 'xxxxxxxxxxxxxxxxxxxxxxxx'],
    ['a low-entropy phrase', 'placeholder-value'],
    ['a sentence', 'set this in the console please'],
    ['an empty value', ''],
  ])('does not flag %s in a *_TOKEN variable on entropy alone', (_what, value) => {
    // Prepare
    const project = withVariables([{ name: 'NPM_TOKEN', value }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('does not score high-entropy values of variables whose names do not claim a secret', () => {
    // Prepare
    const project = withVariables([
      { name: 'COMMIT_SHA', value: '3f9a1c7e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a' },
    ]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags any literal *_PASSWORD value, even a low-entropy one', () => {
    // Prepare
    const project = withVariables([{ name: 'DB_PASSWORD', value: 'changeme' }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ variables: [{ name: 'DB_PASSWORD', reason: 'password-literal' }] });
  });

  it('flags a *_PASSWORD literal that merely contains a dollar sign', () => {
    // Prepare
    const project = withVariables([{ name: 'DB_PASSWORD', value: 'pa$word1' }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it.each([
    [''],
    ['   '],
    ['${DB_PASSWORD_REF}'],
    ['arn:aws:ssm:us-west-2:123456789012:parameter/db/password'],
  ])('does not flag a *_PASSWORD variable whose value is %j (empty or a reference)', (value) => {
    // Prepare
    const project = withVariables([{ name: 'DB_PASSWORD', value }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('lists every offending variable by name in the message', () => {
    // Prepare
    const project = withVariables([
      { name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      { name: 'IMAGE_TAG', value: 'latest' },
      { name: 'GITHUB_TOKEN', value: FAKE_GITHUB_TOKEN },
    ]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(outcome.message).toContain('GITHUB_TOKEN');
    expect(outcome.message).not.toContain('IMAGE_TAG');
  });

  it('suggests Parameter Store or Secrets Manager', () => {
    // Prepare
    const project = withVariables([{ name: 'GITHUB_TOKEN', value: FAKE_GITHUB_TOKEN }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.message).toMatch(/PARAMETER_STORE or SECRETS_MANAGER/);
  });

  it('never reveals a secret value anywhere in the outcome, details included', () => {
    // Prepare
    const secrets = [
      FAKE_ACCESS_KEY_ID,
      FAKE_GITHUB_TOKEN,
      FAKE_GITLAB_TOKEN,
      FAKE_PRIVATE_KEY,
      FAKE_API_KEY,
      'hunter2',
    ];
    const project = withVariables([
      { name: 'AWS_ACCESS_KEY_ID', value: FAKE_ACCESS_KEY_ID },
      { name: 'GH', value: FAKE_GITHUB_TOKEN },
      { name: 'GITLAB', value: FAKE_GITLAB_TOKEN },
      { name: 'SIGNING_KEY', value: FAKE_PRIVATE_KEY },
      { name: 'STRIPE_API_KEY', value: FAKE_API_KEY },
      { name: 'DB_PASSWORD', value: 'hunter2' },
    ]);

    // Act
    const serialized = JSON.stringify(plaintextCredentialsRule(project, context()));

    // Assess
    expect(JSON.parse(serialized)).toMatchObject({ status: 'violation' });
    for (const secret of secrets) expect(serialized).not.toContain(secret);
    expect(serialized).not.toContain('BEGIN RSA');
  });
});

describe('plaintext credential detection thresholds', () => {
  it('computes Shannon entropy in bits per character', () => {
    // Prepare
    const examples = { '': 0, aaaa: 0, abab: 1, abcd: 2, '0123456789abcdef': 4 };

    // Act
    const measured = Object.fromEntries(Object.keys(examples).map((v) => [v, shannonEntropy(v)]));

    // Assess
    expect(measured).toEqual(examples);
  });

  it('documents a threshold that separates a random key from a placeholder', () => {
    // Prepare
    const random = FAKE_API_KEY;
    const placeholder = 'placeholder-value';

    // Act
    const scores = [shannonEntropy(random), shannonEntropy(placeholder)];

    // Assess
    expect(scores[0]).toBeGreaterThanOrEqual(ENTROPY_THRESHOLD_BITS_PER_CHAR);
    expect(scores[1]).toBeLessThan(ENTROPY_THRESHOLD_BITS_PER_CHAR);
  });

  it('does not score values shorter than the minimum length, however random', () => {
    // Prepare
    const short = FAKE_API_KEY.slice(0, ENTROPY_MIN_LENGTH - 1);

    // Act
    const reason = plaintextCredentialReason('NPM_TOKEN', short);

    // Assess
    expect(shannonEntropy(short)).toBeGreaterThan(ENTROPY_THRESHOLD_BITS_PER_CHAR);
    expect(reason).toBeUndefined();
  });
});

describe('codebuild.logging', () => {
  it('is compliant when logsConfig is absent, because CloudWatch Logs is on by default', () => {
    // Prepare
    const project = privilegedSample();

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome).toMatchObject({
      status: 'compliant',
      details: { cloudWatchLogs: 'ENABLED', s3Logs: 'DISABLED', cloudWatchLogsByDefault: true },
    });
  });

  it('is compliant when only S3 logs are configured (CloudWatch Logs still on by default)', () => {
    // Prepare
    const project = privilegedSample();
    project.logsConfig = { s3Logs: { status: 'DISABLED' } };

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags a project with CloudWatch Logs disabled and no S3 logs', () => {
    // Prepare
    const project = privilegedSample();
    project.logsConfig = { cloudWatchLogs: { status: 'DISABLED' } };

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', remediable: false });
  });

  it('flags a project with both CloudWatch Logs and S3 logs disabled', () => {
    // Prepare
    const project = privilegedSample();
    project.logsConfig = { cloudWatchLogs: { status: 'DISABLED' }, s3Logs: { status: 'DISABLED' } };

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('is compliant with CloudWatch Logs disabled when S3 logs are enabled', () => {
    // Prepare
    const project = privilegedSample();
    project.logsConfig = {
      cloudWatchLogs: { status: 'DISABLED' },
      s3Logs: { status: 'ENABLED', location: 'my-bucket/build-log' },
    };

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome).toMatchObject({
      status: 'compliant',
      details: { cloudWatchLogs: 'DISABLED', s3Logs: 'ENABLED' },
    });
  });

  it('is compliant with CloudWatch Logs explicitly enabled', () => {
    // Prepare
    const project = privilegedSample();
    project.logsConfig = { cloudWatchLogs: { status: 'ENABLED', groupName: '/codebuild/demo' } };

    // Act
    const outcome = loggingRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { cloudWatchLogsByDefault: false } });
  });
});

describe('codebuild.artifact-encryption', () => {
  it('is compliant for NO_ARTIFACTS', () => {
    // Prepare
    const project = privilegedSample();

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('ignores encryptionDisabled on NO_ARTIFACTS (there is no output to encrypt)', () => {
    // Prepare
    const project = privilegedSample();
    project.artifacts = { type: 'NO_ARTIFACTS', encryptionDisabled: true };

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('is compliant for S3 artifacts with encryption left on', () => {
    // Prepare
    const project = privilegedSample();
    project.artifacts = { type: 'S3', location: 'my-artifacts', encryptionDisabled: false };

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('is compliant for a project without any artifacts field', () => {
    // Prepare
    const project = privilegedSample();
    delete project.artifacts;
    delete project.secondaryArtifacts;

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags unencrypted primary artifacts', () => {
    // Prepare
    const project = privilegedSample();
    project.artifacts = { type: 'S3', location: 'my-artifacts', encryptionDisabled: true };

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', details: { unencryptedArtifacts: ['primary'] } });
    expect(outcome.message).toContain('primary artifacts');
  });

  it('flags an unencrypted secondary artifact by its identifier', () => {
    // Prepare
    const project = privilegedSample();
    project.secondaryArtifacts = [
      { type: 'S3', location: 'reports', artifactIdentifier: 'reports' },
      { type: 'S3', location: 'bundles', artifactIdentifier: 'bundle_out', encryptionDisabled: true },
    ];

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', details: { unencryptedArtifacts: ['bundle_out'] } });
    expect(outcome.message).toContain('"bundle_out"');
  });

  it('names a secondary artifact without an identifier by its position', () => {
    // Prepare
    const project = privilegedSample();
    project.secondaryArtifacts = [{ type: 'S3', location: 'bundles', encryptionDisabled: true }];

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ unencryptedArtifacts: ['secondary #1'] });
  });

  it('lists primary and secondary artifacts together', () => {
    // Prepare
    const project = privilegedSample();
    project.artifacts = { type: 'S3', location: 'out', encryptionDisabled: true };
    project.secondaryArtifacts = [
      { type: 'S3', location: 'more', artifactIdentifier: 'extra', encryptionDisabled: true },
    ];

    // Act
    const outcome = artifactEncryptionRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ unencryptedArtifacts: ['primary', 'extra'] });
  });
});

describe('codebuild.source-credentials', () => {
  it('is compliant for a clean GitHub clone URL (official sample)', () => {
    // Prepare
    const project = githubSample();

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'compliant', details: { sources: [] } });
  });

  it('is compliant for a project with NO_SOURCE and no location', () => {
    // Prepare
    const project = privilegedSample();

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags a user:token pair in the primary source URL', () => {
    // Prepare
    const project = githubSample();
    project.source!.location = 'https://ci-bot:s3cr3tPassw0rd@github.com/iversonic/codedeploy-sample.git';

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      details: {
        sources: [
          {
            source: 'primary',
            location: 'https://***@github.com/iversonic/codedeploy-sample.git',
            reason: 'url-password',
          },
        ],
      },
    });
    expect(outcome.message).toContain('primary source');
  });

  it('flags a bare token as the URL user', () => {
    // Prepare
    const project = githubSample();
    project.source!.location = `https://${FAKE_GITHUB_TOKEN}@github.com/iversonic/codedeploy-sample.git`;

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      details: { sources: [{ reason: 'github-token' }] },
    });
  });

  it('flags a bare high-entropy user in the URL (a legacy 40-hex GitHub token)', () => {
    // Prepare
    const project = githubSample();
    project.source!.location = 'https://3f9a1c7e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a@github.com/org/repo.git';

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('does not flag a plain account name as the URL user (Bitbucket clone URL)', () => {
    // Prepare
    const project = githubSample();
    project.source = { type: 'BITBUCKET', location: 'https://jdoe@bitbucket.org/team/repo.git' };

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each([
    ['an S3 object', 'my-bucket/sources/app.zip'],
    ['a CodeCommit URL', 'https://git-codecommit.us-west-2.amazonaws.com/v1/repos/app'],
    ['an @ in the path only', 'https://github.com/org/repo.git@v1'],
  ])('does not flag %s', (_what, location) => {
    // Prepare
    const project = githubSample();
    project.source!.location = location;

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags a secondary source by its identifier', () => {
    // Prepare
    const project = githubSample();
    project.secondarySources = [
      { type: 'GITHUB', location: 'https://github.com/org/tools.git', sourceIdentifier: 'tools' },
      {
        type: 'GITLAB',
        location: `https://oauth2:${FAKE_GITLAB_TOKEN}@gitlab.com/org/lib.git`,
        sourceIdentifier: 'lib',
      },
    ];

    // Act
    const outcome = sourceCredentialsRule(project, context());

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', details: { sources: [{ source: 'lib' }] } });
    expect(outcome.message).toContain('source "lib"');
  });

  it('never reveals the embedded credential anywhere in the outcome', () => {
    // Prepare
    const project = githubSample();
    project.source!.location = `https://x-access-token:${FAKE_GITHUB_TOKEN}@github.com/org/app.git`;
    project.secondarySources = [
      {
        type: 'GITHUB',
        location: `https://${FAKE_GITLAB_TOKEN}@gitlab.com/org/lib.git`,
        sourceIdentifier: 'lib',
      },
    ];

    // Act
    const serialized = JSON.stringify(sourceCredentialsRule(project, context()));

    // Assess
    expect(JSON.parse(serialized)).toMatchObject({ status: 'violation' });
    expect(serialized).not.toContain(FAKE_GITHUB_TOKEN);
    expect(serialized).not.toContain(FAKE_GITLAB_TOKEN);
    expect(serialized).not.toContain('x-access-token');
  });
});

describe('secret shapes recognised whatever the variable is called', () => {
  it.each([
    ['a Slack bot token', FAKE_SLACK_BOT_TOKEN, 'slack-token'],
    ['a Slack user token', FAKE_SLACK_USER_TOKEN, 'slack-token'],
    [
      'a Slack token inside a webhook call',
      `curl -H "Authorization: Bearer ${FAKE_SLACK_BOT_TOKEN}"`,
      'slack-token',
    ],
    ['an npm access token', FAKE_NPM_TOKEN, 'npm-token'],
    [
      'an .npmrc line with a literal token',
      '//registry.npmjs.org/:_authToken=0f9e8d7c-6b5a-4321-9876-abcdef012345',
      'npm-auth-token',
    ],
    [
      'an .npmrc line with a quoted literal token',
      '//npm.example.com/:_authToken = "s3cr3t-t0ken-value"',
      'npm-auth-token',
    ],
    ['an .npmrc basic-auth line', '//npm.example.com/:_auth=ZGVwbG95OnMzY3IzdA==', 'npm-auth-token'],
    [
      'a token in a URL query',
      'https://api.example.com/v1/items?access_token=Zq8Lr2Vx9Tn4Wc7H',
      'url-query-credential',
    ],
    [
      'a GitLab private token in a URL query',
      'https://gitlab.example.com/api/v4/projects?per_page=5&private_token=x9Yz8Wv7Ut6Sr5Qp',
      'url-query-credential',
    ],
    ['a presigned S3 URL', PRESIGNED_URL, 'aws-presigned-url'],
  ])('flags %s', (_what, value, reason) => {
    // Act
    const found = recognisedSecret(value);

    // Assess
    expect(found).toBe(reason);
  });

  it.each([
    ['a hug', 'xoxo-love-and-kisses-from-the-build'],
    ['a Slack-looking word without an id', 'xoxb-not-a-real-token-at-all'],
    ['an npm token that is too short', 'npm_' + 'abc123'],
    ['an npm setting', 'npm_config_cache=/tmp/.npm'],
    ['an .npmrc line with the documented reference', '//registry.npmjs.org/:_authToken=${NPM_TOKEN}'],
    ['an .npmrc line with a quoted reference', '//registry.npmjs.org/:_authToken="${NPM_TOKEN}"'],
    ['an .npmrc line with a shell variable', '//registry.npmjs.org/:_authToken=$NPM_TOKEN'],
    ['a URL query with a reference', 'https://api.example.com/v1/items?access_token=$API_TOKEN'],
    ['a URL query with a templated reference', 'https://api.example.com/v1/items?token=${API_TOKEN}'],
    ['a URL query with a short value', 'https://api.example.com/v1/items?token=abc'],
    [
      'a page token (not a credential parameter)',
      'https://api.example.com/v1/items?page_token=Zq8Lr2Vx9Tn4Wc7H',
    ],
    [
      'a credential scope without a signature',
      PRESIGNED_URL.slice(0, PRESIGNED_URL.indexOf('&X-Amz-Signature')),
    ],
  ])('does not flag %s', (_what, value) => {
    // Act
    const found = recognisedSecret(value);

    // Assess
    expect(found).toBeUndefined();
  });

  it('flags a token shape in a PLAINTEXT variable whose name claims nothing', () => {
    // Prepare
    const project = withVariables([{ name: 'NOTIFY', value: FAKE_SLACK_BOT_TOKEN }]);

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.details).toEqual({ variables: [{ name: 'NOTIFY', reason: 'slack-token' }] });
  });

  it('matches adversarial text in linear time (a generous bound: backtracking would take minutes)', () => {
    // Prepare
    const inputs = [
      'xoxb-' + '1'.repeat(50_000),
      'xoxb-1-' + '-'.repeat(50_000) + '!',
      '?token='.repeat(10_000),
      '?access_token=' + 'a'.repeat(50_000) + '$',
      ':_authToken=' + ' '.repeat(50_000) + '"',
      '-----BEGIN ' + 'A '.repeat(25_000),
      'AKIA'.repeat(20_000),
      '&X-Amz-Signature=' + 'a'.repeat(50_000),
    ];
    const started = performance.now();

    // Act
    for (const input of inputs) recognisedSecret(input);

    // Assess
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('codebuild.plaintext-credentials on inline buildspecs', () => {
  function withBuildspec(buildspec: string): Project {
    const project = githubSample();
    project.source = { ...project.source!, buildspec };
    return project;
  }

  it('flags an env.variables entry by its path and reason, never its value', () => {
    // Prepare
    const buildspec = `version: 0.2\nenv:\n  variables:\n    NPM_TOKEN: ${FAKE_NPM_TOKEN}\n    NODE_ENV: production\nphases:\n  build:\n    commands: [npm ci]\n`;

    // Act
    const outcome = plaintextCredentialsRule(withBuildspec(buildspec), context());

    // Assess
    expect(outcome.status).toBe('violation');
    expect(outcome.details).toEqual({
      variables: [{ name: 'env.variables.NPM_TOKEN', reason: 'npm-token', where: 'buildspec' }],
    });
    expect(outcome.message).toContain('buildspec env.variables.NPM_TOKEN (npm-token)');
    expect(JSON.stringify(outcome)).not.toContain(FAKE_NPM_TOKEN);
  });

  it('judges env.variables entries by name like environment variables (a *_PASSWORD literal)', () => {
    // Prepare
    const buildspec = 'version: 0.2\nenv:\n  variables:\n    DB_PASSWORD: hunter2-but-longer\nphases: {}\n';

    // Act
    const outcome = plaintextCredentialsRule(withBuildspec(buildspec), context());

    // Assess
    expect(outcome.details).toEqual({
      variables: [{ name: 'env.variables.DB_PASSWORD', reason: 'password-literal', where: 'buildspec' }],
    });
  });

  it('flags a token in a command, where there is no variable name to go by', () => {
    // Prepare
    const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - echo "//registry.npmjs.org/:_authToken=${FAKE_API_KEY}" > .npmrc\n`;

    // Act
    const outcome = plaintextCredentialsRule(withBuildspec(buildspec), context());

    // Assess
    expect(outcome.details).toEqual({
      variables: [{ name: '(text)', reason: 'npm-auth-token', where: 'buildspec' }],
    });
    expect(JSON.stringify(outcome)).not.toContain(FAKE_API_KEY);
  });

  it('is compliant for a buildspec that keeps its secrets in parameter-store and secrets-manager', () => {
    // Prepare
    const buildspec = [
      'version: 0.2',
      'env:',
      '  variables:',
      '    NODE_ENV: production',
      '  parameter-store:',
      '    NPM_TOKEN: /ci/app/npm-token',
      '  secrets-manager:',
      '    SONAR_TOKEN: ci/app/sonar:token',
      'phases:',
      '  build:',
      '    commands:',
      '      - echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc',
      '',
    ].join('\n');

    // Act
    const outcome = plaintextCredentialsRule(withBuildspec(buildspec), context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('does not read a single-line buildspec: it is a path in the source, not the buildspec itself', () => {
    // Prepare
    const project = withBuildspec('ci/buildspec-with-AKIA-in-its-name.yml');

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('reads an inline buildspec that is not YAML as text, without failing', () => {
    // Prepare
    const buildspec = `version: 0.2\nphases: [\n  ${FAKE_GITHUB_TOKEN}\n`;

    // Act
    const outcome = plaintextCredentialsRule(withBuildspec(buildspec), context());

    // Assess
    expect(outcome.details).toEqual({
      variables: [{ name: '(text)', reason: 'github-token', where: 'buildspec' }],
    });
  });

  it('names a secondary source by its identifier', () => {
    // Prepare
    const project = githubSample();
    project.secondarySources = [
      {
        type: 'S3',
        location: 'bucket/tools.zip',
        sourceIdentifier: 'tools',
        buildspec: `version: 0.2\nenv:\n  variables:\n    SLACK_HOOK: ${FAKE_SLACK_BOT_TOKEN}\n`,
      },
    ];

    // Act
    const outcome = plaintextCredentialsRule(project, context());

    // Assess
    expect(outcome.details).toEqual({
      variables: [
        {
          name: 'env.variables.SLACK_HOOK',
          reason: 'slack-token',
          where: 'secondarySources[tools].buildspec',
        },
      ],
    });
  });
});

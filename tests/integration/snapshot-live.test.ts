/**
 * `buildwarden snapshot` against a "live" account (every SDK client mocked at the class, no network) whose
 * reads partly fail: a repository policy that cannot be read, a managed policy whose answer lacks a field the
 * evaluator depends on. The snapshot records what failed where, and auditing the snapshot reports exactly what
 * the live audit reports.
 */
import {
  BatchGetProjectsCommand,
  CodeBuildClient,
  ListProjectsCommand,
  type Project as SdkProject,
} from '@aws-sdk/client-codebuild';
import {
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  GetRegistryPolicyCommand,
  RegistryPolicyNotFoundException,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  RepositoryPolicyNotFoundException,
} from '@aws-sdk/client-ecr';
import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync, statSync } from 'node:fs';
import { parseSnapshot } from '../../lib/policy/snapshot';
import { cli, tempFile } from '../fixtures/cli';
import { awsSample } from '../fixtures/load';
import { describeRepositoriesSample, getLifecyclePolicySample } from '../fixtures/ecr/sdk-responses';

const ACCOUNT = '012345678910';
const REGION = process.env.AWS_REGION!;
const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const codebuild = mockClient(CodeBuildClient);
const iam = mockClient(IAMClient);

const DENIED =
  'User: arn:aws:iam::012345678910:user/ci is not authorized to perform: ecr:GetRepositoryPolicy';
const EXTRAS_ARN = `arn:aws:iam::${ACCOUNT}:policy/build-extras`;
const urlEncoded = (document: object) => encodeURIComponent(JSON.stringify(document));

function trust() {
  const t = awsSample<{ Statement: Record<string, unknown>[] }>('codebuild-service-role-trust-policy.json');
  t.Statement[0]!.Condition = { StringEquals: { 'aws:SourceAccount': ACCOUNT } };
  return t;
}

function roleDetail(name: string, attached: string[]) {
  return {
    Path: '/service-role/',
    RoleName: name,
    RoleId: `AROA${name.toUpperCase().replace(/-/g, '')}`,
    Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`,
    CreateDate: new Date('2026-02-11T12:00:00Z'),
    AssumeRolePolicyDocument: urlEncoded(trust()),
    RolePolicyList: [
      {
        PolicyName: 'push',
        PolicyDocument: urlEncoded(awsSample('codebuild-service-role-ecr-push-statement.current-docs.json')),
      },
    ],
    AttachedManagedPolicies: attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })),
  };
}

/** Fake credentials (AWS's documented example secret key; made-up tokens). */
const SECRETS = {
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  github: `ghp_${'a1B2c3D4e5'.repeat(3)}f6G7h8`,
  urlPassword: 's3cr3t-pass',
  npmToken: 'q7Vd9Xk2Lm4Pz8Rt6Wy3',
};

/**
 * The official BatchGetProjects sample's project, as an image build of `ubuntu` using `roleName`; with
 * `secrets`, holding credentials in a PLAINTEXT variable, its source URL and its inline buildspec.
 */
function project(name: string, roleName: string, secrets = false): SdkProject {
  const sample = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[0]!;
  return {
    ...sample,
    name,
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`,
    serviceRole: `arn:aws:iam::${ACCOUNT}:role/service-role/${roleName}`,
    environment: {
      ...(sample.environment as object),
      environmentVariables: [
        { name: 'IMAGE_REPO_NAME', value: 'ubuntu', type: 'PLAINTEXT' },
        ...(secrets
          ? [
              { name: 'AWS_SECRET_ACCESS_KEY', value: SECRETS.awsSecret, type: 'PLAINTEXT' },
              { name: 'GH', value: SECRETS.github, type: 'PLAINTEXT' },
            ]
          : []),
      ],
    },
    ...(secrets
      ? {
          source: {
            type: 'GITHUB',
            location: `https://ci:${SECRETS.urlPassword}@github.com/example-org/app.git`,
            buildspec: `version: 0.2\nenv:\n  variables:\n    NPM_TOKEN: ${SECRETS.npmToken}\nphases:\n  build:\n    commands:\n      - npm ci\n`,
          },
        }
      : {}),
    created: new Date((sample.created as number) * 1000),
    lastModified: new Date((sample.lastModified as number) * 1000),
  } as SdkProject;
}

beforeEach(() => {
  for (const m of [ecr, sts, codebuild, iam]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  ecr
    .on(GetRegistryScanningConfigurationCommand)
    .resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'BASIC', rules: [] } });
  ecr.on(DescribeRepositoriesCommand).resolves(describeRepositoriesSample());
  ecr.on(GetLifecyclePolicyCommand, { repositoryName: 'ubuntu' }).resolves(getLifecyclePolicySample());
  ecr
    .on(GetLifecyclePolicyCommand, { repositoryName: 'test' })
    .rejects(new LifecyclePolicyNotFoundException({ message: 'none', $metadata: {} }));
  ecr
    .on(GetRepositoryPolicyCommand, { repositoryName: 'ubuntu' })
    .rejects(new RepositoryPolicyNotFoundException({ message: 'none', $metadata: {} }));
  ecr
    .on(GetRepositoryPolicyCommand, { repositoryName: 'test' })
    .rejects(Object.assign(new Error(DENIED), { name: 'AccessDeniedException' }));
  ecr.on(ListTagsForResourceCommand).resolves({ tags: [] });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
  // A registry with no replication, no registry policy, no pull through cache rule and no template.
  ecr.on(DescribeRegistryCommand).resolves({ registryId: ACCOUNT, replicationConfiguration: { rules: [] } });
  ecr
    .on(GetRegistryPolicyCommand)
    .rejects(new RegistryPolicyNotFoundException({ message: 'none', $metadata: {} }));
  ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [] });
  ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
  codebuild.on(ListProjectsCommand).resolves({ projects: ['uses-extras', 'plain'] });
  codebuild.on(BatchGetProjectsCommand).resolves({
    projects: [project('uses-extras', 'with-extras'), project('plain', 'without-extras', true)],
  });
  const { PolicyVersion } = awsSample<{ PolicyVersion: { Document: object } }>(
    'api-iam-get-policy-version.aws-cli.json',
  );
  iam.on(GetAccountAuthorizationDetailsCommand).resolves({
    RoleDetailList: [roleDetail('with-extras', [EXTRAS_ARN]), roleDetail('without-extras', [])],
    // A managed policy detail without PolicyName: AWS documents it as optional.
    Policies: [
      {
        Arn: EXTRAS_ARN,
        DefaultVersionId: 'v1',
        PolicyVersionList: [
          { Document: urlEncoded(PolicyVersion.Document), VersionId: 'v1', IsDefaultVersion: true },
        ],
      },
    ],
    IsTruncated: false,
  });
});

type Report = { findings: { ruleId: string; resourceArn: string; status: string; message: string }[] };

/** The audit's JSON without `firstSeen`, which is the time of the audit that first saw a finding open. */
function parseReport(stdout: string): Report {
  const report = JSON.parse(stdout) as { findings: (Report['findings'][number] & { firstSeen?: string })[] };
  return { findings: report.findings.map(({ firstSeen: _, ...f }) => f) };
}

async function liveAudit(): Promise<Report> {
  const result = await cli(['audit', '--format', 'json']);
  return parseReport(result.stdout);
}

async function snapshotFile(...extra: string[]): Promise<{ file: string; stderr: string; code: number }> {
  const file = tempFile('snapshot.json', '');
  const result = await cli(['snapshot', '--out', file, ...extra]);
  return { file, stderr: result.stderr, code: result.code };
}

describe('buildwarden snapshot of an account whose reads partly fail', () => {
  test('still writes the file, warning on stderr about each unreadable object', async () => {
    // Act
    const { file, stderr, code } = await snapshotFile();

    // Assess
    expect(code).toBe(0);
    expect(() => parseSnapshot(readFileSync(file, 'utf8'))).not.toThrow();
    expect(stderr).toMatch(
      /could not read test \(recorded as unreadable\): ecr:GetRepositoryPolicy: AccessDenied/,
    );
    expect(stderr).toMatch(
      /could not read managed policy .*build-extras \(recorded as unreadable\): PolicyName: /,
    );
  });

  test('records the repository whose policy could not be read with the call and the error', async () => {
    // Act
    const { file } = await snapshotFile();

    // Assess
    const snapshot = parseSnapshot(readFileSync(file, 'utf8'));
    const test = snapshot.ecr.repositories.find((r) => r.repositoryName === 'test')!;
    expect(test.unreadable).toEqual({
      call: 'ecr:GetRepositoryPolicy',
      error: `AccessDeniedException: ${DENIED}`,
    });
    expect(snapshot.ecr.repositories.find((r) => r.repositoryName === 'ubuntu')!.unreadable).toBeUndefined();
  });

  test('keeps the malformed managed policy as it was returned, with the field at fault', async () => {
    // Act
    const { file } = await snapshotFile();

    // Assess
    const policy = parseSnapshot(readFileSync(file, 'utf8')).iam.policies[0]!;
    expect(policy.unreadable).toMatchObject({
      call: 'iam:GetAccountAuthorizationDetails',
      error: expect.stringMatching(/^PolicyName: /),
      object: expect.objectContaining({ Arn: EXTRAS_ARN, DefaultVersionId: 'v1' }),
    });
  });
});

describe('auditing the snapshot reports exactly what the live audit reports', () => {
  test('the same findings, in the same order', async () => {
    // Prepare
    const live = await liveAudit();
    const { file } = await snapshotFile();

    // Act
    const result = await cli(['audit', '--snapshot', file, '--format', 'json']);

    // Assess
    expect(parseReport(result.stdout).findings).toEqual(live.findings);
  });

  test('the repository whose policy could not be read is not-visible, not "no repository policy: compliant"', async () => {
    // Prepare
    const { file } = await snapshotFile();

    // Act
    const result = await cli(['audit', '--snapshot', file, '--format', 'json']);

    // Assess
    const findings = (JSON.parse(result.stdout) as Report).findings.filter((f) =>
      f.resourceArn.endsWith(':repository/test'),
    );
    const byRule = Object.fromEntries(findings.map((f) => [f.ruleId, f]));
    expect(byRule['ecr.repository-policy']).toMatchObject({
      status: 'not-visible',
      message: `repository details could not be read (ecr:GetRepositoryPolicy: AccessDeniedException: ${DENIED})`,
    });
    expect(byRule['ecr.lifecycle-policy']!.status).toBe('not-visible');
  });

  test('only the role using the malformed policy is not-visible, on one table line naming policy and field', async () => {
    // Prepare
    const { file } = await snapshotFile();

    // Act
    const result = await cli([
      'audit',
      '--snapshot',
      file,
      '--rules',
      'codebuild.role-can-push',
      '--show-compliant',
    ]);

    // Assess
    const lines = result.stdout.split('\n').filter((l) => l.includes('role-can-push'));
    const withExtras = lines.filter((l) => l.includes('with-extras') && !l.includes('without-extras'));
    expect(withExtras).toHaveLength(1);
    expect(withExtras[0]).toMatch(
      /^not-visible .*managed policy .*build-extras could not be read .*PolicyName: /,
    );
    expect(lines.filter((l) => l.includes('without-extras'))[0]).toMatch(/^compliant /);
  });
});

describe('buildwarden snapshot never writes credentials in clear unless asked', () => {
  test('the file holds <redacted:REASON> where the credentials were, and none of them', async () => {
    // Act
    const { file, stderr } = await snapshotFile();

    // Assess
    const text = readFileSync(file, 'utf8');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    const plain = parseSnapshot(text).codebuild.projects.find((p) => p.name === 'plain')!;
    expect(plain.environment!.environmentVariables!.map((v) => v.value)).toEqual([
      'ubuntu',
      '<redacted:aws-credential-variable>',
      '<redacted:github-token>',
    ]);
    expect(plain.source!.location).toBe('https://<redacted:url-password>@github.com/example-org/app.git');
    expect(plain.source!.buildspec).toContain('NPM_TOKEN: <redacted:high-entropy-value>');
    expect(stderr).toMatch(
      /redacted 4 credential-looking value\(s\) as <redacted:REASON> \(--include-secrets keeps them\)/,
    );
  });

  test('auditing the redacted snapshot reports the credential findings of the live audit', async () => {
    // Prepare
    const live = await liveAudit();
    const { file } = await snapshotFile();

    // Act
    const result = await cli(['audit', '--snapshot', file, '--format', 'json']);

    // Assess
    const credentialFindings = (report: Report) =>
      report.findings.filter((f) => /plaintext-credentials|source-credentials/.test(f.ruleId));
    const fromSnapshot = credentialFindings(parseReport(result.stdout));
    expect(fromSnapshot).toEqual(credentialFindings(live));
    expect(
      fromSnapshot
        .filter((f) => f.status === 'violation')
        .map((f) => f.ruleId)
        .sort(),
    ).toEqual(['codebuild.plaintext-credentials', 'codebuild.source-credentials']);
  });

  test('--include-secrets keeps them in clear', async () => {
    // Act
    const { file, stderr } = await snapshotFile('--include-secrets');

    // Assess
    const plain = parseSnapshot(readFileSync(file, 'utf8')).codebuild.projects.find(
      (p) => p.name === 'plain',
    )!;
    expect(plain.environment!.environmentVariables![1]!.value).toBe(SECRETS.awsSecret);
    expect(plain.source!.location).toContain(SECRETS.urlPassword);
    expect(stderr).not.toMatch(/redacted/);
  });

  test('the file is readable by its owner only', async () => {
    // Act
    const { file } = await snapshotFile();

    // Assess
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

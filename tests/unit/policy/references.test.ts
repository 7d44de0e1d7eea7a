/**
 * Parameter and secret references and the namespaces they must stay in, on plain data. The secret-name
 * wildcard is checked against the IAM evaluator: it must match the named secret's ARN and no other.
 */
import fc from 'fast-check';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import { evaluate } from '../../../lib/policy/iam/policy-evaluation';
import { projectSchema, type Project } from '../../../lib/policy/model';
import {
  namespaceProblem,
  namespacesFor,
  outsideReferences,
  parameterReference,
  projectReferences,
  referenceFormatProblem,
  secretReference,
  sourceBucketProblem,
  valueReadStatements,
  type AccountScope,
} from '../../../lib/policy/references';
import { ACCOUNT, REGION } from '../../fixtures/builders';

const AT: AccountScope = { partition: 'aws', region: REGION, accountId: ACCOUNT };
const OTHER_ACCOUNT = '210987654321';
const APP = namespacesFor(defaultGuardrails().provisioning, 'team-app');

describe('namespacesFor', () => {
  test('substitutes the project name for {name} in the defaults', () => {
    expect(APP).toEqual({
      parameterPrefixes: ['/ci/team-app/'],
      secretPrefixes: ['ci/team-app/'],
      sourceBuckets: [],
    });
  });

  test('substitutes every {name} of custom prefixes and buckets, and keeps fixed ones', () => {
    const namespaces = namespacesFor(
      {
        parameterPrefixes: ['/{name}/ci/{name}/', '/shared/'],
        secretPrefixes: ['teams/{name}/'],
        sourceBuckets: ['src-{name}', 'shared-sources'],
      },
      'web',
    );

    expect(namespaces).toEqual({
      parameterPrefixes: ['/web/ci/web/', '/shared/'],
      secretPrefixes: ['teams/web/'],
      sourceBuckets: ['src-web', 'shared-sources'],
    });
  });
});

describe('parameterReference', () => {
  test('a name becomes the parameter ARN of this account and region', () => {
    expect(parameterReference('/ci/team-app/token', AT)).toEqual({
      kind: 'parameter',
      name: '/ci/team-app/token',
      arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`,
      scope: AT,
    });
  });

  test('an ARN keeps its account and region, and its name gets back its leading /', () => {
    const arn = `arn:aws:ssm:eu-west-1:${OTHER_ACCOUNT}:parameter/ci/team-app/token`;

    expect(parameterReference(arn, AT)).toEqual({
      kind: 'parameter',
      name: '/ci/team-app/token',
      arn,
      scope: { partition: 'aws', region: 'eu-west-1', accountId: OTHER_ACCOUNT },
    });
  });

  test('a name outside any hierarchy stays as it is', () => {
    expect(parameterReference(`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/token`, AT)?.name).toBe('token');
  });

  test.each([
    '/ci/team-app/*',
    `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/*`,
    `arn:aws:ssm:${REGION}:*:parameter/ci/team-app/x`,
    '/ci/team-app/x:3',
    'has space',
    '',
  ])('%p is not a parameter reference', (value) => {
    expect(parameterReference(value, AT)).toBeUndefined();
  });
});

describe('secretReference', () => {
  test('a name (with a JSON key) is granted by the random-suffix wildcard', () => {
    expect(secretReference('ci/team-app/github:token', AT)).toEqual({
      kind: 'secret',
      name: 'ci/team-app/github',
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/github-??????`,
      scope: AT,
    });
  });

  test('a complete ARN (with its suffix, and a version stage) is granted as it is', () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/signing-AbC123`;

    expect(secretReference(`${arn}:key:AWSCURRENT`, AT)).toEqual({
      kind: 'secret',
      name: 'ci/team-app/signing',
      arn,
      scope: AT,
    });
  });

  test('a partial ARN (no suffix) is granted by the random-suffix wildcard', () => {
    const partial = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/db`;

    expect(secretReference(partial, AT)).toMatchObject({ name: 'ci/team-app/db', arn: `${partial}-??????` });
  });

  test.each([
    'ci/*',
    'ci/team-app/a b',
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`,
    'arn:aws:s3:::x',
  ])('%p is not a secret reference', (value) => {
    expect(secretReference(value, AT)).toBeUndefined();
  });

  test('the wildcard of a name matches the ARN of that secret, and of no other secret', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9/_+=.@-]{1,20}$/);
    const suffix = fc.stringMatching(/^[A-Za-z0-9]{6}$/);
    const identity = (secret: string) => [
      {
        name: 'p',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: secretReference(secret, AT)!.arn,
            },
          ],
        },
      },
    ];
    const arnOf = (secret: string, random: string) =>
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${secret}-${random}`;
    const canRead = (granted: string, actual: string, random: string) =>
      evaluate(
        { action: 'secretsmanager:GetSecretValue', resource: arnOf(actual, random) },
        { identity: identity(granted) },
      ).decision === 'allowed';

    fc.assert(
      fc.property(name, name, suffix, (granted, other, random) => {
        expect(canRead(granted, granted, random)).toBe(true);
        expect(canRead(granted, other, random)).toBe(other === granted);
      }),
      { numRuns: 500 },
    );
    // The near misses a prefix match would let through.
    expect(canRead('ci/app', 'ci/app-prod', 'AbC123')).toBe(false);
    expect(canRead('ci/app', 'ci/app-x', 'AbC123')).toBe(false);
    expect(canRead('ci/app', 'ci/ap', 'AbC123')).toBe(false);
  });
});

describe('referenceFormatProblem', () => {
  test.each([
    ['parameter', '/ci/team-app/*'],
    ['parameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/*`],
    ['parameter', '/ci/team-app/token?'],
    ['secret', 'ci/team-app/*'],
    ['secret', 'ci/team-app/token:*'],
    ['secret', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/x-??????`],
  ] as const)('a wildcard in the %s reference %p is refused as such', (kind, value) => {
    expect(referenceFormatProblem(kind, value)).toBe(
      `must name one ${kind}: a wildcard (* or ?) is not allowed anywhere in a reference`,
    );
  });

  test.each([
    ['parameter', '/ci/team-app/token'],
    ['parameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['secret', 'ci/team-app/token:json-key:AWSCURRENT'],
  ] as const)('the %s reference %p is well formed', (kind, value) => {
    expect(referenceFormatProblem(kind, value)).toBeUndefined();
  });
});

describe('namespaceProblem', () => {
  const problemOf = (kind: 'parameter' | 'secret', value: string) => {
    const reference = kind === 'parameter' ? parameterReference(value, AT) : secretReference(value, AT);
    return namespaceProblem(reference!, APP, AT);
  };

  test.each([
    ['parameter', '/ci/team-app/token'],
    ['parameter', '/ci/team-app/nested/deeper/token'],
    ['parameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['secret', 'ci/team-app/token'],
    ['secret', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/team-app/token-AbC123:k`],
  ] as const)('the %s %p is inside the namespaces of team-app', (kind, value) => {
    expect(problemOf(kind, value)).toBeUndefined();
  });

  test.each([
    ['parameter', '/ci/other-app/token', 'allowed parameter prefixes: /ci/team-app/'],
    ['parameter', '/ci/team-app-prod/token', 'allowed parameter prefixes: /ci/team-app/'],
    ['parameter', '/ci/team-app', 'allowed parameter prefixes: /ci/team-app/'],
    ['parameter', 'ci/team-app/token', 'allowed parameter prefixes: /ci/team-app/'],
    ['secret', 'prod/db', 'allowed secret prefixes: ci/team-app/'],
    ['secret', 'ci/team-app-prod/db', 'allowed secret prefixes: ci/team-app/'],
  ] as const)('the %s %p is outside, and the problem lists what is allowed', (kind, value, allowed) => {
    expect(problemOf(kind, value)).toBe(`names a ${kind} outside the project's namespaces (${allowed})`);
  });

  test.each([
    ['parameter', `arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:parameter/ci/team-app/token`],
    ['parameter', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/team-app/token`],
    ['parameter', `arn:aws-cn:ssm:${REGION}:${ACCOUNT}:parameter/ci/team-app/token`],
    ['secret', `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:ci/team-app/token-AbC123`],
    ['secret', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/team-app/token`],
  ] as const)('the %s %p is in another account, region or partition', (kind, value) => {
    expect(problemOf(kind, value)).toBe(
      `names a ${kind} in another account or region: only ${ACCOUNT} in ${REGION} is allowed`,
    );
  });

  test('an empty prefix list allows nothing, and says so', () => {
    const none = { ...APP, parameterPrefixes: [] };

    expect(namespaceProblem(parameterReference('/ci/team-app/x', AT)!, none, AT)).toBe(
      "names a parameter outside the project's namespaces (allowed parameter prefixes: none)",
    );
  });
});

describe('sourceBucketProblem', () => {
  test('a listed bucket is allowed', () => {
    expect(sourceBucketProblem('src-team-app', { ...APP, sourceBuckets: ['src-team-app'] })).toBeUndefined();
  });

  test('by default no bucket is', () => {
    expect(sourceBucketProblem('any-bucket', APP)).toBe(
      'names an S3 bucket that is not a source bucket of the project (allowed source buckets: none)',
    );
  });
});

describe('projectReferences and outsideReferences', () => {
  function project(overrides: Record<string, unknown> = {}): Project {
    return projectSchema().parse({
      name: 'team-app',
      arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/team-app`,
      source: {
        type: 'GITHUB',
        location: 'https://github.com/example/app',
        buildspec: [
          'version: 0.2',
          'env:',
          '  parameter-store:',
          '    INSIDE: /ci/team-app/inside',
          '    OUTSIDE: /prod/db/password',
          '  secrets-manager:',
          '    TOKEN: prod/github:token',
          'phases: {}',
        ].join('\n'),
      },
      environment: {
        type: 'LINUX_CONTAINER',
        environmentVariables: [
          { name: 'MODE', value: 'release', type: 'PLAINTEXT' },
          { name: 'DB', value: '/ci/team-app/db', type: 'PARAMETER_STORE' },
          { name: 'SHARED', value: 'shared/key', type: 'SECRETS_MANAGER' },
        ],
      },
      ...overrides,
    });
  }

  test('lists every reference of the environment and the inline buildspec, by where it is made', () => {
    expect(projectReferences(project())).toEqual([
      { kind: 'parameter', location: 'environmentVariables[DB]', value: '/ci/team-app/db' },
      { kind: 'secret', location: 'environmentVariables[SHARED]', value: 'shared/key' },
      { kind: 'parameter', location: 'buildspec env.parameter-store.INSIDE', value: '/ci/team-app/inside' },
      { kind: 'parameter', location: 'buildspec env.parameter-store.OUTSIDE', value: '/prod/db/password' },
      { kind: 'secret', location: 'buildspec env.secrets-manager.TOKEN', value: 'prod/github:token' },
    ]);
  });

  test('keeps only those outside the namespaces of the project (named after the project)', () => {
    const outside = outsideReferences(project(), defaultGuardrails().provisioning, AT);

    expect(outside.map((r) => [r.location, r.reference.arn])).toEqual([
      [
        'environmentVariables[SHARED]',
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:shared/key-??????`,
      ],
      [
        'buildspec env.parameter-store.OUTSIDE',
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db/password`,
      ],
      [
        'buildspec env.secrets-manager.TOKEN',
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/github-??????`,
      ],
    ]);
  });

  test("resolves names in the project's own region and account, from its ARN", () => {
    const elsewhere = project({ arn: `arn:aws:codebuild:eu-west-1:${OTHER_ACCOUNT}:project/team-app` });

    const outside = outsideReferences(elsewhere, defaultGuardrails().provisioning, AT);

    expect(outside[0]?.reference.arn).toBe(
      `arn:aws:secretsmanager:eu-west-1:${OTHER_ACCOUNT}:secret:shared/key-??????`,
    );
  });

  test('a buildspec path (one line) contributes no reference', () => {
    const p = project();
    p.source!.buildspec = 'buildspec.yml';

    expect(projectReferences(p).map((r) => r.location)).toEqual([
      'environmentVariables[DB]',
      'environmentVariables[SHARED]',
    ]);
  });

  test('an unparsable inline buildspec contributes no reference and does not fail', () => {
    const p = project();
    p.source!.buildspec = 'version: 0.2\nenv: [\n';

    expect(() => projectReferences(p)).not.toThrow();
    expect(projectReferences(p)).toHaveLength(2);
  });
});

describe('valueReadStatements', () => {
  const keys = `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`;
  const parameter = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/app/token`;

  test('reads the values and decrypts them only through their service, naming each value exactly', () => {
    // Act
    const statements = valueReadStatements('parameter', [parameter], {
      keys,
      region: REGION,
      urlSuffix: 'amazonaws.com',
      exact: true,
    });

    // Assess
    expect(statements).toEqual([
      { Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [parameter] },
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keys,
        Condition: {
          StringEquals: {
            'kms:ViaService': `ssm.${REGION}.amazonaws.com`,
            'kms:EncryptionContext:PARAMETER_ARN': [parameter],
          },
        },
      },
    ]);
  });

  test('matches a namespace of secrets as a pattern', () => {
    // Prepare
    const namespace = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/*`;

    // Act
    const [, decrypt] = valueReadStatements('secret', [namespace], {
      keys,
      region: REGION,
      urlSuffix: 'amazonaws.com.cn',
      exact: false,
    });

    // Assess
    expect(decrypt!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com.cn` },
      StringLike: { 'kms:EncryptionContext:SecretARN': [namespace] },
    });
  });
});

import type { EvaluationRequest, NamedPolicy, PolicySet } from '../../../../lib/policy/iam/policy-evaluation';
import { evaluate } from '../../../../lib/policy/iam/policy-evaluation';
import { InvalidPolicyError } from '../../../../lib/policy/iam/statements';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/build`;
const REPO = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`;
const OTHER_REPO = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/other`;

const policy = (name: string, ...statements: Record<string, unknown>[]): NamedPolicy => ({
  name,
  document: { Version: '2012-10-17', Statement: statements },
});
const allow = (action: unknown, resource: unknown = '*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...extra,
});
const deny = (action: unknown, resource: unknown = '*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Deny',
  Action: action,
  Resource: resource,
  ...extra,
});
const push = (resource = REPO): EvaluationRequest => ({
  action: 'ecr:PutImage',
  resource,
  principalArn: ROLE,
});
const decide = (request: EvaluationRequest, policies: PolicySet) => evaluate(request, policies).decision;
const condition = { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } };

describe('evaluate: statements and elements', () => {
  it('allows a request an Allow statement covers', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', REPO))] };

    // Act
    const result = evaluate(push(), policies);

    // Assess
    expect(result).toEqual({
      decision: 'allowed',
      allowedBy: [{ policy: 'p', index: 0, source: 'identity', effect: 'Allow' }],
      deniedBy: [],
      conditionalBy: [],
    });
  });

  it('denies implicitly when no statement covers the request', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:BatchGetImage', REPO))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('denies implicitly with no identity policies at all', () => {
    // Act
    const decision = decide(push(), { identity: [] });

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('accepts a single statement object instead of an array', () => {
    // Prepare
    const single: NamedPolicy = { name: 'p', document: { Statement: allow('ecr:PutImage', REPO) } };

    // Act
    const decision = decide(push(), { identity: [single] });

    // Assess
    expect(decision).toBe('allowed');
  });

  it('accepts Action and Resource as arrays', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow(['ecr:BatchGetImage', 'ecr:PutImage'], [OTHER_REPO, REPO]))],
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('allowed');
  });

  it('lets an explicit Deny win over any Allow', () => {
    // Prepare
    const policies = {
      identity: [policy('allow', allow('*')), policy('deny', deny('ecr:PutImage', REPO, { Sid: 'NoPush' }))],
    };

    // Act
    const result = evaluate(push(), policies);

    // Assess
    expect(result.decision).toBe('explicit-deny');
    expect(result.deniedBy).toEqual([
      { policy: 'deny', sid: 'NoPush', index: 0, source: 'identity', effect: 'Deny' },
    ]);
  });

  it('names the statement index of a matching statement without a Sid', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('s3:GetObject'), allow('ecr:*'))] };

    // Act
    const result = evaluate(push(), policies);

    // Assess
    expect(result.allowedBy).toEqual([{ policy: 'p', index: 1, source: 'identity', effect: 'Allow' }]);
  });

  it('treats NotAction in an Allow as every action but those listed', () => {
    // Prepare
    const policies = { identity: [policy('p', { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] };

    // Act
    const ecr = decide(push(), policies);
    const iam = decide({ action: 'iam:CreateRole', resource: ROLE }, policies);

    // Assess
    expect([ecr, iam]).toEqual(['allowed', 'implicit-deny']);
  });

  it('treats NotAction in a Deny as denying every action but those listed', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('*'), { Effect: 'Deny', NotAction: 'ecr:BatchGetImage', Resource: '*' })],
    };

    // Act
    const putImage = decide(push(), policies);
    const getImage = decide({ action: 'ecr:BatchGetImage', resource: REPO }, policies);

    // Assess
    expect([putImage, getImage]).toEqual(['explicit-deny', 'allowed']);
  });

  it('treats NotResource in an Allow as every resource but those listed', () => {
    // Prepare
    const policies = {
      identity: [policy('p', { Effect: 'Allow', Action: 'ecr:*', NotResource: OTHER_REPO })],
    };

    // Act
    const own = decide(push(), policies);
    const other = decide(push(OTHER_REPO), policies);

    // Assess
    expect([own, other]).toEqual(['allowed', 'implicit-deny']);
  });

  it('treats NotResource in a Deny as denying every resource but those listed', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'), { Effect: 'Deny', Action: 'ecr:*', NotResource: REPO })],
    };

    // Act
    const own = decide(push(), policies);
    const other = decide(push(OTHER_REPO), policies);

    // Assess
    expect([own, other]).toEqual(['allowed', 'explicit-deny']);
  });

  it('applies a Deny with NotResource to actions without resource-level permissions (resource "*")', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'), { Effect: 'Deny', Action: 'ecr:*', NotResource: REPO })],
    };

    // Act
    const decision = decide({ action: 'ecr:GetAuthorizationToken', resource: '*' }, policies);

    // Assess
    expect(decision).toBe('explicit-deny');
  });

  it('does not let a repository ARN grant an action whose resource is "*"', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:GetAuthorizationToken', REPO))] };

    // Act
    const decision = decide({ action: 'ecr:GetAuthorizationToken', resource: '*' }, policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });
});

describe('evaluate: wildcards and case', () => {
  it.each(['ecr:*', 'ecr:Put*', 'ecr:PutImag?', '*', 'ECR:putimage', 'ecr:*Image'])(
    'matches action pattern %s against ecr:PutImage',
    (pattern) => {
      // Prepare
      const policies = { identity: [policy('p', allow(pattern, REPO))] };

      // Act
      const decision = decide(push(), policies);

      // Assess
      expect(decision).toBe('allowed');
    },
  );

  it.each(['ecr:Put', 'ecr:PutImage?', 'ec*:PutImage', 's3:PutImage', 'ecr:Batch*'])(
    'does not match action pattern %s against ecr:PutImage',
    (pattern) => {
      // Prepare
      const policies = { identity: [policy('p', allow(pattern, REPO))] };

      // Act
      const decision = decide(push(), policies);

      // Assess
      expect(decision).toBe('implicit-deny');
    },
  );

  it('matches ? in an action name as exactly one character', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:?etAuthorizationToken'))] };

    // Act
    const decision = decide({ action: 'ecr:GetAuthorizationToken', resource: '*' }, policies);

    // Assess
    expect(decision).toBe('allowed');
  });

  it.each([
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/ap?`,
    `arn:aws:ecr:*:${ACCOUNT}:repository/app`,
    `arn:aws:ecr:us-east-1:*:repository/a*`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:*`,
    'arn:aws:ecr:*',
  ])('matches resource pattern %s against the repository', (pattern) => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', pattern))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('allowed');
  });

  it.each([
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/App`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app/*`,
    `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/app`,
    `arn:aws:ecr:us-east-1:444455556666:repository/app`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repo*/app`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repo*/*`,
  ])('does not match resource pattern %s against the repository', (pattern) => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', pattern))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });
});

describe('evaluate: permissions boundary', () => {
  it('allows only what both the identity policies and the boundary allow', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'))],
      permissionsBoundary: policy('boundary', allow('ecr:PutImage', REPO)),
    };

    // Act
    const own = decide(push(), policies);
    const other = decide(push(OTHER_REPO), policies);

    // Assess
    expect([own, other]).toEqual(['allowed', 'implicit-deny']);
  });

  it('does not let a boundary Allow grant what no identity policy allows', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('s3:*'))],
      permissionsBoundary: policy('boundary', allow('*')),
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('reports the boundary statements that allow, tagged with their source', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'))],
      permissionsBoundary: policy('boundary', allow('*')),
    };

    // Act
    const result = evaluate(push(), policies);

    // Assess
    expect(result.allowedBy.map((r) => r.source)).toEqual(['identity', 'permissions-boundary']);
  });

  it('lets an explicit Deny in the boundary deny', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'))],
      permissionsBoundary: policy('boundary', allow('*'), deny('ecr:PutImage')),
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('explicit-deny');
  });
});

describe('evaluate: resource policy', () => {
  const repositoryPolicy = (...statements: Record<string, unknown>[]) =>
    policy('repository policy', ...statements);
  const identity = [policy('p', allow('ecr:*'))];

  it.each([
    ['"*"', '*'],
    ['the role ARN', { AWS: ROLE }],
    ['the account id', { AWS: ACCOUNT }],
    ['the account root ARN', { AWS: `arn:aws:iam::${ACCOUNT}:root` }],
  ])('applies a Deny whose Principal is %s', (_label, principal) => {
    // Prepare
    const resourcePolicy = repositoryPolicy({ Effect: 'Deny', Principal: principal, Action: 'ecr:PutImage' });

    // Act
    const decision = decide(push(), { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('explicit-deny');
  });

  it('ignores a Deny naming another principal', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({
      Effect: 'Deny',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/other` },
      Action: 'ecr:PutImage',
    });

    // Act
    const decision = decide(push(), { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('allowed');
  });

  it('ignores resource-policy Allow statements (same-account access comes from the role)', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'ecr:*' });

    // Act
    const decision = decide(push(), { identity: [], resourcePolicy });

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('applies a Deny with NotPrincipal listing only the role ARN, which does not exclude its sessions', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({
      Effect: 'Deny',
      NotPrincipal: { AWS: ROLE },
      Action: 'ecr:PutImage',
    });

    // Act
    const decision = decide(push(), { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('explicit-deny');
  });

  it('answers conditional when NotPrincipal lists a session of the role', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({
      Effect: 'Deny',
      NotPrincipal: { AWS: [ROLE, ACCOUNT, `arn:aws:sts::${ACCOUNT}:assumed-role/build/AWSCodeBuild-1`] },
      Action: 'ecr:PutImage',
    });

    // Act
    const decision = decide(push(), { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('conditional');
  });

  it('lets a role ARN principal cover requests made by a session of the role', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({
      Effect: 'Deny',
      Principal: { AWS: ROLE },
      Action: 'ecr:PutImage',
    });
    const request = { ...push(), principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/build/AWSCodeBuild-1` };

    // Act
    const decision = decide(request, { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('explicit-deny');
  });

  it('answers conditional for a Deny naming specific principals when the request principal is unknown', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({
      Effect: 'Deny',
      Principal: { AWS: ROLE },
      Action: 'ecr:PutImage',
    });

    // Act
    const decision = decide({ action: 'ecr:PutImage', resource: REPO }, { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('conditional');
  });

  it('applies a resource-policy Deny without a Resource element to the resource', () => {
    // Prepare
    const resourcePolicy = repositoryPolicy({ Effect: 'Deny', Principal: '*', Action: 'ecr:*' });

    // Act
    const decision = decide(push(), { identity, resourcePolicy });

    // Assess
    expect(decision).toBe('explicit-deny');
  });
});

describe('evaluate: conditions', () => {
  it('answers conditional when the only Allow has a Condition', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', REPO, { Condition: condition }))] };

    // Act
    const result = evaluate(push(), policies);

    // Assess
    expect(result.decision).toBe('conditional');
    expect(result.conditionalBy).toEqual([{ policy: 'p', index: 0, source: 'identity', effect: 'Allow' }]);
  });

  it('allows when an unconditional Allow accompanies a conditional one', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:PutImage', REPO, { Condition: condition }), allow('ecr:*', REPO))],
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('allowed');
  });

  it('answers conditional when a conditional Deny matches an otherwise allowed request', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'), deny('ecr:PutImage', '*', { Condition: condition }))],
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('conditional');
  });

  it('keeps an implicit deny when only a conditional Deny matches', () => {
    // Prepare
    const policies = { identity: [policy('p', deny('ecr:PutImage', '*', { Condition: condition }))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('answers conditional when the boundary allows only under a condition', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'))],
      permissionsBoundary: policy('boundary', allow('ecr:*', '*', { Condition: condition })),
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('conditional');
  });

  it('treats an empty Condition block as no condition', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', REPO, { Condition: {} }))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('allowed');
  });
});

describe('evaluate: policy variables', () => {
  const byUser = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/\${aws:username}`;

  it('answers conditional for an Allow whose Resource holds a variable that could match', () => {
    // Prepare
    const policies = { identity: [policy('p', allow('ecr:PutImage', byUser))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('conditional');
  });

  it('does not match a variable Resource that cannot match whatever the variable holds', () => {
    // Prepare
    const pattern = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/\${aws:username}`;
    const policies = { identity: [policy('p', allow('ecr:PutImage', pattern))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('answers conditional for a Deny with a variable in NotResource', () => {
    // Prepare
    const policies = {
      identity: [policy('p', allow('ecr:*'), { Effect: 'Deny', Action: 'ecr:*', NotResource: byUser })],
    };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('conditional');
  });

  it('reads ${*} as a literal asterisk, not a wildcard', () => {
    // Prepare
    const pattern = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/\${*}`;
    const policies = { identity: [policy('p', allow('ecr:PutImage', pattern))] };

    // Act
    const decision = decide(push(), policies);

    // Assess
    expect(decision).toBe('implicit-deny');
  });

  it('reads ${…} literally in a document without Version 2012-10-17', () => {
    // Prepare
    const old: NamedPolicy = {
      name: 'p',
      document: { Version: '2008-10-17', Statement: [allow('ecr:PutImage', byUser)] },
    };

    // Act
    const decision = decide(push(), { identity: [old] });

    // Assess
    expect(decision).toBe('implicit-deny');
  });
});

describe('evaluate: malformed policies', () => {
  it('throws InvalidPolicyError naming the policy for an identity statement without Resource', () => {
    // Prepare
    const broken = policy('broken', { Effect: 'Allow', Action: 'ecr:*' });

    // Act
    const act = () => evaluate(push(), { identity: [broken] });

    // Assess
    expect(act).toThrow(InvalidPolicyError);
    expect(act).toThrow(/broken.*statement 0: needs Resource or NotResource/);
  });

  it('throws InvalidPolicyError for a resource-policy statement without a principal', () => {
    // Prepare
    const broken = policy('repository policy', { Effect: 'Deny', Action: 'ecr:*' });

    // Act
    const act = () => evaluate(push(), { identity: [], resourcePolicy: broken });

    // Assess
    expect(act).toThrow(/needs Principal or NotPrincipal/);
  });
});

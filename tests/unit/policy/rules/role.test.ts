import { loadActionCatalog } from '../../../../lib/action-catalog';
import { defaultGuardrails } from '../../../../lib/policy/guardrails';
import type { ManagedPolicy, PolicyDocument, Role } from '../../../../lib/policy/model';
import { managedPolicySchema, roleSchema } from '../../../../lib/policy/model';
import {
  evaluateRoleCanPush,
  requiredPushGrants,
} from '../../../../lib/policy/rules/codebuild/role-can-push';
import {
  evaluateRoleLeastPrivilege,
  type Excess,
} from '../../../../lib/policy/rules/codebuild/role-least-privilege';
import { ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from '../../../../lib/policy/aws-facts';
import { evaluateRoleTrustPolicy } from '../../../../lib/policy/rules/codebuild/role-trust-policy';
import {
  namespaceProblem,
  namespacesFor,
  resolveReference,
  type OutsideReference,
  type ReadNamespace,
} from '../../../../lib/policy/references';
import { awsSample } from '../../../fixtures/load';

const ACCOUNT = '111122223333';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service-role/codebuild-app-service-role`;
const REPO = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`;
const OTHER_REPO = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/other`;
const POWER_USER_ARN = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';

const DOCS_PUSH_STATEMENT = 'codebuild-service-role-ecr-push-statement.current-docs.json';
const POWER_USER = 'iam-managed-policy-AmazonEC2ContainerRegistryPowerUser.json';
const TRUST_POLICY = 'codebuild-service-role-trust-policy.json';

const document = (...statements: Record<string, unknown>[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});
const allow = (action: unknown, resource: unknown = '*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...extra,
});

function role(fields: Record<string, unknown> = {}): Role {
  return roleSchema().parse({ RoleName: 'codebuild-app-service-role', Arn: ROLE_ARN, ...fields });
}
const withInline = (...documents: PolicyDocument[]) =>
  role({ RolePolicyList: documents.map((d, i) => ({ PolicyName: `inline-${i}`, PolicyDocument: d })) });
const attached = (name: string, arn: string) => ({ PolicyName: name, PolicyArn: arn });

function managed(name: string, arn: string, doc: PolicyDocument): ManagedPolicy {
  return managedPolicySchema().parse({
    PolicyName: name,
    Arn: arn,
    DefaultVersionId: 'v1',
    PolicyVersionList: [{ Document: doc, VersionId: 'v1', IsDefaultVersion: true }],
  });
}

/** A role allowed exactly what pushing to REPO (and pulling its cache) needs. */
const NARROW_PUSH = document(
  allow('ecr:GetAuthorizationToken'),
  allow([...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS], REPO),
  allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
);

describe('requiredPushGrants', () => {
  it('asks for the authorization token on "*" and the push and cache-pull actions on the repository', () => {
    // Act
    const grants = requiredPushGrants(REPO, true);

    // Assess
    expect(grants).toEqual([
      { action: 'ecr:GetAuthorizationToken', resource: '*' },
      ...[...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS].map((action) => ({ action, resource: REPO })),
    ]);
  });
});

describe('evaluateRoleCanPush', () => {
  const canPush = (r: Role, fields: Partial<Parameters<typeof evaluateRoleCanPush>[0]> = {}) =>
    evaluateRoleCanPush({ role: r, policies: [], repositoryArn: REPO, requireCachePull: false, ...fields });

  it.each([REPO, OTHER_REPO, `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team/service`])(
    'passes a role with the AWS docs push statement inline for %s',
    (repositoryArn) => {
      // Prepare
      const r = withInline(awsSample<PolicyDocument>(DOCS_PUSH_STATEMENT));

      // Act
      const outcome = canPush(r, { repositoryArn });

      // Assess
      expect(outcome.status).toBe('compliant');
      expect(outcome.details).toMatchObject({ missing: [], conditional: [], repositoryArn });
    },
  );

  it('reports exactly the cache-pull actions missing from the AWS docs push statement when cache pulls are required', () => {
    // Prepare
    const r = withInline(awsSample<PolicyDocument>(DOCS_PUSH_STATEMENT));

    // Act
    const outcome = canPush(r, { requireCachePull: true });

    // Assess
    expect(outcome.status).toBe('violation');
    expect(outcome.details).toMatchObject({ missing: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] });
    expect(outcome.message).toBe(
      `role codebuild-app-service-role cannot push to ${REPO}: missing ecr:BatchGetImage, ecr:GetDownloadUrlForLayer`,
    );
    expect(outcome.remediable).toBe(true);
  });

  it('lists every required action for a role without policies, as remediable', () => {
    // Act
    const outcome = canPush(role());

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      remediable: true,
      details: { missing: ['ecr:GetAuthorizationToken', ...ECR_PUSH_ACTIONS], blocked: [] },
    });
  });

  it('resolves attached managed policies by ARN (AmazonEC2ContainerRegistryPowerUser)', () => {
    // Prepare
    const r = role({
      AttachedManagedPolicies: [attached('AmazonEC2ContainerRegistryPowerUser', POWER_USER_ARN)],
    });
    const policies = [managed('AmazonEC2ContainerRegistryPowerUser', POWER_USER_ARN, awsSample(POWER_USER))];

    // Act
    const outcome = canPush(r, { policies, requireCachePull: true });

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('is not-visible, naming the policy, when an attached managed policy is not in the view', () => {
    // Prepare
    const listed = awsSample<{ AttachedPolicies: { PolicyName: string; PolicyArn: string }[] }>(
      'api-iam-list-attached-role-policies.aws-cli.json',
    );
    const r = role({ AttachedManagedPolicies: listed.AttachedPolicies });

    // Act
    const outcome = canPush(r);

    // Assess
    expect(outcome.status).toBe('not-visible');
    expect(outcome.message).toContain('arn:aws:iam::aws:policy/SecurityAudit');
    expect(outcome.details).toMatchObject({ notVisible: ['arn:aws:iam::aws:policy/SecurityAudit'] });
  });

  it('is not-visible when the permissions boundary is not in the view', () => {
    // Prepare
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;
    const r = role({
      RolePolicyList: [{ PolicyName: 'push', PolicyDocument: NARROW_PUSH }],
      PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: boundaryArn },
    });

    // Act
    const outcome = canPush(r);

    // Assess
    expect(outcome).toMatchObject({ status: 'not-visible', details: { notVisible: [boundaryArn] } });
  });

  it('reports actions the permissions boundary does not allow as blocked, not remediable', () => {
    // Prepare
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/build-boundary`;
    const r = role({
      RolePolicyList: [{ PolicyName: 'push', PolicyDocument: NARROW_PUSH }],
      PermissionsBoundary: { PermissionsBoundaryArn: boundaryArn },
    });
    const boundary = managed(
      'build-boundary',
      boundaryArn,
      document(allow(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'logs:*'])),
    );

    // Act
    const outcome = canPush(r, { policies: [boundary] });

    // Assess
    expect(outcome.status).toBe('violation');
    expect(outcome.remediable).toBe(false);
    expect(outcome.details).toMatchObject({
      missing: ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'],
      blocked: expect.arrayContaining([
        { action: 'ecr:PutImage', by: 'permissions-boundary', statements: ['build-boundary'] },
      ]),
    });
    expect(outcome.message).toContain('blocked by the permissions boundary');
  });

  it('reports an explicit Deny in the repository policy, naming the statement, as not remediable', () => {
    // Prepare
    const r = withInline(NARROW_PUSH);
    const repositoryPolicyText = JSON.stringify(
      document({
        Sid: 'NoPushFromBuilds',
        Effect: 'Deny',
        Principal: { AWS: ROLE_ARN },
        Action: 'ecr:PutImage',
      }),
    );

    // Act
    const outcome = canPush(r, { repositoryPolicyText });

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      remediable: false,
      details: {
        missing: ['ecr:PutImage'],
        blocked: [
          { action: 'ecr:PutImage', by: 'explicit-deny', statements: ['repository policy NoPushFromBuilds'] },
        ],
      },
    });
  });

  it('does not apply the repository policy to ecr:GetAuthorizationToken', () => {
    // Prepare
    const r = withInline(NARROW_PUSH);
    const repositoryPolicyText = JSON.stringify(
      document({ Effect: 'Deny', Principal: '*', Action: 'ecr:*' }),
    );

    // Act
    const outcome = canPush(r, { repositoryPolicyText });

    // Assess
    expect(outcome.details).toMatchObject({ missing: [...ECR_PUSH_ACTIONS] });
  });

  it('is not-visible when the repository policy text is not JSON', () => {
    // Act
    const outcome = canPush(withInline(NARROW_PUSH), { repositoryPolicyText: '{"Statement": [' });

    // Assess
    expect(outcome.status).toBe('not-visible');
    expect(outcome.message).toContain(`repository policy of ${REPO} cannot be read`);
  });

  it('is not-visible, naming the policy, when an inline policy is malformed', () => {
    // Prepare
    const r = withInline(document({ Effect: 'Allow', Action: 'ecr:*' }));

    // Act
    const outcome = canPush(r);

    // Assess
    expect(outcome.status).toBe('not-visible');
    expect(outcome.message).toContain('policy inline-0 is invalid');
  });

  it('passes but lists actions allowed only under a condition', () => {
    // Prepare
    const conditionalPush = document(
      allow('ecr:GetAuthorizationToken'),
      allow(ECR_PUSH_ACTIONS.slice(0, 4), REPO),
      allow('ecr:PutImage', REPO, { Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }),
    );

    // Act
    const outcome = canPush(withInline(conditionalPush));

    // Assess
    expect(outcome.status).toBe('compliant');
    expect(outcome.details).toMatchObject({ missing: [], conditional: ['ecr:PutImage'] });
    expect(outcome.message).toContain('allowed only under conditions: ecr:PutImage');
  });

  it('reports the push actions when the role may push only to another repository', () => {
    // Prepare
    const r = withInline(document(allow('ecr:GetAuthorizationToken'), allow(ECR_PUSH_ACTIONS, OTHER_REPO)));

    // Act
    const outcome = canPush(r);

    // Assess
    expect(outcome.details).toMatchObject({ missing: [...ECR_PUSH_ACTIONS] });
  });

  it('reads only the default version of a managed policy', () => {
    // Prepare
    const arn = `arn:aws:iam::${ACCOUNT}:policy/push`;
    const policy = managedPolicySchema().parse({
      PolicyName: 'push',
      Arn: arn,
      DefaultVersionId: 'v2',
      PolicyVersionList: [
        { Document: NARROW_PUSH, VersionId: 'v1', IsDefaultVersion: false },
        { Document: document(allow('logs:*')), VersionId: 'v2', IsDefaultVersion: true },
      ],
    });

    // Act
    const outcome = canPush(role({ AttachedManagedPolicies: [attached('push', arn)] }), {
      policies: [policy],
    });

    // Assess
    expect(outcome.status).toBe('violation');
  });
});

describe('evaluateRoleLeastPrivilege', () => {
  const leastPrivilege = (r: Role, fields: Partial<Parameters<typeof evaluateRoleLeastPrivilege>[0]> = {}) =>
    evaluateRoleLeastPrivilege({
      role: r,
      policies: [],
      ownRepositoryArn: REPO,
      forbiddenManagedPolicies: [],
      ...fields,
    });
  const excessOf = (outcome: ReturnType<typeof evaluateRoleLeastPrivilege>) =>
    (outcome.details as { excess: Excess[] }).excess;

  it('passes a role allowed only to push to its own repository and write logs', () => {
    // Act
    const outcome = leastPrivilege(withInline(NARROW_PUSH));

    // Assess
    expect(outcome.status).toBe('compliant');
    expect(excessOf(outcome)).toEqual([]);
  });

  it('passes push to one named repository when the own repository is unknown', () => {
    // Act
    const outcome = leastPrivilege(withInline(NARROW_PUSH), { ownRepositoryArn: undefined });

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags the AWS docs push statement, whose Resource "*" reaches every repository', () => {
    // Prepare
    const r = withInline(awsSample<PolicyDocument>(DOCS_PUSH_STATEMENT));

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(excessOf(outcome)).toEqual([
      {
        policy: 'inline-0',
        statement: '#0',
        reason: `allows pushing (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage) to other repositories: * (its own is ${REPO})`,
      },
    ]);
  });

  it('flags AmazonEC2ContainerRegistryPowerUser attached alone, naming the policy and its ARN', () => {
    // Prepare
    const r = role({
      AttachedManagedPolicies: [attached('AmazonEC2ContainerRegistryPowerUser', POWER_USER_ARN)],
    });
    const policies = [managed('AmazonEC2ContainerRegistryPowerUser', POWER_USER_ARN, awsSample(POWER_USER))];

    // Act
    const outcome = leastPrivilege(r, { policies });

    // Assess
    expect(outcome.status).toBe('violation');
    expect(excessOf(outcome)).toEqual([
      expect.objectContaining({
        policy: 'AmazonEC2ContainerRegistryPowerUser',
        policyArn: POWER_USER_ARN,
        statement: '#0',
        reason: expect.stringContaining('to other repositories: *'),
      }),
    ]);
  });

  it('flags push through a wildcard repository pattern that covers more than its own', () => {
    // Prepare
    const r = withInline(
      document(allow(ECR_PUSH_ACTIONS, `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/ap*`)),
    );

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(excessOf(outcome)).toHaveLength(1);
  });

  it('flags push through NotResource, which reaches every repository not listed', () => {
    // Prepare
    const r = withInline(document({ Effect: 'Allow', Action: 'ecr:PutImage', NotResource: OTHER_REPO }));

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(excessOf(outcome)[0]?.reason).toContain(`other repositories: NotResource ${OTHER_REPO}`);
  });

  it('flags destructive ECR actions even on its own repository', () => {
    // Prepare
    const r = withInline(document(allow(['ecr:BatchDeleteImage', 'ecr:PutImage'], REPO, { Sid: 'Cleanup' })));

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(excessOf(outcome)).toEqual([
      {
        policy: 'inline-0',
        statement: 'Cleanup',
        reason: `allows destructive ECR actions (ecr:BatchDeleteImage) on ${REPO}`,
      },
    ]);
  });

  it.each([
    ['AdministratorAccess', 'arn:aws:iam::aws:policy/AdministratorAccess'],
    ['PowerUserAccess', 'arn:aws:iam::aws:policy/PowerUserAccess'],
    ['IAMFullAccess', 'arn:aws-us-gov:iam::aws:policy/IAMFullAccess'],
  ])('flags the administrator-class managed policy %s even when its document is not visible', (name, arn) => {
    // Prepare
    const r = role({ AttachedManagedPolicies: [attached(name, arn)] });

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(excessOf(outcome)).toEqual([
      { policy: name, policyArn: arn, reason: 'administrator-class managed policy attached' },
    ]);
  });

  it('does not take a customer-managed policy named AdministratorAccess for the AWS one', () => {
    // Prepare
    const arn = `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`;
    const r = role({ AttachedManagedPolicies: [attached('AdministratorAccess', arn)] });
    const policies = [managed('AdministratorAccess', arn, NARROW_PUSH)];

    // Act
    const outcome = leastPrivilege(r, { policies });

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each(['team-admin', `arn:aws:iam::${ACCOUNT}:policy/team-admin`])(
    'flags a managed policy listed in forbiddenManagedPolicies as %s',
    (forbidden) => {
      // Prepare
      const arn = `arn:aws:iam::${ACCOUNT}:policy/team-admin`;
      const r = role({ AttachedManagedPolicies: [attached('team-admin', arn)] });

      // Act
      const outcome = leastPrivilege(r, {
        policies: [managed('team-admin', arn, NARROW_PUSH)],
        forbiddenManagedPolicies: [forbidden],
      });

      // Assess
      expect(excessOf(outcome)).toEqual([
        { policy: 'team-admin', policyArn: arn, reason: 'administrator-class managed policy attached' },
      ]);
    },
  );

  it('flags an Allow of every action', () => {
    // Act
    const outcome = leastPrivilege(withInline(document(allow('*'))));

    // Assess
    expect(excessOf(outcome)).toEqual([
      { policy: 'inline-0', statement: '#0', reason: 'grants every action ("*")' },
    ]);
  });

  it('flags an Allow with NotAction', () => {
    // Act
    const outcome = leastPrivilege(
      withInline(document({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })),
    );

    // Assess
    expect(excessOf(outcome)[0]?.reason).toBe('Allow with NotAction grants every action except iam:*');
  });

  it('flags IAM write actions from the iam:* managed policy of the IAM CLI sample', () => {
    // Prepare
    const version = awsSample<{ PolicyVersion: unknown }>('api-iam-get-policy-version.aws-cli.json');
    const arn = `arn:aws:iam::${ACCOUNT}:policy/iam-admin`;
    const policy = managedPolicySchema().parse({
      PolicyName: 'iam-admin',
      Arn: arn,
      PolicyVersionList: [version.PolicyVersion],
    });
    const r = role({ AttachedManagedPolicies: [attached('iam-admin', arn)] });

    // Act
    const outcome = leastPrivilege(r, { policies: [policy] });

    // Assess
    expect(excessOf(outcome).map((e) => e.reason)).toEqual([
      'grants IAM write actions: iam:*',
      'allows iam:PassRole on every role (*)',
    ]);
  });

  it('names the concrete IAM write actions when given the action catalogue', async () => {
    // Prepare
    const actionCatalog = await loadActionCatalog(['iam']);
    const r = withInline(document(allow(['iam:AttachRolePolicy', 'iam:GetRole'])));

    // Act
    const outcome = leastPrivilege(r, { actionCatalog });

    // Assess
    expect(excessOf(outcome).map((e) => e.reason)).toEqual([
      'grants IAM write actions: iam:AttachRolePolicy',
    ]);
  });

  it('passes IAM read actions', () => {
    // Act
    const outcome = leastPrivilege(withInline(document(allow(['iam:Get*', 'iam:List*']))));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each(['iam:PassRole', 'sts:AssumeRole'])('flags %s on every role', (action) => {
    // Act
    const outcome = leastPrivilege(withInline(document(allow(action, `arn:aws:iam::${ACCOUNT}:role/*`))));

    // Assess
    expect(excessOf(outcome).map((e) => e.reason)).toEqual([
      `allows ${action} on every role (arn:aws:iam::${ACCOUNT}:role/*)`,
    ]);
  });

  it.each(['iam:PassRole', 'sts:AssumeRole'])('passes %s on one named role', (action) => {
    // Act
    const outcome = leastPrivilege(
      withInline(document(allow(action, `arn:aws:iam::${ACCOUNT}:role/deploy-app`))),
    );

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('does not flag a service wildcard of a harmless service (logs:*)', () => {
    // Act
    const outcome = leastPrivilege(withInline(document(allow('logs:*'))));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('marks excess granted by a statement with a Condition as conditional', () => {
    // Prepare
    const r = withInline(
      document(allow('*', '*', { Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } })),
    );

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(excessOf(outcome)[0]).toMatchObject({ conditional: true });
  });

  it('judges grants, not effective access: a boundary does not excuse an Allow of every action', () => {
    // Prepare
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const r = role({
      RolePolicyList: [{ PolicyName: 'admin', PolicyDocument: document(allow('*')) }],
      PermissionsBoundary: { PermissionsBoundaryArn: boundaryArn },
    });

    // Act
    const outcome = leastPrivilege(r, { policies: [managed('boundary', boundaryArn, NARROW_PUSH)] });

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('notes unknown actions without making them a violation', async () => {
    // Prepare
    const actionCatalog = await loadActionCatalog(['ecr', 'logs']);
    const r = withInline(
      document(allow('ecr:GetAuthorizationToken'), allow(['ecr:PutImages', 'ecr:PutImage'], REPO)),
    );

    // Act
    const outcome = leastPrivilege(r, { actionCatalog });

    // Assess
    expect(outcome.status).toBe('compliant');
    expect(outcome.details).toMatchObject({
      unknownActions: [{ policy: 'inline-0', action: 'ecr:PutImages' }],
    });
    expect(outcome.message).toContain('unknown actions: ecr:PutImages (inline-0)');
  });

  it('leaves unknownActions out when no catalogue is given', () => {
    // Act
    const outcome = leastPrivilege(withInline(NARROW_PUSH));

    // Assess
    expect(outcome.details).not.toHaveProperty('unknownActions');
  });

  it('is not-visible when nothing visible is excess but an attached policy cannot be read', () => {
    // Prepare
    const arn = `arn:aws:iam::${ACCOUNT}:policy/unknown`;
    const r = role({
      RolePolicyList: [{ PolicyName: 'push', PolicyDocument: NARROW_PUSH }],
      AttachedManagedPolicies: [attached('unknown', arn)],
    });

    // Act
    const outcome = leastPrivilege(r);

    // Assess
    expect(outcome).toMatchObject({ status: 'not-visible', details: { notVisible: [arn] } });
  });
});

describe('evaluateRoleLeastPrivilege: references outside the namespaces', () => {
  const AT = { partition: 'aws', region: 'us-east-1', accountId: ACCOUNT };
  const NAMESPACES = namespacesFor(defaultGuardrails().provisioning, 'app');
  /** A reference of project `app`, resolved, as outsideReferences reports it. */
  function outside(
    kind: 'parameter' | 'secret',
    value: string,
    location = 'environmentVariables[X]',
  ): OutsideReference {
    const reference = resolveReference(kind, value, AT)!;
    return {
      kind,
      value,
      location,
      project: 'app',
      reference,
      problem: namespaceProblem(reference, NAMESPACES, AT)!,
    };
  }
  const leastPrivilege = (r: Role, references: OutsideReference[], policies: ManagedPolicy[] = []) =>
    evaluateRoleLeastPrivilege({
      role: r,
      policies,
      ownRepositoryArn: REPO,
      forbiddenManagedPolicies: [],
      outsideReferences: references,
    });
  const excessOf = (outcome: ReturnType<typeof evaluateRoleLeastPrivilege>) =>
    (outcome.details as { excess: Excess[] }).excess;
  const PARAMETER = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod/db/password`;
  const SECRET_BY_NAME = 'prod/stripe';

  it('flags a parameter outside the namespaces that the role can read, naming project, place and allowed prefixes', () => {
    // Prepare
    const r = withInline(
      NARROW_PUSH,
      document(allow('ssm:GetParameters', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/*`)),
    );

    // Act
    const outcome = leastPrivilege(r, [
      outside('parameter', '/prod/db/password', 'buildspec env.parameter-store.DB'),
    ]);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(excessOf(outcome)).toEqual([
      {
        policy: 'inline-1',
        statement: '#0',
        reason:
          'can read parameter /prod/db/password (ssm:GetParameters), which project app references in ' +
          "buildspec env.parameter-store.DB and which is outside the project's namespaces (allowed parameter prefixes: /ci/app/)",
      },
    ]);
  });

  it('passes when the role cannot read the reference (the build fails, nothing leaks)', () => {
    // Prepare
    const r = withInline(
      NARROW_PUSH,
      document(allow('ssm:GetParameters', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ci/app/*`)),
    );

    // Act
    const outcome = leastPrivilege(r, [outside('parameter', '/prod/db/password')]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('passes when the permissions boundary keeps the role from reading it', () => {
    // Prepare
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const boundary = managed(
      'boundary',
      boundaryArn,
      document(
        allow(['ecr:*', 'logs:*']),
        allow('ssm:GetParameters', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ci/*`),
      ),
    );
    const r = role({
      RolePolicyList: [{ PolicyName: 'wide', PolicyDocument: document(allow('ssm:GetParameters')) }],
      PermissionsBoundary: {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: boundaryArn,
      },
    });

    // Act
    const outcome = leastPrivilege(r, [outside('parameter', '/prod/db/password')], [boundary]);

    // Assess
    expect(excessOf(outcome)).toEqual([]);
  });

  it('passes when an explicit Deny keeps the role from reading it', () => {
    // Prepare
    const r = withInline(
      NARROW_PUSH,
      document(allow('ssm:GetParameters'), { Effect: 'Deny', Action: 'ssm:*', Resource: PARAMETER }),
    );

    // Act
    const outcome = leastPrivilege(r, [outside('parameter', '/prod/db/password')]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it.each([
    [
      'the exact ARN with its random suffix',
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/stripe-Xy12Ab`,
    ],
    ['the name and a wildcard suffix', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/stripe-*`],
    [
      'the six-character suffix wildcard',
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/stripe-??????`,
    ],
    ['a wildcard before a known suffix', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/*-Xy12Ab`],
    ['every secret', '*'],
  ])('flags a secret known by name that the role can read through %s', (_what, resource) => {
    // Prepare
    const r = withInline(NARROW_PUSH, document(allow('secretsmanager:GetSecretValue', resource)));

    // Act
    const outcome = leastPrivilege(r, [outside('secret', `${SECRET_BY_NAME}:api-key`)]);

    // Assess
    expect(excessOf(outcome)).toEqual([
      expect.objectContaining({
        policy: 'inline-1',
        reason: expect.stringMatching(/^can read secret prod\/stripe \(secretsmanager:GetSecretValue\)/),
      }),
    ]);
  });

  it.each([
    [
      'another secret with the same start',
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/stripe-live-Xy12Ab`,
    ],
    ['its own namespace only', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ci/app/*`],
  ])('passes a secret known by name when the role can read only %s', (_what, resource) => {
    // Prepare
    const r = withInline(NARROW_PUSH, document(allow('secretsmanager:GetSecretValue', resource)));

    // Act
    const outcome = leastPrivilege(r, [outside('secret', SECRET_BY_NAME)]);

    // Assess
    expect(excessOf(outcome)).toEqual([]);
  });

  it('marks a read allowed only under a condition as conditional', () => {
    // Prepare
    const r = withInline(
      NARROW_PUSH,
      document(
        allow('ssm:GetParameters', '*', { Condition: { StringEquals: { 'aws:ResourceTag/team': 'app' } } }),
      ),
    );

    // Act
    const outcome = leastPrivilege(r, [outside('parameter', '/prod/db/password')]);

    // Assess
    expect(excessOf(outcome)).toEqual([expect.objectContaining({ conditional: true })]);
  });

  it('flags a parameter in another account that the role can read', () => {
    // Prepare
    const r = withInline(NARROW_PUSH, document(allow('ssm:GetParameters')));
    const value = `arn:aws:ssm:us-east-1:999988887777:parameter/ci/app/token`;

    // Act
    const outcome = leastPrivilege(r, [outside('parameter', value)]);

    // Assess
    expect(excessOf(outcome)[0]?.reason).toMatch(
      /is in another account or region: only 111122223333 in us-east-1 is allowed$/,
    );
  });
});

describe('evaluateRoleLeastPrivilege: parameter and secret reads beyond the namespaces', () => {
  const PARAMETERS = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter`;
  const SECRETS = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret`;
  const NAMESPACES: ReadNamespace[] = [
    {
      kind: 'parameter',
      arnPrefixes: [`${PARAMETERS}/ci/app/`],
      allowed: 'allowed parameter prefixes: /ci/app/',
    },
    { kind: 'secret', arnPrefixes: [`${SECRETS}:ci/app/`], allowed: 'allowed secret prefixes: ci/app/' },
  ];
  const leastPrivilege = (...statements: Record<string, unknown>[]) =>
    evaluateRoleLeastPrivilege({
      role: withInline(NARROW_PUSH, document(...statements)),
      policies: [],
      ownRepositoryArn: REPO,
      forbiddenManagedPolicies: [],
      readNamespaces: NAMESPACES,
    });
  const reasonsOf = (outcome: ReturnType<typeof evaluateRoleLeastPrivilege>) =>
    (outcome.details as { excess: Excess[] }).excess.map((e) => e.reason);

  it.each([
    [
      'exact parameters inside',
      allow('ssm:GetParameters', [`${PARAMETERS}/ci/app/a`, `${PARAMETERS}/ci/app/b`]),
    ],
    ['a wildcard inside', allow('ssm:GetParameters', `${PARAMETERS}/ci/app/*`)],
    [
      'a secret name with its suffix wildcard',
      allow('secretsmanager:GetSecretValue', `${SECRETS}:ci/app/token-??????`),
    ],
    [
      'an exact secret outside (judged only when a project references it)',
      allow('secretsmanager:GetSecretValue', `${SECRETS}:prod/db-AbC123`),
    ],
    ['other SSM actions on everything', allow('ssm:DescribeParameters')],
  ])('passes %s', (_what, statement) => {
    expect(reasonsOf(leastPrivilege(statement))).toEqual([]);
  });

  it.each([
    [
      'every parameter',
      allow('ssm:GetParameter', '*'),
      `allows reading parameters (ssm:GetParameter) beyond the namespaces of its projects (allowed parameter prefixes: /ci/app/): *`,
    ],
    [
      'a path above the namespace',
      allow('ssm:GetParameters', `${PARAMETERS}/ci/*`),
      `allows reading parameters (ssm:GetParameters) beyond the namespaces of its projects (allowed parameter prefixes: /ci/app/): ${PARAMETERS}/ci/*`,
    ],
    [
      'GetParametersByPath on a path above the namespace',
      allow('ssm:GetParametersByPath', `${PARAMETERS}/ci`),
      `allows reading parameters (ssm:GetParametersByPath) beyond the namespaces of its projects (allowed parameter prefixes: /ci/app/): ${PARAMETERS}/ci`,
    ],
    [
      'ssm:* on every parameter',
      allow('ssm:*', `${PARAMETERS}/*`),
      `allows reading parameters (ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath) beyond the namespaces of its projects (allowed parameter prefixes: /ci/app/): ${PARAMETERS}/*`,
    ],
    [
      'every secret but one',
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', NotResource: `${SECRETS}:admin-AbC123` },
      `allows reading secrets (secretsmanager:GetSecretValue) beyond the namespaces of its projects (allowed secret prefixes: ci/app/): NotResource ${SECRETS}:admin-AbC123`,
    ],
  ])('flags %s', (_what, statement, reason) => {
    expect(reasonsOf(leastPrivilege(statement))).toEqual([reason]);
  });
});

describe('evaluateRoleTrustPolicy', () => {
  const trustPolicy = () => awsSample<{ Statement: Record<string, unknown>[] }>(TRUST_POLICY);
  const withCondition = (condition: Record<string, unknown>) => {
    const policy = trustPolicy();
    policy.Statement[0]!.Condition = condition;
    return policy;
  };

  it('flags the AWS docs trust policy, which has no aws:SourceAccount or aws:SourceArn condition', () => {
    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: trustPolicy() }));

    // Assess
    expect(outcome).toMatchObject({
      status: 'violation',
      remediable: false,
      details: {
        problems: [
          {
            statement: '#0',
            reason: 'allows sts:AssumeRole without an aws:SourceAccount or aws:SourceArn condition',
          },
        ],
      },
    });
  });

  it('passes the AWS docs trust policy with an aws:SourceAccount condition added', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('accepts aws:SourceArn under any operator and in any letter case', () => {
    // Prepare
    const policy = withCondition({
      ArnLike: { 'AWS:SourceArn': `arn:aws:codebuild:us-east-1:${ACCOUNT}:project/*` },
    });

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('does not accept an unrelated condition key', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:PrincipalAccount': ACCOUNT } });

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.status).toBe('violation');
  });

  it('reads a URL-encoded trust policy as the IAM API returns it', () => {
    // Prepare
    const encoded = encodeURIComponent(
      JSON.stringify(withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } })),
    );

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: encoded }));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('flags a trust policy that also trusts another principal', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    policy.Statement[0]!.Principal = {
      Service: 'codebuild.amazonaws.com',
      AWS: `arn:aws:iam::${ACCOUNT}:root`,
    };

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.details).toEqual({
      problems: [
        {
          statement: '#0',
          reason: `trusts principals other than codebuild.amazonaws.com: AWS arn:aws:iam::${ACCOUNT}:root`,
        },
      ],
    });
  });

  it('flags a trust policy that trusts every principal', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    policy.Statement[0]!.Principal = '*';

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.message).toContain('trusts every principal ("*")');
  });

  it('flags a role CodeBuild cannot assume', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    policy.Statement[0]!.Principal = { Service: 'ec2.amazonaws.com' };

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.message).toContain('does not let codebuild.amazonaws.com assume the role');
  });

  it('does not judge Deny statements', () => {
    // Prepare
    const policy = withCondition({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    policy.Statement.push({
      Effect: 'Deny',
      Principal: '*',
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });

    // Act
    const outcome = evaluateRoleTrustPolicy(role({ AssumeRolePolicyDocument: policy }));

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('is not-visible without a trust policy', () => {
    // Act
    const outcome = evaluateRoleTrustPolicy(role());

    // Assess
    expect(outcome.status).toBe('not-visible');
  });
});

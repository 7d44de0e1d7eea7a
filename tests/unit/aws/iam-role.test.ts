/**
 * IamIdentity (IAM adapter, read side): one role with its inline policies, attached managed policies and permissions
 * boundary (single-role reads, for change events), and the whole account through GetAccountAuthorizationDetails.
 * SDK responses are built from the official AWS CLI samples; the SDK returns policy documents URL-encoded and
 * timestamps as Date objects, so the builders below do the same.
 */
import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  ServiceFailureException,
  type GetPolicyVersionResponse,
  type ListAttachedRolePoliciesResponse,
  type ListRolePoliciesResponse,
  type Role as SdkRole,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IamIdentity, iamReadActions, iamRoleReadActions } from '../../../lib/aws/iam';
import { IAM_PAGE_MAX } from '../../../lib/policy/aws-facts';
import { awsSample } from '../../fixtures/load';
import { SdkGate } from '../../fixtures/sdk-gate';
import { UnreadableError } from '../../../lib/ports';

const iamMock = mockClient(IAMClient);

const ACCOUNT = '123456789012';
const ROLE_NAME = 'web-build-role';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service-role/${ROLE_NAME}`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/ci-boundary`;

type PolicyDocument = { Version: string; Statement: unknown[] };

/** As the IAM API returns policy documents: RFC 3986 URL-encoded JSON. */
const urlEncoded = (document: object) => encodeURIComponent(JSON.stringify(document));

/** The official `aws iam list-role-policies` sample (PolicyNames: ExamplePolicy). */
const listRolePoliciesSample = () =>
  awsSample<ListRolePoliciesResponse>('api-iam-list-role-policies.aws-cli.json');

/** The official `aws iam list-attached-role-policies` sample (SecurityAudit). */
const listAttachedSample = () =>
  awsSample<ListAttachedRolePoliciesResponse>('api-iam-list-attached-role-policies.aws-cli.json');

/** The official `aws iam get-policy-version` sample, CLI-shaped (decoded document, ISO date). */
const getPolicyVersionSample = () =>
  awsSample<{
    PolicyVersion: {
      Document: PolicyDocument;
      VersionId: string;
      IsDefaultVersion: boolean;
      CreateDate: string;
    };
  }>('api-iam-get-policy-version.aws-cli.json');

/** The sample's policy version as the SDK returns it. */
function sdkPolicyVersion(): GetPolicyVersionResponse {
  const { PolicyVersion } = getPolicyVersionSample();
  return {
    PolicyVersion: {
      ...PolicyVersion,
      Document: urlEncoded(PolicyVersion.Document),
      CreateDate: new Date(PolicyVersion.CreateDate),
    },
  };
}

/** The inline policy document the tests give ExamplePolicy. */
const INLINE_DOCUMENT: PolicyDocument = awsSample(
  'codebuild-service-role-ecr-push-statement.current-docs.json',
);

const TRUST_POLICY: PolicyDocument = awsSample('codebuild-service-role-trust-policy.json');

function sdkRole(overrides: Partial<SdkRole> = {}): SdkRole {
  return {
    Path: '/service-role/',
    RoleName: ROLE_NAME,
    RoleId: 'AROAWEBBUILDROLEXXXXX',
    Arn: ROLE_ARN,
    CreateDate: new Date('2026-02-11T12:00:00Z'),
    AssumeRolePolicyDocument: urlEncoded(TRUST_POLICY),
    ...overrides,
  };
}

const policyArnOf = () => listAttachedSample().AttachedPolicies![0]!.PolicyArn!;

/** A role with the sample's inline policy and attached policy, each managed policy at default version v2. */
function givenRole(role: SdkRole = sdkRole()): void {
  iamMock.on(GetRoleCommand, { RoleName: ROLE_NAME }).resolves({ Role: role });
  iamMock.on(ListRolePoliciesCommand).resolves(listRolePoliciesSample());
  iamMock.on(GetRolePolicyCommand).callsFake((input: { RoleName: string; PolicyName: string }) => ({
    RoleName: input.RoleName,
    PolicyName: input.PolicyName,
    PolicyDocument: urlEncoded(INLINE_DOCUMENT),
  }));
  iamMock.on(ListAttachedRolePoliciesCommand).resolves(listAttachedSample());
  iamMock.on(GetPolicyCommand).callsFake((input: { PolicyArn: string }) => ({
    Policy: {
      PolicyName: input.PolicyArn.split('/').pop(),
      Arn: input.PolicyArn,
      DefaultVersionId: 'v2',
      AttachmentCount: 1,
      IsAttachable: true,
    },
  }));
  iamMock.on(GetPolicyVersionCommand).resolves(sdkPolicyVersion());
}

/** The IAM actions of the commands sent so far. */
function sentActions(): string[] {
  return iamMock.calls().map((call) => `iam:${call.args[0].constructor.name.replace(/Command$/, '')}`);
}

beforeEach(() => {
  iamMock.reset();
});

describe('IamIdentity.role', () => {
  it('returns undefined when GetRole says NoSuchEntity, whatever the lists sent with it answered', async () => {
    // Prepare
    const noSuchEntity = () =>
      new NoSuchEntityException({
        message: `The role with name ${ROLE_NAME} cannot be found.`,
        $metadata: {},
      });
    iamMock.on(GetRoleCommand).rejects(noSuchEntity());
    iamMock.on(ListRolePoliciesCommand).rejects(noSuchEntity());
    iamMock.on(ListAttachedRolePoliciesCommand).rejects(noSuchEntity());

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found).toBeUndefined();
    expect(sentActions().sort()).toEqual([
      'iam:GetRole',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
    ]);
  });

  it('rethrows any other GetRole error', async () => {
    // Prepare
    iamMock
      .on(GetRoleCommand)
      .rejects(new ServiceFailureException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new IamIdentity().role(ROLE_NAME);

    // Assess
    await expect(reading).rejects.toThrow(ServiceFailureException);
  });

  it('returns the role with its identity fields and an ISO creation date', async () => {
    // Prepare
    givenRole();

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role).toMatchObject({
      RoleName: ROLE_NAME,
      Arn: ROLE_ARN,
      Path: '/service-role/',
      CreateDate: '2026-02-11T12:00:00.000Z',
    });
  });

  it('decodes the URL-encoded trust policy', async () => {
    // Prepare
    givenRole();

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role.AssumeRolePolicyDocument).toEqual(TRUST_POLICY);
  });

  it('reads each inline policy named by ListRolePolicies with GetRolePolicy', async () => {
    // Prepare
    givenRole();

    // Act
    await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(ListRolePoliciesCommand, { RoleName: ROLE_NAME });
    expect(iamMock).toHaveReceivedCommandTimes(GetRolePolicyCommand, 1);
    expect(iamMock).toHaveReceivedCommandWith(GetRolePolicyCommand, {
      RoleName: ROLE_NAME,
      PolicyName: 'ExamplePolicy',
    });
  });

  it('returns the inline policies with their URL-encoded documents decoded', async () => {
    // Prepare
    givenRole();

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role.RolePolicyList).toEqual([
      { PolicyName: 'ExamplePolicy', PolicyDocument: INLINE_DOCUMENT },
    ]);
  });

  it('follows ListRolePolicies pages (Marker) and reads the inline policies of every page', async () => {
    // Prepare
    givenRole();
    iamMock
      .on(ListRolePoliciesCommand)
      .resolves({ PolicyNames: ['first'], IsTruncated: true, Marker: 'page-2' })
      .on(ListRolePoliciesCommand, { RoleName: ROLE_NAME, Marker: 'page-2' })
      .resolves({ PolicyNames: ['second'], IsTruncated: false });

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role.RolePolicyList.map((p) => p.PolicyName)).toEqual(['first', 'second']);
  });

  it('returns the attached managed policies as ListAttachedRolePolicies names them', async () => {
    // Prepare
    givenRole();

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role.AttachedManagedPolicies).toEqual([
      { PolicyName: 'SecurityAudit', PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
    ]);
  });

  it('follows ListAttachedRolePolicies pages (Marker)', async () => {
    // Prepare
    givenRole();
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .resolves({
        AttachedPolicies: listAttachedSample().AttachedPolicies,
        IsTruncated: true,
        Marker: 'page-2',
      })
      .on(ListAttachedRolePoliciesCommand, { RoleName: ROLE_NAME, Marker: 'page-2' })
      .resolves({
        AttachedPolicies: [{ PolicyName: 'ci-extra', PolicyArn: BOUNDARY_ARN }],
        IsTruncated: false,
      });

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.role.AttachedManagedPolicies.map((p) => p.PolicyArn)).toEqual([
      policyArnOf(),
      BOUNDARY_ARN,
    ]);
  });

  it("resolves each attached managed policy's default version with GetPolicy and GetPolicyVersion", async () => {
    // Prepare
    givenRole();

    // Act
    await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyCommand, { PolicyArn: policyArnOf() });
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyVersionCommand, {
      PolicyArn: policyArnOf(),
      VersionId: 'v2',
    });
  });

  it('returns the managed policy with its default version document decoded', async () => {
    // Prepare
    givenRole();

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.policies).toEqual([
      expect.objectContaining({
        PolicyName: 'SecurityAudit',
        Arn: policyArnOf(),
        DefaultVersionId: 'v2',
        PolicyVersionList: [
          {
            Document: getPolicyVersionSample().PolicyVersion.Document,
            VersionId: 'v2',
            IsDefaultVersion: true,
          },
        ],
      }),
    ]);
  });

  it('fetches the permissions boundary policy and returns it with the managed policies', async () => {
    // Prepare
    givenRole(
      sdkRole({
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: BOUNDARY_ARN,
        },
      }),
    );

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyCommand, { PolicyArn: BOUNDARY_ARN });
    expect(found?.role.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: BOUNDARY_ARN,
    });
    expect(found?.policies.map((p) => p.Arn).sort()).toEqual([BOUNDARY_ARN, policyArnOf()].sort());
  });

  it('reads a policy that is both attached and the boundary once', async () => {
    // Prepare
    givenRole(
      sdkRole({
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: policyArnOf(),
        },
      }),
    );

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 1);
    expect(found?.policies).toHaveLength(1);
  });

  it('leaves out a managed policy that no longer exists (GetPolicy NoSuchEntity)', async () => {
    // Prepare
    givenRole();
    iamMock
      .on(GetPolicyCommand)
      .rejects(new NoSuchEntityException({ message: 'Policy does not exist', $metadata: {} }));

    // Act
    const found = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(found?.policies).toEqual([]);
    expect(iamMock).not.toHaveReceivedCommand(GetPolicyVersionCommand);
  });

  it('returns a managed policy whose GetPolicy answer lacks PolicyName as unreadable, not a failed read', async () => {
    // Prepare
    givenRole();
    iamMock.on(GetPolicyCommand).callsFake((input: { PolicyArn: string }) => ({
      Policy: { Arn: input.PolicyArn, DefaultVersionId: 'v2', AttachmentCount: 1, IsAttachable: true },
    }));

    // Act
    const read = await new IamIdentity().role(ROLE_NAME);

    // Assess
    expect(read!.role.unreadable).toBeUndefined();
    expect(read!.policies).toEqual([
      expect.objectContaining({
        Arn: policyArnOf(),
        unreadable: expect.objectContaining({
          call: 'iam:GetPolicyVersion',
          error: expect.stringMatching(/^PolicyName: /),
        }),
      }),
    ]);
  });

  it('rethrows any other error while reading a managed policy', async () => {
    // Prepare
    givenRole();
    iamMock
      .on(GetPolicyVersionCommand)
      .rejects(new ServiceFailureException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new IamIdentity().role(ROLE_NAME);

    // Assess
    await expect(reading).rejects.toThrow(ServiceFailureException);
  });
});

describe('IamIdentity.role: rounds of calls', () => {
  it('has GetRole, ListRolePolicies and ListAttachedRolePolicies in flight together', async () => {
    // Prepare: the three first calls record that they were sent and answer only once the gate opens
    givenRole();
    const gate = new SdkGate();
    iamMock.on(GetRoleCommand).callsFake(gate.answer('GetRole', () => ({ Role: sdkRole() })));
    iamMock.on(ListRolePoliciesCommand).callsFake(gate.answer('ListRolePolicies', listRolePoliciesSample));
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .callsFake(gate.answer('ListAttachedRolePolicies', listAttachedSample));

    // Act
    const { inFlight, result: found } = await gate.inFlight(() => new IamIdentity().role(ROLE_NAME), 3);

    // Assess
    expect(inFlight).toEqual(['GetRole', 'ListAttachedRolePolicies', 'ListRolePolicies']);
    expect(found?.role.Arn).toBe(ROLE_ARN);
    expect(found?.role.RolePolicyList.map((p) => p.PolicyName)).toEqual(['ExamplePolicy']);
  });

  it('with several failures in the first round, fails with the first in call order', async () => {
    // Prepare: GetRole fails after the lists did
    givenRole();
    iamMock.on(GetRoleCommand).callsFake(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new ServiceFailureException({ message: 'internal failure', $metadata: {} });
    });
    iamMock.on(ListRolePoliciesCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const reading = new IamIdentity().role(ROLE_NAME);

    // Assess
    await expect(reading).rejects.toThrow(ServiceFailureException);
  });

  it('has GetRolePolicy and GetPolicy in flight together', async () => {
    // Prepare: the inline document and the managed policy record that they were sent and wait for the gate
    givenRole();
    const gate = new SdkGate();
    iamMock.on(GetRolePolicyCommand).callsFake(
      gate.answer('GetRolePolicy', (input: { RoleName: string; PolicyName: string }) => ({
        ...input,
        PolicyDocument: urlEncoded(INLINE_DOCUMENT),
      })),
    );
    iamMock.on(GetPolicyCommand).callsFake(
      gate.answer('GetPolicy', (input: { PolicyArn: string }) => ({
        Policy: {
          PolicyName: input.PolicyArn.split('/').pop(),
          Arn: input.PolicyArn,
          DefaultVersionId: 'v2',
        },
      })),
    );

    // Act
    const { inFlight } = await gate.inFlight(() => new IamIdentity().role(ROLE_NAME), 2);

    // Assess
    expect(inFlight).toEqual(['GetPolicy', 'GetRolePolicy']);
  });
});

describe('IamIdentity.authorizationDetails', () => {
  const roleDetail = (name: string) => ({
    Path: '/service-role/',
    RoleName: name,
    RoleId: `AROA${name.toUpperCase().replace(/-/g, '')}`,
    Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`,
    CreateDate: new Date('2026-02-11T12:00:00Z'),
    AssumeRolePolicyDocument: urlEncoded(TRUST_POLICY),
    RolePolicyList: [{ PolicyName: 'build', PolicyDocument: urlEncoded(INLINE_DOCUMENT) }],
    AttachedManagedPolicies: [],
  });
  const policyDetail = () => {
    const { PolicyVersion } = getPolicyVersionSample();
    return {
      PolicyName: 'SecurityAudit',
      Arn: policyArnOf(),
      DefaultVersionId: 'v2',
      PolicyVersionList: [
        {
          Document: urlEncoded(PolicyVersion.Document),
          VersionId: 'v2',
          IsDefaultVersion: true,
          CreateDate: new Date(PolicyVersion.CreateDate),
        },
      ],
    };
  };

  function givenTwoPages(): void {
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolves({
        RoleDetailList: [roleDetail('web-build-role')],
        Policies: [],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: 'page-2' })
      .resolves({
        RoleDetailList: [roleDetail('data-build-role')],
        Policies: [policyDetail()],
        IsTruncated: false,
      });
  }

  it('asks for roles and managed policies, MaxItems 1000, and follows Marker while IsTruncated', async () => {
    // Prepare
    givenTwoPages();

    // Act
    await new IamIdentity().authorizationDetails();

    // Assess
    expect(IAM_PAGE_MAX).toBe(1000);
    const inputs = iamMock.commandCalls(GetAccountAuthorizationDetailsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'], MaxItems: 1000 },
      { Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'], MaxItems: 1000, Marker: 'page-2' },
    ]);
  });

  it('returns the roles and policies of every page, documents decoded', async () => {
    // Prepare
    givenTwoPages();

    // Act
    const details = await new IamIdentity().authorizationDetails();

    // Assess
    expect(details.roles.map((r) => r.RoleName)).toEqual(['web-build-role', 'data-build-role']);
    expect(details.roles[0]!.RolePolicyList[0]!.PolicyDocument).toEqual(INLINE_DOCUMENT);
    expect(details.policies.map((p) => p.PolicyVersionList[0]!.Document)).toEqual([
      getPolicyVersionSample().PolicyVersion.Document,
    ]);
  });

  it('stops when IsTruncated is false even if a Marker is present', async () => {
    // Prepare
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolves({ RoleDetailList: [roleDetail('web-build-role')], IsTruncated: false, Marker: 'stale' });

    // Act
    const details = await new IamIdentity().authorizationDetails();

    // Assess
    expect(iamMock).toHaveReceivedCommandTimes(GetAccountAuthorizationDetailsCommand, 1);
    expect(details.roles).toHaveLength(1);
  });

  it('keeps a managed policy without PolicyName as unreadable, naming the field, and reads the rest', async () => {
    // Prepare
    const { PolicyName: _omitted, ...withoutName } = policyDetail();
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({
      RoleDetailList: [roleDetail('web-build-role')],
      Policies: [withoutName, { ...policyDetail(), Arn: `arn:aws:iam::${ACCOUNT}:policy/other` }],
      IsTruncated: false,
    });

    // Act
    const details = await new IamIdentity().authorizationDetails();

    // Assess
    expect(details.roles.map((r) => r.RoleName)).toEqual(['web-build-role']);
    const [unreadable, readable] = details.policies;
    expect(unreadable).toMatchObject({
      Arn: policyArnOf(),
      PolicyVersionList: [],
      unreadable: {
        call: 'iam:GetAccountAuthorizationDetails',
        error: expect.stringMatching(/^PolicyName: /),
        object: expect.objectContaining({ Arn: policyArnOf() }),
      },
    });
    expect(unreadable!.unreadable!.error).not.toMatch(/\n/);
    expect(readable!.unreadable).toBeUndefined();
    expect(readable!.PolicyVersionList).toHaveLength(1);
  });

  it('keeps a role whose inline policy document is not JSON as unreadable, naming the field', async () => {
    // Prepare
    const broken = {
      ...roleDetail('data-build-role'),
      RolePolicyList: [{ PolicyName: 'p', PolicyDocument: '%7Boops' }],
    };
    iamMock.on(GetAccountAuthorizationDetailsCommand).resolves({
      RoleDetailList: [roleDetail('web-build-role'), broken],
      Policies: [],
      IsTruncated: false,
    });

    // Act
    const details = await new IamIdentity().authorizationDetails();

    // Assess
    expect(details.roles[0]!.unreadable).toBeUndefined();
    expect(details.roles[1]).toMatchObject({
      RoleName: 'data-build-role',
      Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/data-build-role`,
      RolePolicyList: [],
      AttachedManagedPolicies: [],
      unreadable: {
        call: 'iam:GetAccountAuthorizationDetails',
        error: 'RolePolicyList[0].PolicyDocument: policy document is not valid JSON',
      },
    });
  });

  it('fails on an error from GetAccountAuthorizationDetails, naming the call and the error', async () => {
    // Prepare
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .rejects(new ServiceFailureException({ message: 'internal failure', $metadata: {} }));

    // Act
    const reading = new IamIdentity().authorizationDetails();

    // Assess
    await expect(reading).rejects.toThrow(UnreadableError);
    await expect(reading).rejects.toThrow(
      'iam:GetAccountAuthorizationDetails: ServiceFailureException: internal failure',
    );
  });
});

describe('declared IAM read actions', () => {
  it('equal iamReadActions ∪ iamRoleReadActions: the commands a role read and an account read send', async () => {
    // Prepare
    givenRole(
      sdkRole({
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: BOUNDARY_ARN,
        },
      }),
    );
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolves({ RoleDetailList: [], Policies: [], IsTruncated: false });
    const identity = new IamIdentity();

    // Act
    await identity.role(ROLE_NAME);
    await identity.authorizationDetails();

    // Assess
    expect([...new Set(sentActions())].sort()).toEqual([...iamReadActions, ...iamRoleReadActions].sort());
  });
});

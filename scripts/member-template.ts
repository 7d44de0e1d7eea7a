/**
 * The member-account CloudFormation template (deploy/member-account.yml), built from the data it must agree
 * with: the actions the hub's functions call in a member account and the hub roles they run as
 * (lib/runtime/member-actions.ts), the event patterns the hub subscribes to (lib/events/forwarding.ts), the
 * administrator-class policies remediation may detach, and the provisioned roles' boundary (from the guardrails
 * file, as serverless.yml builds the hub's). `npm run member-template` writes the file
 * (scripts/generate-member-template.ts); tests/unit/deploy/member-template.test.ts checks that the committed
 * file is what this module builds and what the built template allows.
 *
 * One template for every Region of every member account (a CloudFormation StackSet with service-managed
 * permissions): account-wide (IAM) resources are created only in the GlobalRegion parameter's Region, where
 * IAM's events are delivered too; the forwarding of regional events exists in every Region.
 */
import path from 'node:path';
import YAML from 'yaml';
import { forwardedPatterns, type ForwardedPattern } from '../lib/events/forwarding';
import { provisionedRoleBoundary } from '../lib/policy/boundary';
import type { Guardrails } from '../lib/policy/guardrails';
import { ADMIN_CLASS_MANAGED_POLICIES } from '../lib/policy/rules/codebuild/role-least-privilege';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  functionsActingInMembers,
  hubEventBusName,
  hubRoleName,
  memberActions,
  type HubFunction,
} from '../lib/runtime/member-actions';
import { MEMBER_BOUNDARY_POLICY_PREFIX } from '../lib/policy/organization-targets';

export const MEMBER_TEMPLATE_FILE = 'deploy/member-account.yml';
const REPO_ROOT = path.resolve(__dirname, '..');

/** Name prefix of the provisioned roles' boundary policy: one per Region, `<prefix><region>`. */
export { MEMBER_BOUNDARY_POLICY_PREFIX };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
}

const sub = (text: string) => ({ 'Fn::Sub': text });
const noValue = { Ref: 'AWS::NoValue' };

// The member role is one per account and acts in every Region: Regions in its resources are `*`.
const REPOSITORIES = sub('arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*');
const PROJECTS = sub('arn:${AWS::Partition}:codebuild:*:${AWS::AccountId}:project/*');
const ROLES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*');
const REMEDIABLE_ROLES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RemediableRoles}');
const BUILD_ROLES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/buildwarden-*');
const CUSTOMER_POLICIES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*');
const MANAGED_POLICIES = [CUSTOMER_POLICIES, sub('arn:${AWS::Partition}:iam::aws:policy/*')];
const KEYS = sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*');
const BOUNDARIES = sub(
  `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/${MEMBER_BOUNDARY_POLICY_PREFIX}*`,
);
const MANAGED_BY_BUILDWARDEN = { 'aws:ResourceTag/managed-by': 'buildwarden' };

/** What the hub's event handlers and audit do in a member account: read, and remediate what the guardrails say. */
export function memberRoleStatements(): PolicyStatement[] {
  return [
    {
      Sid: 'ReadRepositories',
      Effect: 'Allow',
      Action: [
        'ecr:DescribeRepositories',
        'ecr:GetLifecyclePolicy',
        'ecr:GetRepositoryPolicy',
        'ecr:ListTagsForResource',
        'ecr:DescribeImages',
        'ecr:DescribeImageScanFindings',
      ],
      Resource: REPOSITORIES,
    },
    {
      Sid: 'FixRepositories',
      Effect: 'Allow',
      Action: [
        'ecr:PutLifecyclePolicy',
        'ecr:PutImageScanningConfiguration',
        'ecr:PutImageTagMutability',
        'ecr:SetRepositoryPolicy',
        'ecr:DeleteRepositoryPolicy',
      ],
      Resource: REPOSITORIES,
    },
    // Neither action supports resource-level permissions.
    {
      Sid: 'RegistryScanning',
      Effect: 'Allow',
      Action: ['ecr:GetRegistryScanningConfiguration', 'ecr:PutRegistryScanningConfiguration'],
      Resource: '*',
    },
    // Registry-level settings (the registry rules): no resource-level permissions either.
    {
      Sid: 'RegistrySettings',
      Effect: 'Allow',
      Action: [
        'ecr:DescribeRegistry',
        'ecr:GetRegistryPolicy',
        'ecr:DescribePullThroughCacheRules',
        'ecr:DescribeRepositoryCreationTemplates',
        'ecr:PutReplicationConfiguration',
        'ecr:PutRegistryPolicy',
        'ecr:DeleteRegistryPolicy',
        'ecr:CreateRepositoryCreationTemplate',
        'ecr:UpdateRepositoryCreationTemplate',
      ],
      Resource: '*',
    },
    // Checked as well when a repository creation template is created or updated (ECR User Guide);
    // ecr:PutLifecyclePolicy, also checked, is in FixRepositories.
    {
      Sid: 'CreationTemplateDependentActions',
      Effect: 'Allow',
      Action: ['ecr:CreateRepository'],
      Resource: REPOSITORIES,
    },
    { Sid: 'ReadProjects', Effect: 'Allow', Action: ['codebuild:BatchGetProjects'], Resource: PROJECTS },
    {
      Sid: 'MakeProjectsPrivate',
      Effect: 'Allow',
      Action: ['codebuild:UpdateProjectVisibility'],
      Resource: PROJECTS,
      // The only visibility remediation sets: never a way to make a project public.
      Condition: { StringEquals: { 'codebuild:projectVisibility': 'PRIVATE' } },
    },
    // Neither action supports resource-level permissions.
    {
      Sid: 'ListProjectsAndRoles',
      Effect: 'Allow',
      Action: ['codebuild:ListProjects', 'iam:GetAccountAuthorizationDetails'],
      Resource: '*',
    },
    {
      Sid: 'ReadRoles',
      Effect: 'Allow',
      Action: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies'],
      Resource: ROLES,
    },
    {
      Sid: 'ReadManagedPolicies',
      Effect: 'Allow',
      Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
      Resource: MANAGED_POLICIES,
    },
    {
      Sid: 'RolesUsingCustomerManagedPolicies',
      Effect: 'Allow',
      Action: ['iam:ListEntitiesForPolicy'],
      Resource: CUSTOMER_POLICIES,
    },
    {
      Sid: 'FixCodeBuildServiceRoles',
      Effect: 'Allow',
      Action: ['iam:PutRolePolicy'],
      Resource: REMEDIABLE_ROLES,
    },
    {
      Sid: 'DetachAdministratorClassPolicies',
      Effect: 'Allow',
      Action: ['iam:DetachRolePolicy'],
      Resource: REMEDIABLE_ROLES,
      Condition: {
        ArnEquals: {
          'iam:PolicyARN': ADMIN_CLASS_MANAGED_POLICIES.map((name) =>
            sub(`arn:\${AWS::Partition}:iam::aws:policy/${name}`),
          ),
        },
      },
    },
  ];
}

/** Detaching the customer managed policies named by the DetachablePolicyArns parameter (when it names any). */
export function detachConfiguredPoliciesStatement(): PolicyStatement {
  return {
    Sid: 'DetachConfiguredPolicies',
    Effect: 'Allow',
    Action: ['iam:DetachRolePolicy'],
    Resource: REMEDIABLE_ROLES,
    Condition: { ArnEquals: { 'iam:PolicyARN': { 'Fn::Split': [',', { Ref: 'DetachablePolicyArns' }] } } },
  };
}

/**
 * What the provisioning API does in a member account deployed with provisioning enabled: the statements of
 * the hub's ProjectsApiRole, over every Region, with the member account's own boundary policies.
 */
export function provisioningStatements(): PolicyStatement[] {
  return [
    {
      Sid: 'Repositories',
      Effect: 'Allow',
      Action: [
        'ecr:CreateRepository',
        'ecr:TagResource',
        'ecr:PutLifecyclePolicy',
        'ecr:DescribeImages',
        'ecr:DescribeRepositories',
        'ecr:GetLifecyclePolicy',
        'ecr:GetRepositoryPolicy',
        'ecr:ListTagsForResource',
      ],
      Resource: REPOSITORIES,
    },
    {
      Sid: 'DeleteManagedRepositories',
      Effect: 'Allow',
      Action: ['ecr:DeleteRepository'],
      Resource: REPOSITORIES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    {
      Sid: 'RepairManagedRepositories',
      Effect: 'Allow',
      Action: ['ecr:PutImageTagMutability', 'ecr:PutImageScanningConfiguration'],
      Resource: REPOSITORIES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    // Under enhanced scanning a new repository is added to a registry scanning rule (no resource-level
    // permissions).
    {
      Sid: 'RegistryScanning',
      Effect: 'Allow',
      Action: ['ecr:GetRegistryScanningConfiguration', 'ecr:PutRegistryScanningConfiguration'],
      Resource: '*',
    },
    // ECR calls KMS with the caller's permissions when a repository is KMS-encrypted.
    {
      Sid: 'RepositoryEncryption',
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:RetireGrant', 'kms:DescribeKey'],
      Resource: KEYS,
      Condition: { StringLike: { 'kms:ViaService': sub('ecr.*.${AWS::URLSuffix}') } },
    },
    // Build roles only with one of this account's boundary policies: a role without it cannot be created or
    // given a policy.
    {
      Sid: 'BoundedBuildRoles',
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:PutRolePolicy'],
      Resource: BUILD_ROLES,
      Condition: { ArnLike: { 'iam:PermissionsBoundary': BOUNDARIES } },
    },
    {
      Sid: 'BuildRoles',
      Effect: 'Allow',
      Action: ['iam:TagRole', 'iam:ListRolePolicies'],
      Resource: BUILD_ROLES,
    },
    {
      Sid: 'DeleteManagedBuildRoles',
      Effect: 'Allow',
      Action: ['iam:DeleteRolePolicy', 'iam:DeleteRole'],
      Resource: BUILD_ROLES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    // Deleting a build role: IAM refuses DeleteRole while managed policies are attached.
    {
      Sid: 'DetachFromManagedBuildRoles',
      Effect: 'Allow',
      Action: ['iam:DetachRolePolicy'],
      Resource: BUILD_ROLES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    {
      Sid: 'RepairManagedBuildRoles',
      Effect: 'Allow',
      Action: ['iam:UpdateAssumeRolePolicy'],
      Resource: BUILD_ROLES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    // Only a boundary policy of this stack may be put back.
    {
      Sid: 'RestoreBuildRoleBoundary',
      Effect: 'Allow',
      Action: ['iam:PutRolePermissionsBoundary'],
      Resource: BUILD_ROLES,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN, ArnLike: { 'iam:PermissionsBoundary': BOUNDARIES } },
    },
    {
      Sid: 'PassBuildRolesToCodeBuild',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: BUILD_ROLES,
      Condition: { StringEquals: { 'iam:PassedToService': 'codebuild.amazonaws.com' } },
    },
    {
      Sid: 'ReadRoles',
      Effect: 'Allow',
      Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies'],
      Resource: ROLES,
    },
    {
      Sid: 'ReadManagedPolicies',
      Effect: 'Allow',
      Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
      Resource: MANAGED_POLICIES,
    },
    {
      Sid: 'Projects',
      Effect: 'Allow',
      Action: ['codebuild:CreateProject', 'codebuild:BatchGetProjects'],
      Resource: PROJECTS,
    },
    {
      Sid: 'ManagedProjects',
      Effect: 'Allow',
      Action: ['codebuild:UpdateProject', 'codebuild:DeleteProject'],
      Resource: PROJECTS,
      Condition: { StringEquals: MANAGED_BY_BUILDWARDEN },
    },
    { Sid: 'ListProjects', Effect: 'Allow', Action: ['codebuild:ListProjects'], Resource: '*' },
  ];
}

const hubRoleArn = (fn: HubFunction) =>
  sub(`arn:\${AWS::Partition}:iam::\${HubAccountId}:role/${hubRoleName('${HubStage}', '${HubRegion}', fn)}`);

const hubBusArn = () =>
  sub(
    `arn:\${AWS::Partition}:events:\${HubRegion}:\${HubAccountId}:event-bus/${hubEventBusName('${HubStage}')}`,
  );

/** Only the hub's function roles, of the organization, with the external id, may assume the member role. */
function memberRoleTrust(): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'HubFunctions',
        Effect: 'Allow',
        Principal: { AWS: sub('arn:${AWS::Partition}:iam::${HubAccountId}:root') },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: {
            'sts:ExternalId': { Ref: 'ExternalId' },
            'aws:PrincipalOrgID': { Ref: 'OrganizationId' },
          },
          // Names, not the roles' unique ids: a hub role replaced by a redeploy is still trusted.
          ArnEquals: {
            'aws:PrincipalArn': [
              ...functionsActingInMembers('always').map(hubRoleArn),
              ...functionsActingInMembers('provisioning').map((fn) => ({
                'Fn::If': ['ProvisioningEnabled', hubRoleArn(fn), noValue],
              })),
            ],
          },
        },
      },
    ],
  };
}

/** The boundary document with the stack's pseudo parameters, as scripts/provisioned-role-boundary.js does. */
function boundaryDocument(guardrails: Guardrails): Json {
  const document = provisionedRoleBoundary(guardrails.provisioning, {
    partition: '${AWS::Partition}',
    region: '${AWS::Region}',
    accountId: '${AWS::AccountId}',
    urlSuffix: '${AWS::URLSuffix}',
  });
  const withSub = (value: unknown): Json =>
    typeof value === 'string'
      ? value.includes('${AWS::')
        ? sub(value)
        : value
      : Array.isArray(value)
        ? value.map(withSub)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSub(v)]))
          : (value as Json);
  return withSub(document);
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The logical id of the rule forwarding one pattern: `Forward<Function><route>[GlobalRegion]`. */
export function forwardingRuleId(p: Pick<ForwardedPattern, 'function' | 'route' | 'scope'>): string {
  return `Forward${upperFirst(p.function)}${p.route + 1}${p.scope === 'global-region' ? 'GlobalRegion' : ''}`;
}

function forwardingRules(): Record<string, Json> {
  return Object.fromEntries(
    forwardedPatterns().map((p) => [
      forwardingRuleId(p),
      {
        Type: 'AWS::Events::Rule',
        Condition: p.scope === 'global-region' ? 'ForwardsGlobalEvents' : 'ForwardsToHub',
        Properties: {
          Description: `buildwarden: events for the hub's ${p.function} function (route ${p.route + 1}${
            p.scope === 'global-region' ? ', global services' : ''
          }) to the hub's event bus`,
          State: 'ENABLED',
          EventPattern: p.pattern as Json,
          // Cross-account event bus targets take a role of the sending account (required when the receiving
          // bus grants an organization rather than accounts).
          Targets: [
            {
              Id: 'buildwarden-hub',
              Arn: hubBusArn(),
              RoleArn: { 'Fn::GetAtt': ['ForwardToHubRole', 'Arn'] },
            },
          ],
        },
      },
    ]),
  );
}

const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]+$';

export class MemberStatementsDriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemberStatementsDriftError';
  }
}

/** The statements must grant exactly the member actions: an action added to (or dropped from) an adapter fails here. */
function assertStatementsGrantMemberActions(): void {
  const granted = (statements: PolicyStatement[]) => new Set(statements.flatMap((s) => s.Action));
  const { always, provisioning } = memberActions();
  const checks = [
    { what: 'memberRoleStatements', statements: memberRoleStatements(), expected: always },
    { what: 'provisioningStatements', statements: provisioningStatements(), expected: provisioning },
  ];
  const problems = checks.flatMap(({ what, statements, expected }) => {
    const actual = granted(statements);
    const missing = expected.filter((a) => !actual.has(a));
    const extra = [...actual].filter((a) => !expected.includes(a));
    return [
      ...(missing.length ? [`${what} lacks ${missing.join(', ')}`] : []),
      ...(extra.length
        ? [`${what} grants ${extra.join(', ')}, which no adapter calls in a member account`]
        : []),
    ];
  });
  if (problems.length > 0)
    throw new MemberStatementsDriftError(
      `scripts/member-template.ts does not match lib/runtime/member-actions.ts: ${problems.join('; ')}`,
    );
}

export function memberTemplate(guardrails: Guardrails): Record<string, Json> {
  assertStatementsGrantMemberActions();
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'buildwarden member account: the role the buildwarden hub assumes, and the forwarding of the ECR, CodeBuild, Inspector and IAM events the hub handles to its event bus. Deploy with a CloudFormation StackSet (README, Organizations).',
    Parameters: {
      HubAccountId: {
        Type: 'String',
        Description: 'The account of the buildwarden hub stack.',
        AllowedPattern: '^[0-9]{12}$',
        ConstraintDescription: 'HubAccountId must be a 12-digit account id',
      },
      HubRegion: {
        Type: 'String',
        Description: 'The Region of the buildwarden hub stack (where its event bus is).',
        AllowedPattern: REGION_PATTERN,
        ConstraintDescription: 'HubRegion must be a Region name such as us-east-1',
      },
      HubStage: {
        Type: 'String',
        Description:
          'The stage the hub was deployed with (sls deploy --stage): it names the hub roles and bus.',
        Default: 'prod',
        AllowedPattern: '^[A-Za-z0-9-]{1,25}$',
        ConstraintDescription: 'HubStage must be 1 to 25 letters, digits or hyphens',
      },
      OrganizationId: {
        Type: 'String',
        Description:
          'The organization of the hub and of this account: no principal outside it may assume the role.',
        AllowedPattern: '^o-[a-z0-9]{10,32}$',
        ConstraintDescription: 'OrganizationId must be an organization id such as o-a1b2c3d4e5',
      },
      ExternalId: {
        Type: 'String',
        Description:
          'The external id the hub passes when it assumes the member role (the same for every account).',
        NoEcho: true,
        MinLength: 2,
        MaxLength: 1224,
        AllowedPattern: '^[\\w+=,.@:/-]+$',
        ConstraintDescription: 'ExternalId must be 2 to 1224 characters of letters, digits and +=,.@:/-_',
      },
      MemberRoleName: {
        Type: 'String',
        Description: 'The name of the role the hub assumes (the hub is configured with the same name).',
        Default: DEFAULT_MEMBER_ROLE_NAME,
        AllowedPattern: '^[\\w+=,.@-]{1,64}$',
        ConstraintDescription: 'MemberRoleName must be an IAM role name',
      },
      GlobalRegion: {
        Type: 'String',
        Description:
          'The Region that holds the account-wide resources (the member role) and forwards the events of IAM, which AWS delivers to EventBridge in us-east-1 only (us-gov-west-1 in GovCloud). Include it in the StackSet Regions.',
        Default: 'us-east-1',
        AllowedPattern: REGION_PATTERN,
        ConstraintDescription: 'GlobalRegion must be a Region name such as us-east-1',
      },
      RemediableRoles: {
        Type: 'String',
        Description:
          'The roles (path/name pattern after role/, * any run of characters) remediation may change: the same value as the hub parameter remediableRoles.',
        Default: 'service-role/*',
        AllowedPattern: '^[\\w+=,.@/*-]+$',
        ConstraintDescription: 'RemediableRoles must be a role path/name pattern',
      },
      DetachablePolicyArns: {
        Type: 'String',
        Description:
          'Customer managed policies (comma-separated ARNs) remediation may detach: the same value as the hub parameter detachablePolicyArns.',
        Default: '',
        AllowedPattern:
          '^$|^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\\w+=.@/-]+(,arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\\w+=.@/-]+)*$',
        ConstraintDescription: 'DetachablePolicyArns must be empty or IAM policy ARNs separated by commas',
      },
      Provisioning: {
        Type: 'String',
        Description:
          'enabled: the hub provisioning API may create build projects, repositories and bounded build roles in this account. disabled: the member role has no permission for it.',
        Default: 'disabled',
        AllowedValues: ['disabled', 'enabled'],
      },
    },
    Conditions: {
      InGlobalRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'GlobalRegion' }] },
      ProvisioningEnabled: { 'Fn::Equals': [{ Ref: 'Provisioning' }, 'enabled'] },
      HasDetachablePolicyArns: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DetachablePolicyArns' }, ''] }] },
      // The hub's own Region of the hub's own account: the hub's rules there see its events already.
      IsHubItself: {
        'Fn::And': [
          { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, { Ref: 'HubAccountId' }] },
          { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'HubRegion' }] },
        ],
      },
      ForwardsToHub: { 'Fn::Not': [{ Condition: 'IsHubItself' }] },
      ForwardsGlobalEvents: { 'Fn::And': [{ Condition: 'InGlobalRegion' }, { Condition: 'ForwardsToHub' }] },
    },
    Resources: {
      // IAM is global: the role is created once per account, in the GlobalRegion.
      MemberRole: {
        Type: 'AWS::IAM::Role',
        Condition: 'InGlobalRegion',
        Properties: {
          RoleName: { Ref: 'MemberRoleName' },
          Description:
            'buildwarden hub: audits, event handling and remediation (and provisioning when enabled)',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: memberRoleTrust(),
          Policies: [
            {
              PolicyName: 'buildwarden-member',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  ...(memberRoleStatements() as unknown as Json[]),
                  {
                    'Fn::If': [
                      'HasDetachablePolicyArns',
                      detachConfiguredPoliciesStatement() as unknown as Json,
                      noValue,
                    ],
                  },
                ],
              },
            },
            {
              'Fn::If': [
                'ProvisioningEnabled',
                {
                  PolicyName: 'buildwarden-member-provisioning',
                  PolicyDocument: {
                    Version: '2012-10-17',
                    Statement: provisioningStatements() as unknown as Json[],
                  },
                },
                noValue,
              ],
            },
          ],
        },
      },
      // The permissions boundary of the build roles provisioned for this Region's projects.
      ProvisionedRoleBoundary: {
        Type: 'AWS::IAM::ManagedPolicy',
        Condition: 'ProvisioningEnabled',
        Properties: {
          ManagedPolicyName: sub(`${MEMBER_BOUNDARY_POLICY_PREFIX}\${AWS::Region}`),
          Description: 'buildwarden - permissions boundary of provisioned CodeBuild service roles',
          PolicyDocument: boundaryDocument(guardrails),
        },
      },
      // The role EventBridge uses to put this Region's events on the hub's bus (one per Region: the
      // Region's rules need it before any other Region's stack exists).
      ForwardToHubRole: {
        Type: 'AWS::IAM::Role',
        Condition: 'ForwardsToHub',
        Properties: {
          Description: "buildwarden: EventBridge forwards this Region's events to the hub's event bus",
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'forward-to-hub',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Sid: 'PutEventsOnHubBus',
                    Effect: 'Allow',
                    Action: 'events:PutEvents',
                    Resource: hubBusArn(),
                  },
                ],
              },
            },
          ],
        },
      },
      ...forwardingRules(),
    },
    Outputs: {
      MemberRoleArn: {
        Condition: 'InGlobalRegion',
        Description: 'The role the hub assumes in this account',
        Value: { 'Fn::GetAtt': ['MemberRole', 'Arn'] },
      },
      ProvisionedRoleBoundaryArn: {
        Condition: 'ProvisioningEnabled',
        Description: "The permissions boundary of build roles provisioned for this Region's projects",
        Value: { Ref: 'ProvisionedRoleBoundary' },
      },
    },
  };
}

/** The header of the generated file. */
export const MEMBER_TEMPLATE_HEADER = [
  ' buildwarden member-account stack, for a CloudFormation StackSet (README, "Organizations").',
  ' GENERATED by `npm run member-template` (scripts/member-template.ts) from lib/runtime/member-actions.ts,',
  ' lib/events/forwarding.ts and guardrails.yml: do not edit by hand, regenerate.',
].join('\n');

/** The file's text: the template as YAML under the header, formatted with the repository's Prettier settings. */
export async function memberTemplateText(guardrails: Guardrails): Promise<string> {
  // YAML 1.1 quoting: strings such as 2010-09-09 or yes stay strings for every YAML reader.
  const document = new YAML.Document(memberTemplate(guardrails), {
    version: '1.1',
    aliasDuplicateObjects: false,
  });
  document.commentBefore = MEMBER_TEMPLATE_HEADER;
  const text = document.toString({ lineWidth: 0 });
  const prettier = await import('prettier');
  const file = path.join(REPO_ROOT, MEMBER_TEMPLATE_FILE);
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}

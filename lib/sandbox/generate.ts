/**
 * A GENERATED, SIMULATED account for benchmarks and scale tests: repositories, CodeBuild projects and their
 * service roles with a realistic mix of compliant and violating settings. Deterministic: one seed, one
 * account. Shapes follow the snapshot format (the AWS API responses), so it loads into SandboxAccount as is.
 *
 * The mix (shares of repositories / projects / roles; each drawn independently per resource):
 * - tag mutability: 45% IMMUTABLE, 10% IMMUTABLE_WITH_EXCLUSION, 45% MUTABLE;
 * - scan on push: 60% on; registry scanning: BASIC, scan on push for `team-00/*` and `team-01/*`;
 * - encryption: 70% AES256, 30% KMS;
 * - lifecycle policy: 65% have one (untagged expiry after 7–30 days, some also capping tagged images; a few
 *   expire untagged images only after 90 days), 35% none; repositories with one have 0–12 images;
 * - repository policy: 30% have one: organization pull, same-account CI push, a partner account, or public;
 * - tags: a `team` tag; 2% exempt from every rule, 1% from the lifecycle rule; 1% named `tmp/…`;
 * - projects: one image per project: 80% name an existing repository in IMAGE_REPO_NAME, 10% a repository
 *   that does not exist, 10% none; 70% privileged (Docker builds); service role shared by about 4 projects;
 * - roles: 65% push exactly their projects' repositories, 15% miss some, 10% allow `ecr:*` on `*`, 10% rely on
 *   AmazonEC2ContainerRegistryPowerUser; 5% also have AdministratorAccess attached.
 */
import type { ImageDetail, ManagedPolicy, Project, Repository, Role } from '../policy/model';
import { SNAPSHOT_FORMAT, type Snapshot } from '../policy/snapshot';
import { seededRandom } from './faults';

export interface GenerateOptions {
  repositories?: number;
  projects?: number;
  roles?: number;
  seed?: number;
  /** The capture time; images and dates are placed before it. */
  now?: Date;
  accountId?: string;
  region?: string;
  /** Most images a repository with a lifecycle policy gets (uniform 0..max). */
  maxImagesPerRepository?: number;
}

export const GENERATED_DEFAULTS = {
  repositories: 10_000,
  projects: 2_000,
  roles: 500,
  seed: 42,
  now: new Date('2026-11-25T12:00:00Z'),
  accountId: '123456789012',
  region: 'us-east-1',
  maxImagesPerRepository: 12,
} as const;

const DAY_MS = 86_400_000;
const TEAMS = 40;
const ORG_ID = 'o-a1b2c3d4e5';
const PARTNER_ACCOUNT = '999988887777';
const PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];
const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

export function generateAccount(options: GenerateOptions = {}): Snapshot {
  const o = { ...GENERATED_DEFAULTS, ...options };
  const random = seededRandom(o.seed);
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const iso = (daysAgo: number) => new Date(o.now.getTime() - daysAgo * DAY_MS).toISOString();
  const arnPrefix = `arn:aws:ecr:${o.region}:${o.accountId}:repository/`;

  const repositories: Repository[] = [];
  for (let i = 0; i < o.repositories; i++) {
    const team = `team-${String(i % TEAMS).padStart(2, '0')}`;
    const name = chance(0.01) ? `tmp/spike-${i}` : `${team}/service-${String(i).padStart(5, '0')}`;
    const mutability = random();
    const repository: Repository = {
      repositoryArn: `${arnPrefix}${name}`,
      registryId: o.accountId,
      repositoryName: name,
      repositoryUri: `${o.accountId}.dkr.ecr.${o.region}.amazonaws.com/${name}`,
      createdAt: iso(between(1, 1500)),
      imageTagMutability:
        mutability < 0.45 ? 'IMMUTABLE' : mutability < 0.55 ? 'IMMUTABLE_WITH_EXCLUSION' : 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: chance(0.6) },
      encryptionConfiguration: chance(0.7)
        ? { encryptionType: 'AES256' }
        : {
            encryptionType: 'KMS',
            kmsKey: `arn:aws:kms:${o.region}:${o.accountId}:key/${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-8${hex(random, 3)}-${hex(random, 12)}`,
          },
      tags: [{ Key: 'team', Value: team }],
    };
    if (repository.imageTagMutability === 'IMMUTABLE_WITH_EXCLUSION') {
      repository.imageTagMutabilityExclusionFilters = [{ filterType: 'WILDCARD', filter: 'latest' }];
    }
    const exempt = random();
    if (exempt < 0.02) repository.tags!.push({ Key: 'buildwarden:exempt', Value: '*' });
    else if (exempt < 0.03)
      repository.tags!.push({ Key: 'buildwarden:exempt', Value: 'ecr.lifecycle-policy' });

    if (chance(0.65)) {
      repository.lifecyclePolicyText = lifecyclePolicy(random);
      const images = between(0, o.maxImagesPerRepository);
      repository.images = Array.from({ length: images }, (_, n) => image(random, o.accountId, name, n, iso));
    }
    if (chance(0.3)) repository.repositoryPolicyText = repositoryPolicy(random, o.accountId);
    repositories.push(repository);
  }

  const policies: ManagedPolicy[] = [powerUserPolicy(), administratorPolicy()];
  const roleNames = Array.from({ length: o.roles }, (_, i) => `build-role-${String(i).padStart(4, '0')}`);
  const roleArn = (roleName: string) => `arn:aws:iam::${o.accountId}:role/service-role/${roleName}`;

  const projects: Project[] = [];
  const pushedBy = new Map<string, string[]>();
  for (let i = 0; i < o.projects; i++) {
    const target = random();
    const repositoryName =
      target < 0.8 && repositories.length > 0
        ? pick(repositories).repositoryName
        : target < 0.9
          ? `gone/service-${i}`
          : undefined;
    const roleName = roleNames.length > 0 ? pick(roleNames) : undefined;
    const name = `${(repositoryName ?? `misc/job-${i}`).replace(/\//g, '-')}-${i}-image-build`;
    const project: Project = {
      name,
      arn: `arn:aws:codebuild:${o.region}:${o.accountId}:project/${name}`,
      source: {
        type: 'GITHUB',
        location: `https://github.com/example-org/${name}.git`,
        buildspec: 'buildspec.yml',
      },
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: 'aws/codebuild/standard:7.0',
        computeType: 'BUILD_GENERAL1_SMALL',
        privilegedMode: chance(0.7),
        environmentVariables: [
          { name: 'AWS_ACCOUNT_ID', value: o.accountId, type: 'PLAINTEXT' },
          ...(repositoryName
            ? [{ name: 'IMAGE_REPO_NAME', value: repositoryName, type: 'PLAINTEXT' as const }]
            : []),
        ],
      },
      ...(roleName ? { serviceRole: roleArn(roleName) } : {}),
      tags: [{ key: 'team', value: `team-${String(i % TEAMS).padStart(2, '0')}` }],
      created: iso(between(1, 1200)),
      lastModified: iso(between(0, 30)),
      logsConfig: { cloudWatchLogs: { status: 'ENABLED' }, s3Logs: { status: 'DISABLED' } },
    };
    if (roleName && repositoryName)
      pushedBy.set(roleName, [...(pushedBy.get(roleName) ?? []), repositoryName]);
    projects.push(project);
  }

  const roles: Role[] = roleNames.map((roleName) => {
    const targets = [...new Set(pushedBy.get(roleName) ?? [])];
    const kind = random();
    const statements: Record<string, unknown>[] = [
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:${o.region}:${o.accountId}:log-group:/aws/codebuild/*`,
      },
      { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    ];
    const attached: Role['AttachedManagedPolicies'] = [];
    if (kind < 0.65 && targets.length > 0) {
      statements.push(pushStatement(targets.map((t) => `${arnPrefix}${t}`)));
    } else if (kind < 0.8 && targets.length > 0) {
      // Misses the last repository it pushes to (or all of them, when it has one).
      const granted = targets.slice(0, -1);
      if (granted.length > 0) statements.push(pushStatement(granted.map((t) => `${arnPrefix}${t}`)));
    } else if (kind < 0.9) {
      statements.push({ Sid: 'EcrAll', Effect: 'Allow', Action: 'ecr:*', Resource: '*' });
    } else {
      attached.push({ PolicyName: 'AmazonEC2ContainerRegistryPowerUser', PolicyArn: policies[0]!.Arn });
    }
    if (chance(0.05)) attached.push({ PolicyName: 'AdministratorAccess', PolicyArn: policies[1]!.Arn });
    return {
      Path: '/service-role/',
      RoleName: roleName,
      RoleId: `AROA${hex(random, 16).toUpperCase()}`,
      Arn: roleArn(roleName),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'codebuild.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': o.accountId } },
          },
        ],
      },
      RolePolicyList: [
        { PolicyName: 'build', PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
      AttachedManagedPolicies: attached,
      Tags: [],
    };
  });

  return {
    format: SNAPSHOT_FORMAT,
    accountId: o.accountId,
    region: o.region,
    capturedAt: o.now.toISOString(),
    // The organization the generated repository policies share with.
    organizationId: ORG_ID,
    ecr: {
      registryScanningConfiguration: {
        scanType: 'BASIC',
        rules: [
          {
            scanFrequency: 'SCAN_ON_PUSH',
            repositoryFilters: [
              { filter: 'team-00/*', filterType: 'WILDCARD' },
              { filter: 'team-01/*', filterType: 'WILDCARD' },
            ],
          },
        ],
      },
      repositories,
    },
    codebuild: { projects, builds: [] },
    iam: { roles, policies },
  };
}

function hex(random: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

function pushStatement(resources: string[]): Record<string, unknown> {
  return { Sid: 'EcrPush', Effect: 'Allow', Action: [...PUSH_ACTIONS, ...PULL_ACTIONS], Resource: resources };
}

function lifecyclePolicy(random: () => number): string {
  const kind = random();
  const untaggedDays = kind < 0.1 ? 90 : [7, 14, 14, 30][Math.floor(random() * 4)]!;
  const rules: Record<string, unknown>[] = [
    {
      rulePriority: 1,
      description: `expire untagged images after ${untaggedDays} days`,
      selection: {
        tagStatus: 'untagged',
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: untaggedDays,
      },
      action: { type: 'expire' },
    },
  ];
  if (kind > 0.5) {
    rules.push({
      rulePriority: 2,
      description: 'keep the last 100 release images',
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: ['v'],
        countType: 'imageCountMoreThan',
        countNumber: 100,
      },
      action: { type: 'expire' },
    });
  }
  return JSON.stringify({ rules });
}

function image(
  random: () => number,
  registryId: string,
  repositoryName: string,
  n: number,
  iso: (daysAgo: number) => string,
): ImageDetail {
  const pushedDaysAgo = Math.floor(random() * 200);
  const tagged = random() < 0.6;
  return {
    registryId,
    repositoryName,
    imageDigest: `sha256:${hex(random, 64)}`,
    ...(tagged ? { imageTags: [`v1.${n}.${Math.floor(random() * 10)}`] } : {}),
    imageSizeInBytes: 20_000_000 + Math.floor(random() * 200_000_000),
    imagePushedAt: iso(pushedDaysAgo),
    ...(random() < 0.5 ? { lastRecordedPullTime: iso(Math.floor(pushedDaysAgo * random())) } : {}),
    imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
}

function repositoryPolicy(random: () => number, accountId: string): string {
  const kind = random();
  const statement =
    kind < 0.5
      ? {
          Sid: 'OrgPull',
          Effect: 'Allow',
          Principal: '*',
          Action: PULL_ACTIONS,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } },
        }
      : kind < 0.8
        ? {
            Sid: 'CiPush',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${accountId}:role/ci-push` },
            Action: [...PUSH_ACTIONS, ...PULL_ACTIONS],
          }
        : kind < 0.95
          ? {
              Sid: 'PartnerPull',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${PARTNER_ACCOUNT}:root` },
              Action: PULL_ACTIONS,
            }
          : { Sid: 'PublicPull', Effect: 'Allow', Principal: '*', Action: PULL_ACTIONS };
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}

function powerUserPolicy(): ManagedPolicy {
  return {
    PolicyName: 'AmazonEC2ContainerRegistryPowerUser',
    Arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
    DefaultVersionId: 'v3',
    PolicyVersionList: [
      {
        VersionId: 'v3',
        IsDefaultVersion: true,
        Document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'ecr:GetAuthorizationToken',
                'ecr:BatchCheckLayerAvailability',
                'ecr:GetDownloadUrlForLayer',
                'ecr:GetRepositoryPolicy',
                'ecr:DescribeRepositories',
                'ecr:ListImages',
                'ecr:DescribeImages',
                'ecr:BatchGetImage',
                'ecr:GetLifecyclePolicy',
                'ecr:GetLifecyclePolicyPreview',
                'ecr:ListTagsForResource',
                'ecr:DescribeImageScanFindings',
                'ecr:InitiateLayerUpload',
                'ecr:UploadLayerPart',
                'ecr:CompleteLayerUpload',
                'ecr:PutImage',
              ],
              Resource: '*',
            },
          ],
        },
      },
    ],
  };
}

function administratorPolicy(): ManagedPolicy {
  return {
    PolicyName: 'AdministratorAccess',
    Arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    DefaultVersionId: 'v1',
    PolicyVersionList: [
      {
        VersionId: 'v1',
        IsDefaultVersion: true,
        Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
  };
}

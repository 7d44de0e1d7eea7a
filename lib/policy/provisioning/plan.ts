/**
 * Compliant-by-construction build projects: a parsed request becomes the exact create calls for the ECR
 * repository, its CodeBuild project and a least-privilege service role, each already satisfying every
 * guardrail rule. Pure: the use case makes the calls through its ports; tests run the audit on
 * `expectedState(plan)` (expected-state.ts) to prove the construction.
 */
import {
  ACCOUNT_ID,
  buildArn,
  CODEBUILD_SERVICE_PRINCIPAL,
  dnsSuffixOf,
  ECR_AUTH_ACTION,
  ECR_CACHE_PULL_ACTIONS,
  ECR_PUSH_ACTIONS,
  isPartition,
  projectArnOf,
  REGION,
  repositoryArnOf,
  repositoryUriOf,
  ROLE_INLINE_POLICIES_MAX,
  roleArnOf,
} from '../aws-facts';
import { buildspecEnv, isInlineBuildspec } from '../buildspec';
import type { Guardrails } from '../guardrails';
import { serializeLifecyclePolicy } from '../lifecycle/grammar';
import {
  namespaceProblem,
  namespacesFor,
  resolveReference,
  sourceBucketProblem,
  valueReadStatements,
  type AccountScope,
  type Reference,
  type ReferenceKind,
} from '../references';
import { DOCKER_BUILD_TAG } from '../rules/codebuild/privileged-mode';
import { defaultLifecyclePolicy } from '../rules/ecr/lifecycle-policy';
import { REPOSITORY_TAG } from '../target-repository';
import { formatPath, InvalidInputError } from '../validation';
import {
  BUILD_POLICY_NAME,
  MANAGED_TAG,
  projectNameOf,
  REQUEST_TOKEN_TAG,
  ROLE_PATH,
  roleNameOf,
} from './managed-resources';
import {
  CODECOMMIT_URL,
  GIT_SOURCE_TYPES,
  REFERENCE_KINDS,
  REQUEST,
  type ComputeType,
  type EnvironmentVariableType,
  type ProjectRequest,
  type SourceType,
} from './request';
import { specOfRequest, type ProjectSpec } from './spec';

export interface ProvisioningContext {
  accountId: string;
  region: string;
  partition: string;
  guardrails: Guardrails;
  /** The repository's KMS key; absent means the AWS managed key (or the first configured key of the region). */
  kmsKeyArn?: string;
  /** A permissions boundary for the build role. */
  permissionsBoundaryArn?: string;
  /** This request's token, set as tag REQUEST_TOKEN_TAG on everything it creates (a fresh one per request). */
  requestToken?: string;
}

/** The service's own configuration cannot produce a compliant project (a 500, not the caller's fault). */
export class ProvisioningConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningConfigError';
  }
}

type Statement = {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};
interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: (Statement | (Omit<Statement, 'Resource'> & { Principal: Record<string, string> }))[];
}

/** Inputs of the AWS API calls, with the field names the APIs take. */
export interface ProvisioningPlan {
  spec: ProjectSpec;
  account: { accountId: string; region: string; partition: string };
  projectName: string;
  roleName: string;
  logGroupName: string;
  createRepository: {
    repositoryName: string;
    imageTagMutability: 'IMMUTABLE';
    imageScanningConfiguration: { scanOnPush: true };
    encryptionConfiguration: { encryptionType: 'KMS'; kmsKey?: string };
    tags: { Key: string; Value: string }[];
  };
  putLifecyclePolicy: { repositoryName: string; lifecyclePolicyText: string };
  createRole: {
    RoleName: string;
    Path: string;
    AssumeRolePolicyDocument: string;
    PermissionsBoundary?: string;
    Tags: { Key: string; Value: string }[];
  };
  putRolePolicy: { RoleName: string; PolicyName: string; PolicyDocument: string };
  createProject: {
    name: string;
    source: { type: SourceType; location?: string; buildspec: string; gitCloneDepth?: number };
    sourceVersion?: string;
    artifacts: { type: 'NO_ARTIFACTS' };
    environment: {
      type: 'LINUX_CONTAINER';
      image: string;
      computeType: ComputeType;
      privilegedMode: true;
      imagePullCredentialsType: 'CODEBUILD';
      environmentVariables: { name: string; value: string; type: EnvironmentVariableType }[];
    };
    serviceRole: string;
    logsConfig: { cloudWatchLogs: { status: 'ENABLED'; groupName: string } };
    tags: { key: string; value: string }[];
  };
  /** What the create calls return and the API response reports. */
  resources: { repositoryArn: string; repositoryUri: string; roleArn: string; projectArn: string };
}

function checkContext(context: ProvisioningContext): void {
  const problems: string[] = [];
  if (!ACCOUNT_ID.test(context.accountId)) problems.push('accountId must be a 12-digit account id');
  if (!REGION.test(context.region)) problems.push('region must be an AWS region');
  if (!isPartition(context.partition)) problems.push('partition must be an AWS partition');
  if (context.kmsKeyArn !== undefined && !/^arn:aws[a-z-]*:kms:/.test(context.kmsKeyArn)) {
    problems.push('kmsKeyArn must be a KMS key ARN');
  }
  if (
    context.permissionsBoundaryArn !== undefined &&
    !/^arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy\/\S+$/.test(context.permissionsBoundaryArn)
  ) {
    problems.push('permissionsBoundaryArn must be an IAM policy ARN');
  }
  if (context.requestToken !== undefined && !/^[A-Za-z0-9-]{8,128}$/.test(context.requestToken)) {
    problems.push('requestToken must be 8 to 128 letters, digits and -');
  }
  if (problems.length > 0) throw new ProvisioningConfigError(`provisioning context: ${problems.join('; ')}`);
}

/**
 * The repository's key: the given one, which must be allowed by `ecr.encryption.kmsKeyArns` when that list
 * is set; without one, the first configured key of the region, or (no list) the AWS managed key.
 */
function repositoryKmsKey(context: ProvisioningContext): string | undefined {
  const allowed = context.guardrails.rules['ecr.encryption'].kmsKeyArns;
  if (context.kmsKeyArn !== undefined) {
    if (allowed.length > 0 && !allowed.includes(context.kmsKeyArn)) {
      throw new ProvisioningConfigError('kmsKeyArn is not one of the guardrails ecr.encryption.kmsKeyArns');
    }
    return context.kmsKeyArn;
  }
  if (allowed.length === 0) return undefined;
  const local = allowed.find((arn) => arn.split(':')[3] === context.region);
  if (local === undefined) {
    throw new ProvisioningConfigError(
      `guardrails ecr.encryption.kmsKeyArns has no key in ${context.region}: pass kmsKeyArn`,
    );
  }
  return local;
}

/** One parameter or secret a request reads: a variable's value, or an entry of its inline buildspec's env. */
interface RequestReference {
  kind: ReferenceKind;
  value: string;
  /** How a problem line names it: `environmentVariables[2].value: SECRETS_MANAGER variable TOKEN`. */
  label: string;
}

function buildspecReferences(buildspec: string): RequestReference[] {
  if (!isInlineBuildspec(buildspec)) return [];
  const env = buildspecEnv(buildspec);
  return [
    ...env.parameterStore.map((e) => ({
      kind: 'parameter' as const,
      value: e.value,
      label: `buildspec: ${e.path}`,
    })),
    ...env.secretsManager.map((e) => ({
      kind: 'secret' as const,
      value: e.value,
      label: `buildspec: ${e.path}`,
    })),
  ];
}

/** The request's references in request order, so that problem lines carry the caller's indexes. */
function requestReferences(request: ProjectRequest): RequestReference[] {
  const variables = request.environmentVariables.flatMap((variable, index) => {
    const kind = REFERENCE_KINDS[variable.type];
    return kind
      ? [
          {
            kind,
            value: variable.value,
            label: `${formatPath(['environmentVariables', index, 'value'])}: ${variable.type} variable ${variable.name}`,
          },
        ]
      : [];
  });
  return [...variables, ...buildspecReferences(request.buildspec)];
}

/**
 * Every parameter and secret must be inside the project's namespaces (the guardrails' `provisioning`,
 * `{name}` = the project name), in this account and region; an S3 source must be in a listed bucket; a
 * CodeCommit source in this region.
 * @throws InvalidInputError listing each reference outside, by field path, with the allowed namespaces.
 */
function checkReferences(request: ProjectRequest, projectName: string, context: ProvisioningContext): void {
  const at: AccountScope = {
    partition: context.partition,
    region: context.region,
    accountId: context.accountId,
  };
  const namespaces = namespacesFor(context.guardrails.provisioning, projectName);
  const problems: string[] = [];
  for (const ref of requestReferences(request)) {
    const reference = resolveReference(ref.kind, ref.value, at);
    // The request schema refuses values that do not parse; one that got here is refused all the same.
    const problem = reference ? namespaceProblem(reference, namespaces, at) : `does not name one ${ref.kind}`;
    if (problem) problems.push(`${ref.label} ${problem}`);
  }
  const location = request.source.location ?? '';
  if (request.source.type === 'S3') {
    const problem = sourceBucketProblem(location.slice(0, location.indexOf('/')), namespaces);
    if (problem) problems.push(`source.location: ${problem}`);
  }
  const codecommitRegion =
    request.source.type === 'CODECOMMIT' ? CODECOMMIT_URL.exec(location)?.[1] : undefined;
  if (codecommitRegion !== undefined && codecommitRegion !== context.region) {
    problems.push(
      `source.location: names a CodeCommit repository in another region: only ${context.region} is allowed`,
    );
  }
  if (problems.length > 0) throw new InvalidInputError(REQUEST, problems);
}

/**
 * The IAM resources of the spec's references, deduplicated. Every one is inside the namespaces (see
 * checkReferences) and names exactly one parameter or secret: the request cannot hold a wildcard, and the
 * only one added is a secret name's SECRET_SUFFIX_WILDCARD.
 */
function referencedResources(spec: ProjectSpec, at: AccountScope): Record<ReferenceKind, Reference[]> {
  const references: RequestReference[] = [
    ...spec.environmentVariables.flatMap((v) => {
      const kind = REFERENCE_KINDS[v.type];
      return kind ? [{ kind, value: v.value, label: v.name }] : [];
    }),
    ...buildspecReferences(spec.buildspec),
  ];
  const resolved = references.flatMap((ref) => resolveReference(ref.kind, ref.value, at) ?? []);
  const unique = (kind: ReferenceKind) => [
    ...new Map(resolved.filter((r) => r.kind === kind).map((r) => [r.arn, r])).values(),
  ];
  return { parameter: unique('parameter'), secret: unique('secret') };
}

/** Read access the build needs to its own source and secrets: nothing more, nowhere else. */
function sourceAndSecretStatements(spec: ProjectSpec, at: AccountScope): Statement[] {
  const { partition, region, accountId } = at;
  const statements: Statement[] = [];
  const location = spec.source.location ?? '';
  if (spec.source.type === 'S3') {
    const bucket = location.slice(0, location.indexOf('/'));
    const object = location.endsWith('/') ? `${location}*` : location;
    statements.push(
      {
        Sid: 'ReadSourceObject',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `arn:${partition}:s3:::${object}`,
      },
      {
        Sid: 'ReadSourceBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
        Resource: `arn:${partition}:s3:::${bucket}`,
      },
    );
  }
  const codecommit = spec.source.type === 'CODECOMMIT' ? CODECOMMIT_URL.exec(location) : null;
  if (codecommit) {
    statements.push({
      Sid: 'ReadSourceRepository',
      Effect: 'Allow',
      Action: 'codecommit:GitPull',
      Resource: buildArn({
        partition,
        service: 'codecommit',
        region: codecommit[1]!,
        accountId,
        resource: codecommit[2]!,
      }),
    });
  }
  const { parameter: parameters, secret: secrets } = referencedResources(spec, at);
  // Customer managed keys: kms:Decrypt only through the service, only for these parameters and secrets
  // (the encryption context Parameter Store and Secrets Manager pass to KMS names the value's ARN).
  const keys = buildArn({ ...at, service: 'kms', resource: 'key/*' });
  const urlSuffix = dnsSuffixOf(partition) ?? '';
  // Each parameter ARN names one value exactly; a secret's ends in its suffix wildcard.
  if (parameters.length > 0) {
    const arns = parameters.map((p) => p.arn);
    statements.push(...valueReadStatements('parameter', arns, { keys, region, urlSuffix, exact: true }));
  }
  if (secrets.length > 0) {
    const arns = secrets.map((s) => s.arn);
    statements.push(...valueReadStatements('secret', arns, { keys, region, urlSuffix, exact: false }));
  }
  return statements;
}

/** Variables that name a target repository in the configured guardrails would make the target ambiguous. */
function checkTargetVariables(request: ProjectRequest, guardrails: Guardrails): void {
  const targets = new Set(guardrails.targetRepository.environmentVariables);
  const problems = request.environmentVariables.flatMap((variable, index) =>
    targets.has(variable.name)
      ? [
          `${formatPath(['environmentVariables', index, 'name'])}: ${variable.name} is reserved: the guardrails ` +
            `read it as the project's target repository, and the project's is its own`,
        ]
      : [],
  );
  if (problems.length > 0) throw new InvalidInputError(REQUEST, problems);
}

const managedTag = { Key: MANAGED_TAG.key, Value: MANAGED_TAG.value };

/**
 * The create calls for a validated request. Every resource satisfies the guardrails: an IMMUTABLE,
 * scan-on-push, KMS-encrypted repository with the configured lifecycle policy; a project that is privileged
 * only as a declared docker build, logs to CloudWatch, keeps no plaintext credentials and names its target
 * repository; a role only CodeBuild acting for this project can assume, able to push to its own repository
 * and nothing else.
 * @throws InvalidInputError when a variable collides with the configured target-repository variables, or
 *   the role's policy would exceed IAM's size limit; ProvisioningConfigError when the context is unusable.
 */
export function planProvisioning(request: ProjectRequest, context: ProvisioningContext): ProvisioningPlan {
  checkContext(context);
  checkTargetVariables(request, context.guardrails);
  const { accountId, region, partition } = context;
  const spec = specOfRequest(request);
  const repositoryName = spec.name;
  const projectName = projectNameOf(repositoryName);
  checkReferences(request, projectName, context);
  const roleName = roleNameOf(repositoryName);
  const logGroupName = `/aws/codebuild/${projectName}`;
  const at = { partition, region, accountId };
  const repositoryArn = repositoryArnOf(at, repositoryName);
  const repositoryUri = repositoryUriOf(at, repositoryName);
  const roleArn = roleArnOf(at, ROLE_PATH, roleName);
  const projectArn = projectArnOf(at, projectName);
  const logGroupArn = buildArn({ ...at, service: 'logs', resource: `log-group:${logGroupName}` });
  const kmsKey = repositoryKmsKey(context);
  const token = context.requestToken;
  const tokenTag = token !== undefined ? [{ Key: REQUEST_TOKEN_TAG, Value: token }] : [];

  const trustPolicy: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CodeBuildForThisProject',
        Effect: 'Allow',
        Principal: { Service: CODEBUILD_SERVICE_PRINCIPAL },
        Action: 'sts:AssumeRole',
        // Confused deputy: only CodeBuild acting for this account's project may assume the role.
        Condition: {
          StringEquals: { 'aws:SourceAccount': accountId },
          ArnLike: { 'aws:SourceArn': projectArn },
        },
      },
    ],
  };
  const buildPolicy: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'BuildLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      // ECR has no resource-level permissions for the login token.
      { Sid: 'EcrLogin', Effect: 'Allow', Action: ECR_AUTH_ACTION, Resource: '*' },
      {
        Sid: 'EcrPushAndCachePull',
        Effect: 'Allow',
        Action: [...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS],
        Resource: repositoryArn,
      },
      ...sourceAndSecretStatements(spec, at),
    ],
  };
  const policyText = JSON.stringify(buildPolicy);
  if (policyText.length > ROLE_INLINE_POLICIES_MAX) {
    throw new InvalidInputError(REQUEST, [
      `environmentVariables: the build role's policy for these parameter and secret references (variables ` +
        `and buildspec env) would be ${policyText.length} characters; IAM allows ${ROLE_INLINE_POLICIES_MAX}`,
    ]);
  }

  const isGit = GIT_SOURCE_TYPES.has(spec.source.type);
  return {
    spec,
    account: { accountId, region, partition },
    projectName,
    roleName,
    logGroupName,
    createRepository: {
      repositoryName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', ...(kmsKey !== undefined ? { kmsKey } : {}) },
      tags: [managedTag, ...tokenTag, ...request.tags.map((t) => ({ Key: t.key, Value: t.value }))],
    },
    putLifecyclePolicy: {
      repositoryName,
      lifecyclePolicyText: serializeLifecyclePolicy(defaultLifecyclePolicy(context.guardrails)),
    },
    createRole: {
      RoleName: roleName,
      Path: ROLE_PATH,
      AssumeRolePolicyDocument: JSON.stringify(trustPolicy),
      ...(context.permissionsBoundaryArn !== undefined
        ? { PermissionsBoundary: context.permissionsBoundaryArn }
        : {}),
      Tags: [managedTag, ...tokenTag],
    },
    putRolePolicy: { RoleName: roleName, PolicyName: BUILD_POLICY_NAME, PolicyDocument: policyText },
    createProject: {
      name: projectName,
      source: {
        type: spec.source.type,
        ...(spec.source.location !== undefined ? { location: spec.source.location } : {}),
        buildspec: spec.buildspec,
        ...(isGit ? { gitCloneDepth: 1 } : {}),
      },
      ...(spec.source.branch !== undefined ? { sourceVersion: spec.source.branch } : {}),
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: spec.image,
        computeType: spec.computeType,
        privilegedMode: true,
        imagePullCredentialsType: 'CODEBUILD',
        environmentVariables: [
          { name: 'AWS_ACCOUNT_ID', value: accountId, type: 'PLAINTEXT' },
          { name: 'IMAGE_REPO_NAME', value: repositoryName, type: 'PLAINTEXT' },
          { name: 'REPOSITORY_URI', value: repositoryUri, type: 'PLAINTEXT' },
          ...request.environmentVariables.map(({ name, value, type }) => ({ name, value, type })),
        ],
      },
      serviceRole: roleArn,
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: logGroupName } },
      tags: [
        { ...MANAGED_TAG },
        { key: DOCKER_BUILD_TAG, value: 'true' },
        { key: REPOSITORY_TAG, value: repositoryName },
        ...tokenTag.map(({ Key, Value }) => ({ key: Key, value: Value })),
        ...request.tags.map(({ key, value }) => ({ key, value })),
      ],
    },
    resources: { repositoryArn, repositoryUri, roleArn, projectArn },
  };
}

export function specOf(plan: ProvisioningPlan): ProjectSpec {
  return structuredClone(plan.spec);
}

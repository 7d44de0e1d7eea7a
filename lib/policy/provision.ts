/**
 * Compliant-by-construction build projects: a request to "build images from this source into this ECR
 * repository" becomes the exact create calls for the repository, its CodeBuild project and a least-privilege
 * service role, each already satisfying every guardrail rule. Pure: the use case makes the calls through its
 * ports; tests run the audit on `expectedState(plan)` to prove the construction.
 */
import * as z from 'zod';
import {
  ACCOUNT_ID,
  buildArn,
  CODEBUILD_SERVICE_PRINCIPAL,
  dnsSuffixOf,
  ECR_AUTH_ACTION,
  ECR_CACHE_PULL_ACTIONS,
  ECR_PUSH_ACTIONS,
  isPartition,
  PROJECT_TAGS_MAX,
  projectArnOf,
  REGION,
  REGION_SOURCE,
  REPOSITORY_NAME_LENGTH,
  REPOSITORY_NAME_PATTERN,
  repositoryArnOf,
  repositoryUriOf,
  ROLE_INLINE_POLICIES_MAX,
  ROLE_NAME_MAX,
  roleArnOf,
} from './aws-facts';
import { buildspecEnv, buildspecEnvOf, isInlineBuildspec, parseBuildspec } from './buildspec';
import type { Guardrails } from './guardrails';
import { serializeLifecyclePolicy } from './lifecycle/grammar';
import {
  projectSchema,
  repositorySchema,
  roleSchema,
  type ManagedPolicy,
  type Project,
  type Repository,
  type Role,
} from './model';
import {
  namespaceProblem,
  namespacesFor,
  referenceFormatProblem,
  resolveReference,
  sourceBucketProblem,
  type AccountScope,
  type Reference,
  type ReferenceKind,
} from './references';
import { defaultLifecyclePolicy } from './remediation';
import { DOCKER_BUILD_TAG, plaintextCredentialReason, recognisedSecret } from './rules/project';
import { REPOSITORY_TAG } from './target-repository';
import { formatPath, InvalidInputError } from './validation';

// ---------------------------------------------------------------------------------------------------------
// Constants

export const SOURCE_TYPES = [
  'GITHUB',
  'GITHUB_ENTERPRISE',
  'BITBUCKET',
  'CODECOMMIT',
  'S3',
  'NO_SOURCE',
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
const GIT_SOURCE_TYPES: ReadonlySet<SourceType> = new Set([
  'GITHUB',
  'GITHUB_ENTERPRISE',
  'BITBUCKET',
  'CODECOMMIT',
]);

/** The ComputeType enum of the CodeBuild API model (botocore codebuild 2016-10-06). */
export const COMPUTE_TYPES = [
  'BUILD_GENERAL1_SMALL',
  'BUILD_GENERAL1_MEDIUM',
  'BUILD_GENERAL1_LARGE',
  'BUILD_GENERAL1_XLARGE',
  'BUILD_GENERAL1_2XLARGE',
  'BUILD_LAMBDA_1GB',
  'BUILD_LAMBDA_2GB',
  'BUILD_LAMBDA_4GB',
  'BUILD_LAMBDA_8GB',
  'BUILD_LAMBDA_10GB',
  'ATTRIBUTE_BASED_COMPUTE',
  'CUSTOM_INSTANCE_TYPE',
] as const;
export type ComputeType = (typeof COMPUTE_TYPES)[number];
/**
 * The compute types a privileged LINUX_CONTAINER build can run on. Lambda compute runs only the Lambda
 * environment types, which have no privileged mode and so no Docker daemon; ATTRIBUTE_BASED_COMPUTE and
 * CUSTOM_INSTANCE_TYPE need a computeConfiguration or a fleet, which a request cannot give.
 */
export const DOCKER_BUILD_COMPUTE_TYPES: readonly ComputeType[] = [
  'BUILD_GENERAL1_SMALL',
  'BUILD_GENERAL1_MEDIUM',
  'BUILD_GENERAL1_LARGE',
  'BUILD_GENERAL1_XLARGE',
  'BUILD_GENERAL1_2XLARGE',
];
export const DEFAULT_COMPUTE_TYPE: ComputeType = 'BUILD_GENERAL1_SMALL';
/**
 * The newest Ubuntu standard image CodeBuild curates (ubuntu/standard/8.0 in
 * github.com/aws/aws-codebuild-docker-images). Like every standard image it ships the Docker engine.
 */
export const DEFAULT_IMAGE = 'aws/codebuild/standard:8.0';

export const ENVIRONMENT_VARIABLE_TYPES = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'] as const;
export type EnvironmentVariableType = (typeof ENVIRONMENT_VARIABLE_TYPES)[number];

/** Set by the project itself: the default buildspec and target-repository resolution read them. */
export const PROJECT_VARIABLES = ['AWS_ACCOUNT_ID', 'IMAGE_REPO_NAME', 'REPOSITORY_URI'] as const;
/** Set by CodeBuild to the project's region; the buildspec logs in to ECR with it. */
const CODEBUILD_REGION_VARIABLES = ['AWS_REGION', 'AWS_DEFAULT_REGION'];
/** "Do not set any environment variable with a name that begins with CODEBUILD_" (CodeBuild User Guide). */
const CODEBUILD_PREFIX = 'CODEBUILD_';
/**
 * Further variables that name a target repository under the default guardrails (`targetRepository`): a
 * second, different repository there would make the project's target ambiguous to the audit. Variables
 * configured in other guardrails are refused when the plan is made.
 */
const OTHER_TARGET_VARIABLES = ['ECR_REPOSITORY', 'ECR_REPOSITORY_URI', 'IMAGE_REPOSITORY'];

/** The tag on every resource buildwarden creates. */
export const MANAGED_TAG = { key: 'managed-by', value: 'buildwarden' } as const;
/**
 * The token of the request that created a resource: a rollback deletes only what carries its own request's
 * token, so a request that loses a race never removes what a concurrent one created.
 */
export const REQUEST_TOKEN_TAG = 'buildwarden:request';
/** The service's own tag keys: users may not set them. */
const RESERVED_TAG_PREFIXES = ['buildwarden:', 'managed-by'];
/** CodeBuild allows 50 tags per project; buildwarden sets 4 of them. */
export const MAX_USER_TAGS = PROJECT_TAGS_MAX - 4;

export const ROLE_NAME_PREFIX = 'buildwarden-';
export const ROLE_PATH = '/service-role/';
/**
 * The build role's one inline policy. Deliberately not remediation's PUSH_POLICY_NAME, so a later
 * role-can-push fix adds its own policy beside this one instead of rewriting it.
 */
export const BUILD_POLICY_NAME = 'buildwarden-build';

const REQUEST = 'project request';

// ---------------------------------------------------------------------------------------------------------
// Field checks (messages name the problem, never echo a value that could be a secret)

/**
 * ECR allows runs of `-` and a double `_` between a name's letters and digits; a managed project's name keeps
 * to single separators, the rule of every earlier ECR repository-name pattern.
 */
const DOUBLE_SEPARATOR = /__|--/;

/** `team/app` → `team-app`: a CodeBuild project name has no `/`. */
export function projectNameOf(repositoryName: string): string {
  return repositoryName.replaceAll('/', '-');
}

export function roleNameOf(repositoryName: string): string {
  return `${ROLE_NAME_PREFIX}${projectNameOf(repositoryName)}`;
}

function nameProblems(name: string): string[] {
  const problems: string[] = [];
  const { min, max } = REPOSITORY_NAME_LENGTH;
  if (name.length < min || name.length > max) problems.push(`must be ${min} to ${max} characters`);
  if (!REPOSITORY_NAME_PATTERN.test(name) || DOUBLE_SEPARATOR.test(name)) {
    problems.push(
      'must be an ECR repository name: lowercase letters and digits, single . _ - between them, / between path components',
    );
  }
  if (name.includes('.')) {
    problems.push(
      `must not contain ".": the CodeBuild project name derived from it${name.length <= max ? ` (${projectNameOf(name)})` : ''} allows only letters, digits, - and _`,
    );
  }
  const roleLength = roleNameOf(name).length;
  if (roleLength > ROLE_NAME_MAX) {
    problems.push(
      `is too long: the IAM role name derived from it (${ROLE_NAME_PREFIX}<name with / as ->) would be ${roleLength} characters, ` +
        `IAM allows ${ROLE_NAME_MAX}; use at most ${ROLE_NAME_MAX - ROLE_NAME_PREFIX.length} characters`,
    );
  }
  return problems;
}

const S3_LOCATION = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+)$/;
const CODECOMMIT_URL = new RegExp(
  `^https:\\/\\/git-codecommit(?:-fips)?\\.(${REGION_SOURCE})\\.amazonaws\\.com(?:\\.cn)?\\/v1\\/repos\\/([\\w.-]{1,100})$`,
);
/** Hosts that the GITHUB and BITBUCKET source types connect to (any https host is GITHUB_ENTERPRISE). */
const SOURCE_HOSTS: Partial<Record<SourceType, string>> = {
  GITHUB: 'github.com',
  BITBUCKET: 'bitbucket.org',
};

function gitUrlProblems(type: SourceType, location: string): string[] {
  if (!/^https:\/\//i.test(location)) return [`must be an https:// clone URL for source.type ${type}`];
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return ['is not a valid URL'];
  }
  const problems: string[] = [];
  if (url.username !== '' || url.password !== '') {
    problems.push(
      'must not contain credentials or a user name before "@": connect the source provider with CodeBuild ' +
        'source credentials or a CodeConnections connection instead (and rotate any token that was in it)',
    );
  }
  if (url.search !== '' || url.hash !== '') problems.push('must not have a query string or fragment');
  if (type === 'CODECOMMIT') {
    if (!CODECOMMIT_URL.test(location)) {
      problems.push(
        'must be a CodeCommit clone URL: https://git-codecommit.<region>.amazonaws.com/v1/repos/<repository>',
      );
    }
    return problems;
  }
  const host = SOURCE_HOSTS[type];
  if (host !== undefined && url.hostname !== host) problems.push(`must be a URL on ${host} for ${type}`);
  if (url.pathname.split('/').filter(Boolean).length < 2) {
    problems.push('must name a repository (https://<host>/<owner>/<repository>)');
  }
  return problems;
}

function locationProblems(type: SourceType, location: string | undefined): string[] {
  if (type === 'NO_SOURCE') {
    return location === undefined ? [] : ['must be absent when source.type is NO_SOURCE'];
  }
  if (location === undefined || location.trim() === '') return [`required for source.type ${type}`];
  if (/\s/.test(location)) return ['must not contain whitespace'];
  if (type === 'S3') {
    if (/^s3:\/\//i.test(location)) return ['must be bucket/key, without s3://'];
    if (/[*?]/.test(location)) return ['must name one object or folder: a wildcard (* or ?) is not allowed'];
    return S3_LOCATION.test(location) ? [] : ['must be an S3 object or folder as bucket/key'];
  }
  return gitUrlProblems(type, location);
}

/** Git's rules for a ref name (git check-ref-format), in short. */
function branchProblems(type: SourceType, branch: string): string[] {
  if (!GIT_SOURCE_TYPES.has(type)) return [`must be absent for source.type ${type}: it has no branches`];
  const bad =
    branch.length === 0 ||
    branch.length > 255 ||
    /[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch) ||
    branch.includes('..') ||
    branch.includes('@{') ||
    branch.includes('//') ||
    /^[-/.]/.test(branch) ||
    /(?:\/|\.|\.lock)$/.test(branch);
  return bad ? ['must be a git branch name'] : [];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function variableNameProblems(name: string): string[] {
  if (!ENV_NAME.test(name)) return ['must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)'];
  const upper = name.toUpperCase();
  if ((PROJECT_VARIABLES as readonly string[]).includes(upper)) {
    return [`${name} is reserved: the project sets it itself (to its account and repository)`];
  }
  if (CODEBUILD_REGION_VARIABLES.includes(upper)) return [`${name} is reserved: CodeBuild sets it`];
  if (upper.startsWith(CODEBUILD_PREFIX)) return [`${CODEBUILD_PREFIX}* names are reserved by CodeBuild`];
  if (OTHER_TARGET_VARIABLES.includes(upper)) {
    return [`${name} is reserved: it names a target repository, and the project's is its own`];
  }
  return [];
}

const REFERENCE_KINDS: Partial<Record<EnvironmentVariableType, ReferenceKind>> = {
  PARAMETER_STORE: 'parameter',
  SECRETS_MANAGER: 'secret',
};

function variableValueProblems(variable: { name: string; value: string; type: EnvironmentVariableType }) {
  const { name, value, type } = variable;
  const kind = REFERENCE_KINDS[type];
  if (kind === undefined) {
    const reason = plaintextCredentialReason(name, value);
    return reason
      ? [
          `PLAINTEXT variable ${name} holds what looks like a credential (${reason}): keep it in SSM Parameter ` +
            `Store or Secrets Manager and use type PARAMETER_STORE or SECRETS_MANAGER`,
        ]
      : [];
  }
  const problem = referenceFormatProblem(kind, value);
  return problem ? [`${problem} for ${type} variable ${name}`] : [];
}

/** The tag rules of CodeBuild (KeyInput/ValueInput), the stricter of the services the tags go to. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function tagKeyProblems(key: string): string[] {
  const problems: string[] = [];
  if (key.length < 1 || key.length > 127) problems.push('tag keys are 1 to 127 characters');
  if (!TAG_TEXT.test(key)) problems.push('tag keys may hold letters, digits, spaces and _ . : / = + - @');
  const lower = key.toLowerCase();
  if (lower.startsWith('aws:')) problems.push('tag keys starting with aws: are reserved by AWS');
  const reserved = RESERVED_TAG_PREFIXES.find((p) => lower.startsWith(p));
  if (reserved) problems.push(`tag keys starting with ${reserved} are buildwarden's own`);
  return problems;
}

function tagValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 255) problems.push('tag values are at most 255 characters');
  if (!TAG_TEXT.test(value)) problems.push('tag values may hold letters, digits, spaces and _ . : / = + - @');
  return problems;
}

/**
 * Docker image reference: `[registry[:port]/]path[:tag][@sha256:digest]`, as CodeBuild's `image` takes it.
 * Paths follow the distribution spec's lowercase components.
 */
const IMAGE =
  /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

function inlineBuildspecProblems(buildspec: string): string[] {
  const parsed = parseBuildspec(buildspec);
  if (!parsed) return ['is not valid YAML'];
  const { document } = parsed;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return ['must be a buildspec: a YAML mapping with version and phases'];
  }
  const problems = 'version' in document ? [] : ['must declare its buildspec version (version: 0.2)'];
  const env = buildspecEnvOf(document);
  problems.push(...env.problems);
  // Judged like PLAINTEXT environment variables, by name; the message names the entry, never its value.
  for (const entry of env.variables) {
    const reason = plaintextCredentialReason(entry.name, entry.value);
    if (reason) {
      problems.push(
        `${entry.path} holds what looks like a credential (${reason}): move it to env.parameter-store or ` +
          `env.secrets-manager (or an environment variable of type PARAMETER_STORE or SECRETS_MANAGER)`,
      );
    }
  }
  for (const [entries, kind] of [
    [env.parameterStore, 'parameter'],
    [env.secretsManager, 'secret'],
  ] as const) {
    for (const entry of entries) {
      const problem = referenceFormatProblem(kind, entry.value);
      if (problem) problems.push(`${entry.path}: ${problem}`);
    }
  }
  return problems;
}

function buildspecProblems(buildspec: string): string[] {
  if (buildspec.trim() === '') return ['must not be empty (leave it out to use the default buildspec)'];
  const problems = isInlineBuildspec(buildspec) ? inlineBuildspecProblems(buildspec) : [];
  // Anywhere else in the text (a command, a path) there is no name to go by: only credentials recognisable
  // by their shape are refused, and only when no env.variables entry was already named for it.
  const named = problems.some((p) => p.startsWith('env.variables.'));
  const reason = named ? undefined : recognisedSecret(buildspec);
  if (reason) {
    problems.push(
      `holds what looks like a credential (${reason}): read it from SSM Parameter Store or Secrets Manager instead`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// The request schema

const addProblems = (ctx: z.RefinementCtx, problems: string[], path: PropertyKey[] = []) => {
  for (const message of problems) ctx.addIssue({ code: 'custom', message, path });
};
/** `required` when absent, `expected <what>` otherwise. */
const expected = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`),
});
const text = (what = 'a string') => z.string(expected(what));
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks that span a list or object run even when one of its items is malformed, so that every problem is
 * listed at once; they then see the items unparsed and must read them defensively.
 */
const whenArray = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };
const whenRecord = { when: (payload: { value: unknown }) => isRecord(payload.value) };

const nameSchema = text().superRefine((name, ctx) => addProblems(ctx, nameProblems(name)));

const sourceSchema = z
  .strictObject(
    {
      type: z.enum(SOURCE_TYPES, expected(`one of ${SOURCE_TYPES.join(', ')}`)),
      location: text().optional(),
      branch: text().optional(),
    },
    expected('an object { type, location, branch }'),
  )
  .superRefine((source, ctx) => {
    addProblems(ctx, locationProblems(source.type, source.location), ['location']);
    if (source.branch !== undefined) addProblems(ctx, branchProblems(source.type, source.branch), ['branch']);
  });

const computeTypeSchema = z
  .enum(COMPUTE_TYPES, expected(`one of ${DOCKER_BUILD_COMPUTE_TYPES.join(', ')}`))
  .superRefine((computeType, ctx) => {
    if (!DOCKER_BUILD_COMPUTE_TYPES.includes(computeType)) {
      addProblems(ctx, [
        `${computeType} cannot build container images (no privileged LINUX_CONTAINER): use one of ${DOCKER_BUILD_COMPUTE_TYPES.join(', ')}`,
      ]);
    }
  });

const imageSchema = text().superRefine((image, ctx) => {
  if (image.length > 512 || !IMAGE.test(image)) {
    addProblems(ctx, ['must be a Docker image reference such as aws/codebuild/standard:8.0']);
  }
});

const environmentVariableSchema = z
  .strictObject(
    {
      name: text().superRefine((name, ctx) => addProblems(ctx, variableNameProblems(name))),
      value: text(),
      type: z
        .enum(ENVIRONMENT_VARIABLE_TYPES, expected(`one of ${ENVIRONMENT_VARIABLE_TYPES.join(', ')}`))
        .default('PLAINTEXT'),
    },
    expected('an object { name, value, type }'),
  )
  .superRefine((variable, ctx) => addProblems(ctx, variableValueProblems(variable), ['value']));

const environmentVariablesSchema = z
  .array(environmentVariableSchema, expected('a list'))
  .superRefine((variables, ctx) => {
    const seen = new Set<string>();
    (variables as unknown[]).forEach((variable, index) => {
      const name = isRecord(variable) ? variable.name : undefined;
      if (typeof name !== 'string') return;
      if (seen.has(name)) addProblems(ctx, [`${name} is defined more than once`], [index, 'name']);
      seen.add(name);
    });
  }, whenArray);

const tagKeySchema = text().superRefine((key, ctx) => addProblems(ctx, tagKeyProblems(key)));
const tagValueSchema = text().superRefine((value, ctx) => addProblems(ctx, tagValueProblems(value)));
const tooManyTags = (count: number) =>
  count > MAX_USER_TAGS ? [`at most ${MAX_USER_TAGS} tags (buildwarden adds its own)`] : [];

const tagListSchema = z
  .array(z.strictObject({ key: tagKeySchema, value: tagValueSchema }, expected('an object { key, value }')))
  .superRefine((tags, ctx) => {
    const items = tags as unknown[];
    addProblems(ctx, tooManyTags(items.length));
    const seen = new Set<string>();
    items.forEach((tag, index) => {
      const key = isRecord(tag) ? tag.key : undefined;
      if (typeof key !== 'string') return;
      if (seen.has(key)) addProblems(ctx, [`tag ${key} is given more than once`], [index, 'key']);
      seen.add(key);
    });
  }, whenArray);

const tagRecordSchema = z.record(z.string(), tagValueSchema).superRefine((tags, ctx) => {
  const keys = Object.keys(tags as object);
  addProblems(ctx, tooManyTags(keys.length));
  for (const key of keys) addProblems(ctx, tagKeyProblems(key), [key]);
}, whenRecord);

const tagsSchema = z
  .union([tagListSchema, tagRecordSchema], {
    error: 'expected a list of { key, value } or an object of key: value',
  })
  .transform((tags) =>
    Array.isArray(tags) ? tags : Object.entries(tags).map(([key, value]) => ({ key, value })),
  );

const buildspecSchema = text().superRefine((buildspec, ctx) =>
  addProblems(ctx, buildspecProblems(buildspec)),
);

/**
 * The provisioning request. Unknown fields are refused; every problem is reported with its field path.
 * Defaults: computeType BUILD_GENERAL1_SMALL, image DEFAULT_IMAGE, buildspec `defaultBuildspec()`.
 */
export const projectRequestSchema = z
  .strictObject(
    {
      name: nameSchema,
      source: sourceSchema,
      buildspec: buildspecSchema.optional(),
      computeType: computeTypeSchema.default(DEFAULT_COMPUTE_TYPE),
      image: imageSchema.default(DEFAULT_IMAGE),
      environmentVariables: environmentVariablesSchema.default([]),
      tags: tagsSchema.default([]),
    },
    expected('a JSON object'),
  )
  .superRefine((request, ctx) => {
    // Across fields (see whenRecord).
    const raw: unknown = request;
    if (!isRecord(raw) || !isRecord(raw.source) || raw.source.type !== 'NO_SOURCE') return;
    if (raw.buildspec === undefined) {
      addProblems(
        ctx,
        [
          'required when source.type is NO_SOURCE: without a source there is no Dockerfile for the default buildspec to build',
        ],
        ['buildspec'],
      );
    } else if (typeof raw.buildspec === 'string' && !isInlineBuildspec(raw.buildspec)) {
      addProblems(ctx, ['must be an inline buildspec when source.type is NO_SOURCE'], ['buildspec']);
    }
  }, whenRecord)
  .transform((request) => ({ ...request, buildspec: request.buildspec ?? defaultBuildspec() }));

export type ProjectRequest = z.output<typeof projectRequestSchema>;
export type EnvironmentVariable = ProjectRequest['environmentVariables'][number];
export type UserTag = ProjectRequest['tags'][number];

type Issue = z.ZodError['issues'][number];

/** One `path: message` line per problem; unknown fields one by one, unions by the branch that fits. */
function problemsOf(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${formatPath([...path, key])}: unknown field`);
    }
    if (issue.code === 'invalid_union') {
      // The branch whose type matched holds the real problems; the others only say "wrong type".
      const fitting = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (fitting.length === 1) return problemsOf(fitting[0]!, path);
    }
    return [`${formatPath(path)}: ${issue.message}`];
  });
}

/** @throws InvalidInputError listing every problem by field path. */
export function parseProjectRequest(body: unknown): ProjectRequest {
  const result = projectRequestSchema.safeParse(body);
  if (!result.success) throw new InvalidInputError(REQUEST, problemsOf(result.error.issues));
  return result.data;
}

// ---------------------------------------------------------------------------------------------------------
// The default buildspec

/**
 * The Docker sample buildspec of the CodeBuild User Guide, adapted: the image goes straight to
 * `$REPOSITORY_URI` (set by the project), the registry host is taken from it (so it is right in every
 * partition, not only `amazonaws.com`), and the only tag is the source revision — never a moving tag such as
 * `latest`, since the repository's tags are immutable. Builds without a source revision (NO_SOURCE, an
 * unversioned S3 object) are tagged with the build's id instead.
 */
export function defaultBuildspec(): string {
  return [
    'version: 0.2',
    '',
    '# Generated by buildwarden from the CodeBuild Docker sample. Tags are immutable: each build pushes one',
    '# image tagged with its source revision, and no moving tag such as latest.',
    'phases:',
    '  pre_build:',
    '    commands:',
    '      - echo Logging in to Amazon ECR...',
    '      - aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin ${REPOSITORY_URI%%/*}',
    "      # The source revision (a commit id); without one, the build's own id.",
    '      - IMAGE_TAG="${CODEBUILD_RESOLVED_SOURCE_VERSION:-build-${CODEBUILD_BUILD_ID#*:}}"',
    '      # Docker tags are [A-Za-z0-9_.-], at most 128 characters (S3 version ids may hold + and /).',
    "      - IMAGE_TAG=$(printf '%s' \"$IMAGE_TAG\" | tr -c 'A-Za-z0-9_.-' '_' | cut -c 1-128)",
    '  build:',
    '    commands:',
    '      - echo Build started on `date`',
    '      - echo Building the Docker image $REPOSITORY_URI:$IMAGE_TAG...',
    '      - docker build -t $REPOSITORY_URI:$IMAGE_TAG .',
    '  post_build:',
    '    commands:',
    '      - echo Build completed on `date`',
    '      - echo Pushing the Docker image...',
    '      - docker push $REPOSITORY_URI:$IMAGE_TAG',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// The plan

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

/** The request with every default filled in, in canonical order: what "the same project" means. */
export interface ProjectSpec {
  name: string;
  source: { type: SourceType; location?: string; branch?: string };
  buildspec: string;
  computeType: ComputeType;
  image: string;
  environmentVariables: { name: string; value: string; type: EnvironmentVariableType }[];
  tags: { key: string; value: string }[];
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

/** Canonical order of a spec's lists, so equal specs compare equal whatever order they were given in. */
const byName =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

function specOfRequest(request: ProjectRequest): ProjectSpec {
  return {
    name: request.name,
    source: {
      type: request.source.type,
      ...(request.source.location !== undefined ? { location: request.source.location } : {}),
      ...(request.source.branch !== undefined ? { branch: request.source.branch } : {}),
    },
    buildspec: request.buildspec,
    computeType: request.computeType,
    image: request.image,
    environmentVariables: request.environmentVariables
      .map(({ name, value, type }) => ({ name, value, type }))
      .sort(byName((v) => v.name)),
    tags: request.tags.map(({ key, value }) => ({ key, value })).sort(byName((t) => t.key)),
  };
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
  const via = (service: string) => `${service}.${region}.${dnsSuffixOf(partition)}`;
  if (parameters.length > 0) {
    const arns = parameters.map((p) => p.arn);
    statements.push(
      { Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: arns },
      {
        Sid: 'DecryptParameters',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keys,
        Condition: {
          StringEquals: { 'kms:ViaService': via('ssm'), 'kms:EncryptionContext:PARAMETER_ARN': arns },
        },
      },
    );
  }
  if (secrets.length > 0) {
    const arns = secrets.map((s) => s.arn);
    statements.push(
      { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arns },
      {
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keys,
        Condition: {
          StringEquals: { 'kms:ViaService': via('secretsmanager') },
          StringLike: { 'kms:EncryptionContext:SecretARN': arns },
        },
      },
    );
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

// ---------------------------------------------------------------------------------------------------------
// Comparing specs (same name, different spec → 409)

export function specOf(plan: ProvisioningPlan): ProjectSpec {
  return structuredClone(plan.spec);
}

/** `path → value` for every leaf; variables and tags keyed by name, so order does not matter. */
function leaves(spec: ProjectSpec): Map<string, string> {
  const out = new Map<string, string>();
  out.set('name', spec.name);
  out.set('source.type', spec.source.type);
  if (spec.source.location !== undefined) out.set('source.location', spec.source.location);
  if (spec.source.branch !== undefined) out.set('source.branch', spec.source.branch);
  out.set('buildspec', spec.buildspec);
  out.set('computeType', spec.computeType);
  out.set('image', spec.image);
  for (const v of spec.environmentVariables) {
    out.set(`environmentVariables[${v.name}].value`, v.value);
    out.set(`environmentVariables[${v.name}].type`, v.type);
  }
  for (const t of spec.tags) out.set(`tags[${t.key}]`, t.value);
  return out;
}

/**
 * The fields in which two specs differ, by path (`source.location`, `environmentVariables[FOO].value`,
 * `tags[team]`); a variable present in one spec only is named once (`environmentVariables[FOO]`). Paths
 * only, never values: the answer may be shown to the caller. Identical specs give [].
 */
export function diffSpecs(a: ProjectSpec, b: ProjectSpec): string[] {
  const left = leaves(a);
  const right = leaves(b);
  const variables = (spec: ProjectSpec) => new Set(spec.environmentVariables.map((v) => v.name));
  const onlyOne = [...variables(a)].filter((n) => !variables(b).has(n));
  onlyOne.push(...[...variables(b)].filter((n) => !variables(a).has(n)));
  const diff: string[] = [];
  for (const path of new Set([...left.keys(), ...right.keys()])) {
    const variable = /^environmentVariables\[(.*)\]\.(?:value|type)$/.exec(path)?.[1];
    if (variable !== undefined && onlyOne.includes(variable)) {
      const whole = `environmentVariables[${variable}]`;
      if (!diff.includes(whole)) diff.push(whole);
      continue;
    }
    if (left.get(path) !== right.get(path)) diff.push(path);
  }
  return diff;
}

/**
 * One text for a spec, equal for specs `diffSpecs` finds identical (variables and tags in any order): what
 * requests in flight for one name are compared by, as a hash.
 */
export function canonicalSpecText(spec: ProjectSpec): string {
  return JSON.stringify([...leaves(spec)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------------------
// The state the read APIs report after creation

export interface ExpectedState {
  repository: Repository;
  role: Role;
  /** Managed policies buildwarden creates for the project: none (a permissions boundary is the caller's). */
  policies: ManagedPolicy[];
  project: Project;
}

/**
 * The repository (DescribeRepositories joined with GetLifecyclePolicy and ListTagsForResource), the role
 * (GetAccountAuthorizationDetails' RoleDetail) and the project (BatchGetProjects) as they read right after
 * the plan's calls, with the defaults the services fill in. Not known in advance and so left out: creation
 * times, the RoleId, and the AWS managed KMS key's ARN when no key is given.
 */
export function expectedState(plan: ProvisioningPlan): ExpectedState {
  const { accountId, region, partition } = plan.account;
  const { createRepository, createRole, putRolePolicy, createProject, resources } = plan;
  const repository = repositorySchema.parse({
    repositoryArn: resources.repositoryArn,
    registryId: accountId,
    repositoryName: createRepository.repositoryName,
    repositoryUri: resources.repositoryUri,
    imageTagMutability: createRepository.imageTagMutability,
    imageScanningConfiguration: createRepository.imageScanningConfiguration,
    encryptionConfiguration: createRepository.encryptionConfiguration,
    lifecyclePolicyText: plan.putLifecyclePolicy.lifecyclePolicyText,
    tags: createRepository.tags,
  });
  const role = roleSchema.parse({
    RoleName: createRole.RoleName,
    Arn: resources.roleArn,
    Path: createRole.Path,
    AssumeRolePolicyDocument: JSON.parse(createRole.AssumeRolePolicyDocument),
    RolePolicyList: [
      { PolicyName: putRolePolicy.PolicyName, PolicyDocument: JSON.parse(putRolePolicy.PolicyDocument) },
    ],
    AttachedManagedPolicies: [],
    ...(createRole.PermissionsBoundary !== undefined
      ? {
          PermissionsBoundary: {
            PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
            PermissionsBoundaryArn: createRole.PermissionsBoundary,
          },
        }
      : {}),
    Tags: createRole.Tags,
  });
  const project = projectSchema.parse({
    name: createProject.name,
    arn: resources.projectArn,
    source: { ...createProject.source, insecureSsl: false },
    ...(createProject.sourceVersion !== undefined ? { sourceVersion: createProject.sourceVersion } : {}),
    secondarySources: [],
    secondarySourceVersions: [],
    artifacts: createProject.artifacts,
    secondaryArtifacts: [],
    cache: { type: 'NO_CACHE' },
    environment: createProject.environment,
    serviceRole: createProject.serviceRole,
    timeoutInMinutes: 60,
    queuedTimeoutInMinutes: 480,
    encryptionKey: buildArn({ partition, service: 'kms', region, accountId, resource: 'alias/aws/s3' }),
    tags: createProject.tags,
    badge: { badgeEnabled: false },
    logsConfig: {
      cloudWatchLogs: createProject.logsConfig.cloudWatchLogs,
      s3Logs: { status: 'DISABLED', encryptionDisabled: false },
    },
  });
  return { repository, role, policies: [] as ManagedPolicy[], project };
}

/** Tags buildwarden sets on every managed project itself: not part of the spec a team asked for. */
const MANAGED_TAG_KEYS = new Set<string>([
  MANAGED_TAG.key,
  DOCKER_BUILD_TAG,
  REPOSITORY_TAG,
  REQUEST_TOKEN_TAG,
]);

/** The spec an existing managed project was created from, read back from the project (BatchGetProjects item). */
export function specOfProject(project: Project): ProjectSpec {
  const name = project.tags?.find((t) => t.key === REPOSITORY_TAG)?.value ?? project.name;
  const source = project.source ?? { type: 'NO_SOURCE' };
  const branch = typeof project.sourceVersion === 'string' ? project.sourceVersion : undefined;
  return {
    name,
    source: {
      type: source.type as ProjectSpec['source']['type'],
      ...(source.location !== undefined ? { location: source.location } : {}),
      ...(branch !== undefined ? { branch } : {}),
    },
    buildspec: source.buildspec ?? '',
    computeType: project.environment?.computeType as ProjectSpec['computeType'],
    image: project.environment?.image ?? '',
    environmentVariables: (project.environment?.environmentVariables ?? [])
      .filter((v) => !(PROJECT_VARIABLES as readonly string[]).includes(v.name))
      .map((v) => ({ name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' }))
      .sort(byName((v) => v.name)),
    tags: (project.tags ?? [])
      .filter((t) => !MANAGED_TAG_KEYS.has(t.key))
      .map((t) => ({ key: t.key, value: t.value ?? '' }))
      .sort(byName((t) => t.key)),
  };
}

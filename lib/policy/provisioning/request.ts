/**
 * The provisioning request: "build images from this source into this ECR repository", parsed with one schema.
 * Every field is checked, every problem is reported with its field path, and no message echoes a value that
 * could be a secret. Defaults are filled in here; the plan (plan.ts) turns a parsed request into API calls.
 */
import * as z from 'zod';
import {
  PROJECT_TAGS_MAX,
  REGION_SOURCE,
  REPOSITORY_NAME_LENGTH,
  REPOSITORY_NAME_PATTERN,
  ROLE_NAME_MAX,
} from '../aws-facts';
import { buildspecEnvOf, isInlineBuildspec, parseBuildspec } from '../buildspec';
import { referenceFormatProblem, type ReferenceKind } from '../references';
import { plaintextCredentialReason, recognisedSecret } from '../rules/codebuild/secrets';
import { formatPath, InvalidInputError } from '../validation';
import { defaultBuildspec } from './default-buildspec';
import { PROJECT_VARIABLES, projectNameOf, ROLE_NAME_PREFIX, roleNameOf } from './managed-resources';

// ---------------------------------------------------------------------------------------------------------
// What the fields may hold

export const SOURCE_TYPES = [
  'GITHUB',
  'GITHUB_ENTERPRISE',
  'BITBUCKET',
  'CODECOMMIT',
  'S3',
  'NO_SOURCE',
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
export const GIT_SOURCE_TYPES: ReadonlySet<SourceType> = new Set([
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

/** The service's own tag keys: users may not set them. */
const RESERVED_TAG_PREFIXES = ['buildwarden:', 'managed-by'];
/** CodeBuild allows 50 tags per project; buildwarden sets 4 of them. */
export const MAX_USER_TAGS = PROJECT_TAGS_MAX - 4;

/** How problems name the input: `project request is invalid: …`. */
export const REQUEST = 'project request';

// ---------------------------------------------------------------------------------------------------------
// Field checks (messages name the problem, never echo a value that could be a secret)

/**
 * ECR allows runs of `-` and a double `_` between a name's letters and digits; a managed project's name keeps
 * to single separators, the rule of every earlier ECR repository-name pattern.
 */
const DOUBLE_SEPARATOR = /__|--/;

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
export const CODECOMMIT_URL = new RegExp(
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

export const REFERENCE_KINDS: Partial<Record<EnvironmentVariableType, ReferenceKind>> = {
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

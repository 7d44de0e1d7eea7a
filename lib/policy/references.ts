/**
 * References a build project makes to values kept elsewhere — SSM parameters and Secrets Manager secrets
 * (environment variables of type PARAMETER_STORE / SECRETS_MANAGER, and an inline buildspec's
 * `env.parameter-store` / `env.secrets-manager`) and its S3 source bucket — and the namespaces they must stay
 * in (the guardrails' `provisioning` section, `{name}` = the CodeBuild project name). Provisioning refuses a
 * reference outside them; the audit reports a role that can read one.
 */
import type { ProvisioningConfig } from './guardrails';
import { buildspecEnv, isInlineBuildspec } from './buildspec';
import type { Project } from './model';

/**
 * `{name}` in a provisioning namespace stands for the CodeBuild project's name. Defined here rather than with
 * the guardrails schema, which loads the rules, which load this module.
 */
export const PROJECT_NAME_PLACEHOLDER = '{name}';

/** Where the project runs: its ARNs, and the only account and region its references may name. */
export interface AccountScope {
  partition: string;
  region: string;
  accountId: string;
}

/** The namespaces of one project, `{name}` substituted. */
export interface Namespaces {
  parameterPrefixes: string[];
  secretPrefixes: string[];
  sourceBuckets: string[];
}

export function namespacesFor(config: ProvisioningConfig, projectName: string): Namespaces {
  const substitute = (values: readonly string[]) =>
    values.map((v) => v.replaceAll(PROJECT_NAME_PLACEHOLDER, projectName));
  return {
    parameterPrefixes: substitute(config.parameterPrefixes),
    secretPrefixes: substitute(config.secretPrefixes),
    sourceBuckets: substitute(config.sourceBuckets),
  };
}

export type ReferenceKind = 'parameter' | 'secret';

const listOrNone = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : 'none');

/** "allowed: /ci/app/" — what a refusal or finding says the project may use instead. */
export function allowedNamespaces(kind: ReferenceKind | 'bucket', namespaces: Namespaces): string {
  if (kind === 'parameter') return `allowed parameter prefixes: ${listOrNone(namespaces.parameterPrefixes)}`;
  if (kind === 'secret') return `allowed secret prefixes: ${listOrNone(namespaces.secretPrefixes)}`;
  return `allowed source buckets: ${listOrNone(namespaces.sourceBuckets)}`;
}

export const hasWildcard = (value: string) => /[*?]/.test(value);

/** An identity-policy statement granting what a build needs to read its parameters and secrets. */
export interface ReadStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string;
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const VALUE_READS: Record<ReferenceKind, { sid: string; action: string; service: string; context: string }> =
  {
    parameter: {
      sid: 'Parameters',
      action: 'ssm:GetParameters',
      service: 'ssm',
      context: 'kms:EncryptionContext:PARAMETER_ARN',
    },
    secret: {
      sid: 'Secrets',
      action: 'secretsmanager:GetSecretValue',
      service: 'secretsmanager',
      context: 'kms:EncryptionContext:SecretARN',
    },
  };

/**
 * Reading the parameters or secrets `arns`, and decrypting them with customer managed keys (`keys`) only
 * through their service (`<service>.<region>.<urlSuffix>`) and only for these values: the encryption context
 * Parameter Store and Secrets Manager pass to KMS names the value's ARN. `exact` matches that context with
 * StringEquals (ARNs that name one value each); otherwise with StringLike (namespaces, secret suffixes).
 */
export function valueReadStatements(
  kind: ReferenceKind,
  arns: string[],
  decrypt: { keys: string; region: string; urlSuffix: string; exact: boolean },
): ReadStatement[] {
  const read = VALUE_READS[kind];
  const via = { 'kms:ViaService': `${read.service}.${decrypt.region}.${decrypt.urlSuffix}` };
  return [
    { Sid: `Read${read.sid}`, Effect: 'Allow', Action: read.action, Resource: arns },
    {
      Sid: `Decrypt${read.sid}`,
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: decrypt.keys,
      Condition: decrypt.exact
        ? { StringEquals: { ...via, [read.context]: arns } }
        : { StringEquals: via, StringLike: { [read.context]: arns } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Parsing a reference

/** SSM parameter names (PutParameter, Name): a-zA-Z0-9_.- and / between levels. */
const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;
const PARAMETER_ARN = /^arn:(aws[a-z-]*):ssm:([a-z0-9-]+):(\d{12}):parameter\/([A-Za-z0-9_.\-/]{1,2048})$/;
/** Secrets Manager names (CreateSecret, Name). */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN =
  /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
/** Secrets Manager ends every secret's ARN with `-` and six random characters. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;
/**
 * The IAM resource for a secret known by name: the six characters of its random suffix as `?`. This is the
 * only wildcard buildwarden puts in a build policy, and it is its own, never the caller's: `?` matches
 * exactly one character, so `name-??????` matches the ARN of the secret called `name` and of no other
 * secret (any other name starting with `name-` is at least two characters longer before its own suffix).
 */
export const SECRET_SUFFIX_WILDCARD = '-??????';

/** A parameter or secret a project reads, resolved to the IAM resource a build role needs for it. */
export interface Reference {
  kind: ReferenceKind;
  /** The parameter or secret name (`/ci/app/token`, `ci/app/token`). */
  name: string;
  /** The ARN to grant: exact, or for a secret known by name ending in SECRET_SUFFIX_WILDCARD. */
  arn: string;
  /** Account, region and partition the reference names (its ARN's, or the project's for a name). */
  scope: AccountScope;
}

/** The parameter's ARN: a name `/a/b` is `parameter/a/b` (the leading `/` is the ARN's separator). */
function parameterArn(name: string, at: AccountScope): string {
  return `arn:${at.partition}:ssm:${at.region}:${at.accountId}:parameter/${name.replace(/^\//, '')}`;
}

/**
 * A PARAMETER_STORE value: a parameter name, or its ARN. Undefined when it is neither (or holds a wildcard,
 * which neither allows). The name read back from an ARN gets its leading `/` when it is hierarchical.
 */
export function parameterReference(value: string, at: AccountScope): Reference | undefined {
  const arn = PARAMETER_ARN.exec(value);
  if (arn) {
    const [, partition = '', region = '', accountId = '', path = ''] = arn;
    const name = path.includes('/') ? `/${path}` : path;
    return { kind: 'parameter', name, arn: value, scope: { partition, region, accountId } };
  }
  if (!PARAMETER_NAME.test(value)) return undefined;
  return { kind: 'parameter', name: value, arn: parameterArn(value, at), scope: at };
}

/**
 * A SECRETS_MANAGER value: `secret-id[:json-key[:version-stage[:version-id]]]`, the id a secret name or
 * ARN. A complete ARN (ending in the random suffix) is granted as it is; a name, or an ARN without the
 * suffix (a partial ARN), by SECRET_SUFFIX_WILDCARD.
 */
export function secretReference(value: string, at: AccountScope): Reference | undefined {
  const parts = value.split(':');
  if (value.startsWith('arn:')) {
    const arn = SECRET_ARN.exec(parts.slice(0, 7).join(':'));
    if (!arn) return undefined;
    const [whole, partition = '', region = '', accountId = '', id = ''] = arn;
    const complete = SECRET_SUFFIX.test(id);
    return {
      kind: 'secret',
      name: complete ? id.replace(SECRET_SUFFIX, '') : id,
      arn: complete ? whole : `${whole}${SECRET_SUFFIX_WILDCARD}`,
      scope: { partition, region, accountId },
    };
  }
  const name = parts[0] ?? '';
  if (!SECRET_NAME.test(name)) return undefined;
  const arn = `arn:${at.partition}:secretsmanager:${at.region}:${at.accountId}:secret:${name}${SECRET_SUFFIX_WILDCARD}`;
  return { kind: 'secret', name, arn, scope: at };
}

export function resolveReference(
  kind: ReferenceKind,
  value: string,
  at: AccountScope,
): Reference | undefined {
  return kind === 'parameter' ? parameterReference(value, at) : secretReference(value, at);
}

/** Why a reference's value is unusable, whatever the namespaces (wildcards first: they are never allowed). */
export function referenceFormatProblem(kind: ReferenceKind, value: string): string | undefined {
  if (hasWildcard(value)) {
    return `must name one ${kind}: a wildcard (* or ?) is not allowed anywhere in a reference`;
  }
  // Any valid scope: only the shape is checked here.
  const at = { partition: 'aws', region: 'us-east-1', accountId: '000000000000' };
  if (resolveReference(kind, value, at) !== undefined) return undefined;
  return kind === 'parameter'
    ? 'must be an SSM parameter name or ARN (a name holds letters, digits and _ . - /)'
    : 'must be a Secrets Manager secret name or ARN, optionally followed by :json-key:version-stage:version-id';
}

/**
 * Why a resolved reference is outside the project's namespaces, or undefined when it is inside: another
 * partition, account or region, or a name under none of the prefixes. Messages never hold the reference's
 * value; they list what is allowed.
 */
export function namespaceProblem(
  reference: Reference,
  namespaces: Namespaces,
  at: AccountScope,
): string | undefined {
  const { scope, kind, name } = reference;
  if (scope.partition !== at.partition || scope.accountId !== at.accountId || scope.region !== at.region) {
    return `names a ${kind} in another account or region: only ${at.accountId} in ${at.region} is allowed`;
  }
  const prefixes = kind === 'parameter' ? namespaces.parameterPrefixes : namespaces.secretPrefixes;
  if (prefixes.some((prefix) => name.startsWith(prefix))) return undefined;
  return `names a ${kind} outside the project's namespaces (${allowedNamespaces(kind, namespaces)})`;
}

/** Why an S3 source bucket is not allowed for the project, or undefined. */
export function sourceBucketProblem(bucket: string, namespaces: Namespaces): string | undefined {
  if (namespaces.sourceBuckets.includes(bucket)) return undefined;
  return `names an S3 bucket that is not a source bucket of the project (${allowedNamespaces('bucket', namespaces)})`;
}

// ---------------------------------------------------------------------------------------------------------
// The references of an existing project

/** One reference a project makes, and where it makes it. */
export interface ProjectReference {
  kind: ReferenceKind;
  /** `environmentVariables[DB_PASSWORD]` or `buildspec env.parameter-store.DB_PASSWORD`. */
  location: string;
  /** The value as the project holds it (a name or ARN: never a secret itself). */
  value: string;
}

/**
 * Every parameter and secret an existing project (a BatchGetProjects item) reads: its PARAMETER_STORE and
 * SECRETS_MANAGER environment variables, and the `env.parameter-store` / `env.secrets-manager` entries of its
 * primary source's inline buildspec (the one CodeBuild runs). An unparsable buildspec contributes nothing.
 */
export function projectReferences(project: Project): ProjectReference[] {
  const references: ProjectReference[] = [];
  for (const variable of project.environment?.environmentVariables ?? []) {
    const kind =
      variable.type === 'PARAMETER_STORE'
        ? 'parameter'
        : variable.type === 'SECRETS_MANAGER'
          ? 'secret'
          : undefined;
    if (kind)
      references.push({ kind, location: `environmentVariables[${variable.name}]`, value: variable.value });
  }
  const buildspec = project.source?.buildspec;
  if (buildspec !== undefined && isInlineBuildspec(buildspec)) {
    const env = buildspecEnv(buildspec);
    for (const entry of env.parameterStore) {
      references.push({ kind: 'parameter', location: `buildspec ${entry.path}`, value: entry.value });
    }
    for (const entry of env.secretsManager) {
      references.push({ kind: 'secret', location: `buildspec ${entry.path}`, value: entry.value });
    }
  }
  return references;
}

/** A project's reference that is outside its namespaces, resolved. */
export interface OutsideReference extends ProjectReference {
  project: string;
  reference: Reference;
  /** Why it is outside (see namespaceProblem). */
  problem: string;
}

/** The scope of a project: from its ARN (`arn:aws:codebuild:<region>:<account>:project/<name>`). */
export function projectScope(project: Project, fallback: AccountScope): AccountScope {
  const [arn, partition, service, region, accountId] = project.arn.split(':');
  if (arn !== 'arn' || service !== 'codebuild' || !partition || !region || !accountId) return fallback;
  return { partition, region, accountId };
}

/**
 * The project's references that are not inside its namespaces. References that do not parse (CodeBuild
 * could not resolve them either) are left out.
 */
export function outsideReferences(
  project: Project,
  config: ProvisioningConfig,
  fallback: AccountScope,
): OutsideReference[] {
  const at = projectScope(project, fallback);
  const namespaces = namespacesFor(config, project.name);
  return projectReferences(project).flatMap((ref) => {
    if (hasWildcard(ref.value)) return [];
    const reference = resolveReference(ref.kind, ref.value, at);
    const problem = reference && namespaceProblem(reference, namespaces, at);
    return reference && problem ? [{ ...ref, project: project.name, reference, problem }] : [];
  });
}

/** Where one kind of reference may point, for a set of projects: ARN prefixes, and the prefixes to show. */
export interface ReadNamespace {
  kind: ReferenceKind;
  /** `arn:aws:ssm:us-east-1:123456789012:parameter/ci/app/`, `arn:aws:secretsmanager:…:secret:ci/app/`. */
  arnPrefixes: string[];
  /** `allowed parameter prefixes: /ci/app/, /ci/web/`. */
  allowed: string;
}

/** The namespaces of the projects together (the projects sharing one service role), as ARN prefixes. */
export function readNamespaces(
  projects: readonly Project[],
  config: ProvisioningConfig,
  fallback: AccountScope,
): ReadNamespace[] {
  const kinds: { kind: ReferenceKind; key: 'parameterPrefixes' | 'secretPrefixes' }[] = [
    { kind: 'parameter', key: 'parameterPrefixes' },
    { kind: 'secret', key: 'secretPrefixes' },
  ];
  return kinds.map(({ kind, key }) => {
    const arnPrefixes = new Set<string>();
    const prefixes = new Set<string>();
    for (const project of projects) {
      const at = projectScope(project, fallback);
      for (const prefix of namespacesFor(config, project.name)[key]) {
        prefixes.add(prefix);
        arnPrefixes.add(
          kind === 'parameter'
            ? `arn:${at.partition}:ssm:${at.region}:${at.accountId}:parameter/${prefix.replace(/^\//, '')}`
            : `arn:${at.partition}:secretsmanager:${at.region}:${at.accountId}:secret:${prefix}`,
        );
      }
    }
    const allowed = allowedNamespaces(kind, {
      parameterPrefixes: kind === 'parameter' ? [...prefixes] : [],
      secretPrefixes: kind === 'secret' ? [...prefixes] : [],
      sourceBuckets: [],
    });
    return { kind, arnPrefixes: [...arnPrefixes], allowed };
  });
}

/**
 * Which ECR repository a CodeBuild project pushes to, read from its configuration: the environment variables
 * named in `targetRepository.environmentVariables` (bare name, repository URI or ARN) and the project tag
 * `buildwarden:repository`. Pure: when the answer cannot be read from the configuration, say why instead of
 * guessing.
 */
import {
  parseRepositoryArn,
  partitionOf,
  REGION_SOURCE,
  REPOSITORY_NAME,
  repositoryArnOf,
} from './aws-facts';
import type { Project, Repository } from './model';

/** Project tag naming the target repository explicitly (a bare name, URI or ARN). */
export const REPOSITORY_TAG = 'buildwarden:repository';

export interface RepositoryScope {
  accountId: string;
  region: string;
  partition: string;
  repositories: Repository[];
}

interface RepositoryIndex {
  arns: Set<string>;
  registriesByName: Map<string, (string | undefined)[]>;
}

/** Looked up once per repository list, so resolving every project of a large account stays linear. */
const indexes = new WeakMap<Repository[], { length: number; index: RepositoryIndex }>();

function indexOf(repositories: Repository[]): RepositoryIndex {
  const cached = indexes.get(repositories);
  if (cached && cached.length === repositories.length) return cached.index;
  const index: RepositoryIndex = { arns: new Set(), registriesByName: new Map() };
  for (const r of repositories) {
    index.arns.add(r.repositoryArn);
    const ids = index.registriesByName.get(r.repositoryName) ?? [];
    ids.push(r.registryId);
    index.registriesByName.set(r.repositoryName, ids);
  }
  indexes.set(repositories, { length: repositories.length, index });
  return index;
}

export type TargetRepository =
  | {
      status: 'resolved';
      repositoryName: string;
      repositoryArn: string;
      /** Where the name was read, e.g. `environment variable IMAGE_REPO_NAME` (several joined by `, `). */
      source: string;
      /**
       * Present (false) only when the repository is in the scope's own account and region but not among its
       * repositories. Absent when it was found, or when it lives in another registry (existence unknown).
       */
      exists?: boolean;
    }
  | { status: 'not-visible'; reason: string };

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` (and other partitions' domains), or dual-stack. */
const ECR_HOST = new RegExp(
  `^(\\d{12})\\.(?:dkr\\.ecr(?:-fips)?\\.(${REGION_SOURCE})\\.[a-z0-9.-]+|dkr-ecr\\.(${REGION_SOURCE})\\.on\\.aws)$`,
);
const TAG_OR_DIGEST = /(?:@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/;

function partitionIn(region: string, scope: RepositoryScope): string {
  return region === scope.region ? scope.partition : partitionOf(region);
}

interface Located {
  name: string;
  accountId: string;
  region: string;
  partition: string;
}
type Parsed = { ok: true; repository: Located } | { ok: false; why: string };

/** A literal value (references already expanded) as a repository: ARN, registry URI, or bare name. */
function parseRepositoryValue(raw: string, scope: RepositoryScope): Parsed {
  const value = raw.trim();
  const arn = parseRepositoryArn(value);
  if (arn) {
    const { partition, region, accountId, repositoryName: name } = arn;
    if (arn.imageDigest !== undefined || !REPOSITORY_NAME.test(name))
      return { ok: false, why: 'is an ECR ARN with an invalid repository name' };
    return { ok: true, repository: { name, accountId, region, partition } };
  }
  const withoutScheme = value.replace(/^https?:\/\//, '');
  const slash = withoutScheme.indexOf('/');
  const first = slash >= 0 ? withoutScheme.slice(0, slash) : '';
  // Docker's reference rule: a first component with a dot or a port, or `localhost`, is a registry host.
  const hasRegistry = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  const path = (hasRegistry ? withoutScheme.slice(slash + 1) : withoutScheme).replace(TAG_OR_DIGEST, '');
  if (hasRegistry) {
    const host = ECR_HOST.exec(first.toLowerCase());
    if (!host) return { ok: false, why: 'names an image outside private Amazon ECR' };
    const accountId = host[1]!;
    const region = (host[2] ?? host[3])!;
    if (!REPOSITORY_NAME.test(path))
      return { ok: false, why: 'is an ECR URI with an invalid repository name' };
    return { ok: true, repository: { name: path, accountId, region, partition: partitionIn(region, scope) } };
  }
  if (!REPOSITORY_NAME.test(path)) return { ok: false, why: 'is not an ECR repository name, URI or ARN' };
  return {
    ok: true,
    repository: { name: path, accountId: scope.accountId, region: scope.region, partition: scope.partition },
  };
}

/** CodeBuild sets these in every build to the project's region. */
const BUILT_IN_REGION_VARIABLES = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);
const VARIABLE_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Expands `$NAME` / `${NAME}` once, from the project's own PLAINTEXT literal variables and CodeBuild's region
 * variables, so `$AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com/$IMAGE_REPO_NAME` resolves when
 * the project defines AWS_ACCOUNT_ID and IMAGE_REPO_NAME. Command substitution cannot be evaluated.
 */
function expand(
  value: string,
  literals: ReadonlyMap<string, string>,
  scope: RepositoryScope,
): Parsed | string {
  if (value.trim() === '') return { ok: false, why: 'is empty' };
  if (/\$\(|`/.test(value)) return { ok: false, why: 'is computed by a command at build time' };
  const unknown = new Set<string>();
  const expanded = value.replace(VARIABLE_REFERENCE, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const literal = literals.get(name) ?? (BUILT_IN_REGION_VARIABLES.has(name) ? scope.region : undefined);
    if (literal === undefined) unknown.add(name);
    return literal ?? whole;
  });
  if (unknown.size > 0) {
    return {
      ok: false,
      why: `refers to ${[...unknown].join(', ')}, which the project configuration does not set`,
    };
  }
  if (expanded.includes('$')) return { ok: false, why: 'contains a reference that cannot be expanded' };
  return expanded;
}

interface Candidate {
  source: string;
  parsed: Parsed;
}

/**
 * The project's target repository. Sources that resolve win over sources that cannot be read (a
 * `REPOSITORY_URI` built from `$(aws sts …)` next to a literal `IMAGE_REPO_NAME` is common); sources that
 * resolve to different repositories make the answer not-visible, naming the conflict.
 */
export function resolveTargetRepository(
  project: Project,
  scope: RepositoryScope,
  envVarNames: readonly string[],
): TargetRepository {
  const variables = project.environment?.environmentVariables ?? [];
  const literals = new Map(
    variables
      .filter((v) => (v.type ?? 'PLAINTEXT') === 'PLAINTEXT' && !/[$`]/.test(v.value))
      .map((v) => [v.name, v.value] as const),
  );
  const candidates: Candidate[] = [];
  for (const name of envVarNames) {
    for (const variable of variables.filter((v) => v.name === name)) {
      const source = `environment variable ${name}`;
      const type = variable.type ?? 'PLAINTEXT';
      if (type !== 'PLAINTEXT') {
        candidates.push({
          source,
          parsed: { ok: false, why: `is a ${type} variable, whose value cannot be read` },
        });
        continue;
      }
      const expanded = expand(variable.value, literals, scope);
      candidates.push({
        source,
        parsed: typeof expanded === 'string' ? parseRepositoryValue(expanded, scope) : expanded,
      });
    }
  }
  const tag = project.tags?.find((t) => t.key === REPOSITORY_TAG);
  if (tag) {
    const value = tag.value ?? '';
    candidates.push({
      source: `tag ${REPOSITORY_TAG}`,
      parsed: value.trim() === '' ? { ok: false, why: 'is empty' } : parseRepositoryValue(value, scope),
    });
  }

  const resolved = new Map<string, { repository: Located; sources: string[] }>();
  for (const { source, parsed } of candidates) {
    if (!parsed.ok) continue;
    const arn = repositoryArnOf(parsed.repository, parsed.repository.name);
    const entry = resolved.get(arn) ?? { repository: parsed.repository, sources: [] };
    entry.sources.push(source);
    resolved.set(arn, entry);
  }

  if (resolved.size > 1) {
    const parts = [...resolved].map(([arn, { sources }]) => `${sources.join(', ')} → ${arn}`);
    return {
      status: 'not-visible',
      reason: `sources name different target repositories: ${parts.join('; ')}`,
    };
  }
  const only = [...resolved][0];
  if (only) {
    const [repositoryArn, { repository, sources }] = only;
    const local =
      repository.accountId === scope.accountId &&
      repository.region === scope.region &&
      repository.partition === scope.partition;
    const index = indexOf(scope.repositories);
    const found =
      index.arns.has(repositoryArn) ||
      (local &&
        (index.registriesByName.get(repository.name) ?? []).some(
          (id) => (id ?? scope.accountId) === scope.accountId,
        ));
    return {
      status: 'resolved',
      repositoryName: repository.name,
      repositoryArn,
      source: sources.join(', '),
      ...(local && !found ? { exists: false } : {}),
    };
  }
  if (candidates.length === 0) {
    const names = envVarNames.length > 0 ? `no environment variable (${envVarNames.join(', ')}) or ` : 'no ';
    return { status: 'not-visible', reason: `${names}tag ${REPOSITORY_TAG} names a target repository` };
  }
  const problems = candidates.flatMap(({ source, parsed }) => (parsed.ok ? [] : [`${source} ${parsed.why}`]));
  return { status: 'not-visible', reason: `the target repository cannot be read: ${problems.join('; ')}` };
}

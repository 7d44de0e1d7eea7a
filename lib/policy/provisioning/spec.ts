/**
 * A project's spec: the request with every default filled in, in canonical order — what "the same project"
 * means. Two requests for one name are compared by it (same spec → the same answer, different → 409), and an
 * existing managed project is read back into it. Pure.
 */
import type { Project } from '../model';
import { MANAGED_TAG_KEYS, PROJECT_VARIABLES } from './managed-resources';
import type { ComputeType, EnvironmentVariableType, ProjectRequest, SourceType } from './request';
import { REPOSITORY_TAG } from '../target-repository';

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

/** Canonical order of a spec's lists, so equal specs compare equal whatever order they were given in. */
const byName =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

export function specOfRequest(request: ProjectRequest): ProjectSpec {
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

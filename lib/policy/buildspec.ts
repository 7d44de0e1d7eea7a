/**
 * Reading an inline buildspec (CodeBuild User Guide, "Build specification reference"): its `env` section
 * declares plaintext `variables`, `parameter-store` references (variable: parameter name) and
 * `secrets-manager` references (variable: `secret-id:json-key:version-stage:version-id`).
 */
import { yaml } from './yaml';

/** A project's `source.buildspec` with a line break is inline YAML; a single line is a path or S3 ARN. */
export function isInlineBuildspec(buildspec: string): boolean {
  return /[\r\n]/.test(buildspec.trim());
}

/** The parsed YAML document, or undefined when the text is not YAML. */
export function parseBuildspec(buildspec: string): { document: unknown } | undefined {
  try {
    return { document: yaml().parse(buildspec) as unknown };
  } catch {
    return undefined;
  }
}

/** One `env.<section>.<NAME>: value` entry; `path` is `env.<section>.<NAME>`. */
export interface BuildspecEntry {
  path: string;
  name: string;
  value: string;
}

export interface BuildspecEnv {
  /** False when the text is not YAML: nothing could be read. */
  parsed: boolean;
  variables: BuildspecEntry[];
  parameterStore: BuildspecEntry[];
  secretsManager: BuildspecEntry[];
  /** `env.<section>…: problem` for sections or values CodeBuild could not take. */
  problems: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SECTIONS = [
  ['variables', 'variables'],
  ['parameter-store', 'parameterStore'],
  ['secrets-manager', 'secretsManager'],
] as const;

/**
 * The `env` entries of an inline buildspec. Scalars are read as YAML gives them (`PORT: 8080` is `8080`);
 * a section that is not a mapping, or a value that is not a scalar, is a problem.
 */
export function buildspecEnv(buildspec: string): BuildspecEnv {
  const parsed = parseBuildspec(buildspec);
  if (!parsed) return { parsed: false, variables: [], parameterStore: [], secretsManager: [], problems: [] };
  return buildspecEnvOf(parsed.document);
}

/** buildspecEnv of an already parsed document. */
export function buildspecEnvOf(document: unknown): BuildspecEnv {
  const result: BuildspecEnv = {
    parsed: true,
    variables: [],
    parameterStore: [],
    secretsManager: [],
    problems: [],
  };
  const env = isRecord(document) ? document.env : undefined;
  if (env === undefined || env === null) return result;
  if (!isRecord(env)) {
    result.problems.push('env: must be a mapping');
    return result;
  }
  for (const [section, field] of SECTIONS) {
    const entries = env[section];
    if (entries === undefined || entries === null) continue;
    if (!isRecord(entries)) {
      result.problems.push(`env.${section}: must be a mapping of variable names to values`);
      continue;
    }
    for (const [name, value] of Object.entries(entries)) {
      const path = `env.${section}.${name}`;
      if (value !== null && typeof value === 'object') {
        result.problems.push(`${path}: must be a single value`);
        continue;
      }
      result[field].push({ path, name, value: value === null ? '' : String(value) });
    }
  }
  return result;
}

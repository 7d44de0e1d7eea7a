/**
 * Name patterns where `*` stands for any run of characters (including none, and including `/`); every other
 * character, `?` included, is literal. Matched in linear time (glob.ts), never through a RegExp: the patterns
 * come from configuration and account data.
 */
import { compileGlob, type Glob } from './glob';

/** A compiled name pattern. Case-sensitive; `*` does not match line terminators. */
export function compileWildcard(pattern: string): Glob {
  return compileGlob(pattern);
}

export function matchesWildcard(name: string, pattern: string): boolean {
  return compileWildcard(pattern).test(name);
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesWildcard(name, p));
}

/**
 * ECR registry scanning repository filters (filterType WILDCARD). The ECR user guide: "Filters with no
 * wildcard will match all repository names that contain the filter. Filters with wildcards (*) match on a
 * repository name where the wildcard replaces zero or more characters in the repository name."
 */
export function matchesEcrScanFilter(repositoryName: string, filter: string): boolean {
  if (!filter.includes('*')) return repositoryName.includes(filter);
  return matchesWildcard(repositoryName, filter);
}

/** Name patterns where `*` stands for any run of characters (including none, and including `/`). */

const cache = new Map<string, RegExp>();

export function wildcardToRegExp(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, flags);
    cache.set(key, re);
  }
  return re;
}

export function matchesWildcard(name: string, pattern: string): boolean {
  return wildcardToRegExp(pattern).test(name);
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

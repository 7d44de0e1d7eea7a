/**
 * Matching one request element against one policy element: actions, resources (ARNs) and principals.
 * Answers are three-valued where a policy can be undecidable without request context: `maybe` means "it
 * would match for some values of a policy variable / an unnamed principal", never a guess either way.
 */
import { compileGlob, type Glob } from '../glob';
import type { PrincipalElement } from './statements';

export type Match = 'yes' | 'maybe' | 'no';

/** The weakest of the answers (`no` < `maybe` < `yes`): all of them must hold. */
export function allOf(...answers: Match[]): Match {
  if (answers.includes('no')) return 'no';
  return answers.includes('maybe') ? 'maybe' : 'yes';
}

/** The strongest of the answers: any one of them is enough. */
export function anyOf(answers: Iterable<Match>): Match {
  let best: Match = 'no';
  for (const a of answers) {
    if (a === 'yes') return 'yes';
    if (a === 'maybe') best = 'maybe';
  }
  return best;
}

/** `yes` ↔ `no`, `maybe` stays: the element is a Not… element. */
export function negate(answer: Match): Match {
  return answer === 'yes' ? 'no' : answer === 'no' ? 'yes' : 'maybe';
}

/**
 * `*` (any run, including none) and `?` (one character) wildcards, matching line terminators too. With
 * `variables`, `${*}`, `${?}` and `${$}` are the literal characters and any other `${…}` is a policy variable
 * whose value is unknown. Linear time (glob.ts): policy documents are account data.
 */
function compileIamGlob(pattern: string, caseInsensitive: boolean, variables: boolean): Glob {
  return compileGlob(pattern, {
    questionMark: true,
    dotAll: true,
    caseInsensitive,
    policyVariables: variables,
  });
}

function globMatch(pattern: string, value: string, caseInsensitive: boolean, variables: boolean): Match {
  const glob = compileIamGlob(pattern, caseInsensitive, variables);
  if (!glob.test(value)) return 'no';
  return glob.hasVariable ? 'maybe' : 'yes';
}

/**
 * IAM action matching: `*` alone matches every action; otherwise the service prefix must be equal and the
 * action name may use `*` and `?`. Both are case-insensitive. Wildcards in the service prefix are not
 * honoured (IAM does not support them).
 */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.indexOf(':');
  const a = action.indexOf(':');
  if (p < 0 || a < 0) return false;
  if (pattern.slice(0, p).toLowerCase() !== action.slice(0, a).toLowerCase()) return false;
  const name = pattern.slice(p + 1);
  if (name === '' || /\s/.test(name)) return false;
  return compileIamGlob(name, true, false).test(action.slice(a + 1));
}

export interface ResourceMatchOptions {
  /** Expand `${…}` policy variables (documents of Version 2012-10-17). */
  policyVariables: boolean;
  /**
   * ARNs with fewer than six colon-separated segments: identity policies and boundaries pad them with `*`;
   * resource policies only do so when the ARN holds a wildcard (otherwise it matches nothing).
   */
  kind: 'identity' | 'resource';
}

/** The product prefix of an ARN's resource part (`repository/`, `role/`), up to the first `/` or `:`. */
function productPrefix(service: string, region: string, account: string, resourcePart: string): string {
  if (service === 's3' && region === '' && account === '') return '';
  const cut = [resourcePart.indexOf('/'), resourcePart.indexOf(':')].filter((i) => i >= 0);
  return cut.length === 0 ? '' : resourcePart.slice(0, Math.min(...cut) + 1);
}

/**
 * Does the policy resource `pattern` cover the request `resource`?
 * - `*` covers everything, including the `*` resource of actions without resource-level permissions.
 * - ARNs are compared segment by segment: partition, service, region and account with wildcards, case-
 *   insensitively; the resource part case-sensitively, with wildcards only after its product prefix
 *   (`repository/`, `role/`), which the IAM user guide calls incorrect wildcard usage.
 * - A `${…}` variable is matched as `*` and turns a match into `maybe`: its value is request context.
 */
export function resourceMatches(pattern: string, resource: string, options: ResourceMatchOptions): Match {
  if (pattern === '*') return 'yes';
  const vars = options.policyVariables;
  const req = resource.split(':');
  if (!pattern.startsWith('arn:') || req.length < 6 || req[0] !== 'arn') {
    return globMatch(pattern, resource, false, vars);
  }
  const segments = pattern.split(':');
  if (segments.length < 6) {
    if (options.kind === 'resource' && !pattern.includes('*')) return 'no';
    while (segments.length < 6) segments.push('*');
  }
  const [, partition, service, region, account] = segments as [string, string, string, string, string];
  const resourcePart = segments.slice(5).join(':');
  const reqResourcePart = req.slice(5).join(':');
  const product = productPrefix(service, region, account, resourcePart);
  if (!reqResourcePart.startsWith(product)) return 'no';
  return allOf(
    globMatch(partition, req[1]!, true, vars),
    globMatch(service, req[2]!, true, vars),
    globMatch(region, req[3]!, true, vars),
    globMatch(account, req[4]!, true, vars),
    globMatch(resourcePart.slice(product.length), reqResourcePart.slice(product.length), false, vars),
  );
}

/** The account id of a principal ARN (`arn:aws:iam::111122223333:role/x` → `111122223333`). */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** Principal values naming the account itself: `111122223333` or `arn:<partition>:iam::111122223333:root`. */
function namesAccount(value: string, account: string): boolean {
  if (value === account) return true;
  const suffix = `:iam::${account}:root`;
  if (!value.startsWith('arn:') || !value.endsWith(suffix)) return false;
  const partition = value.slice('arn:'.length, value.length - suffix.length);
  return partition.length > 0 && !partition.includes(':');
}

function awsPrincipalMatches(value: string, principalArn: string): boolean {
  if (value === '*' || value === principalArn) return true;
  const account = accountOf(principalArn);
  if (account && namesAccount(value, account)) return true; // an account principal covers all its principals
  // A role ARN principal covers the role's sessions.
  const session = SESSION_ARN.exec(principalArn);
  const role = ROLE_ARN.exec(value);
  return !!session && !!role && session[1] === role[1] && session[2] === role[2] && session[3] === role[3];
}

/**
 * Does a Principal element name the principal? Only IAM (`AWS`) principals are considered: the requests
 * buildwarden evaluates come from an IAM role. `principalArn` may be a role ARN (standing for any of its
 * sessions) or a session ARN. Without a principal ARN, a statement naming specific principals is `maybe`.
 */
export function principalMatches(element: PrincipalElement, principalArn: string | undefined): Match {
  if (element === '*') return 'yes';
  const aws = element.AWS ?? [];
  if (aws.includes('*')) return 'yes';
  if (principalArn === undefined) return aws.length > 0 ? 'maybe' : 'no';
  return aws.some((v) => awsPrincipalMatches(v, principalArn)) ? 'yes' : 'no';
}

/**
 * Does a NotPrincipal element leave the principal out (so a Deny with it does NOT apply)? As the IAM user
 * guide describes NotPrincipal with Deny: a role acts through sessions (`arn:aws:sts::…:assumed-role/…`),
 * and listing the role ARN does not exclude them; an excluded principal must be listed by its exact ARN
 * together with its account. So for a role ARN the answer is `no`, or `maybe` when the element lists one of
 * the role's sessions (which session acts is unknown); for any other ARN it is `yes` only when the ARN and
 * its account are both listed.
 */
export function notPrincipalExcludes(element: PrincipalElement, principalArn: string | undefined): Match {
  if (element === '*') return 'yes';
  const aws = element.AWS ?? [];
  if (aws.includes('*')) return 'yes';
  if (principalArn === undefined) return aws.length > 0 ? 'maybe' : 'no';
  const role = ROLE_ARN.exec(principalArn);
  if (role) {
    const listsSession = aws.some((v) => {
      const session = SESSION_ARN.exec(v);
      return !!session && session[1] === role[1] && session[2] === role[2] && session[3] === role[3];
    });
    return listsSession ? 'maybe' : 'no';
  }
  const account = accountOf(principalArn);
  const listed = aws.includes(principalArn) && !!account && aws.some((v) => namesAccount(v, account));
  return listed ? 'yes' : 'no';
}

/**
 * Do two wildcard patterns (`*`, `?`) match at least one common string? Case-sensitive. Used to ask whether
 * a policy's resource pattern can reach a kind of resource (`repository/*`) at all.
 */
export function globsIntersect(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ca = a[i];
    const cb = b[j];
    if (ca === '*') stack.push([i + 1, j]);
    if (cb === '*') stack.push([i, j + 1]);
    if (ca === undefined || cb === undefined) continue;
    const compatible = ca === '*' || ca === '?' || cb === '*' || cb === '?' || ca === cb;
    if (!compatible) continue;
    const next: [number, number] = [ca === '*' ? i : i + 1, cb === '*' ? j : j + 1];
    if (next[0] !== i || next[1] !== j) stack.push(next);
  }
  return false;
}

/**
 * Could a policy resource pattern cover some resource of `service` whose resource part starts with
 * `product` (e.g. `ecr`, `repository/`)? Follows resourceMatches: short ARNs padded with `*`, the product
 * prefix literal.
 */
export function patternCouldCover(pattern: string, service: string, product: string): boolean {
  if (pattern === '*') return true;
  const segments = pattern.split(':');
  if (segments[0] !== 'arn' || segments.length < 2) return false;
  while (segments.length < 6) segments.push('*');
  const [, , serviceSegment, region, account] = segments as [string, string, string, string, string];
  if (!compileIamGlob(serviceSegment, true, false).test(service)) return false;
  if (region === '' || account === '') return false;
  const resourcePart = segments.slice(5).join(':');
  const patternProduct = productPrefix(serviceSegment, region, account, resourcePart);
  if (patternProduct === '') return globsIntersect(resourcePart, `${product}*`);
  return patternProduct === product;
}

/**
 * Secret detection shared by `codebuild.plaintext-credentials`, `codebuild.source-credentials` and the
 * redaction of snapshots: which texts are credentials, by their shape and by the name they are kept under.
 */

/**
 * Generic detection for variables whose name says they hold a secret (`*_TOKEN`, `*_SECRET`, `*_API_KEY` …):
 * the value must be at least this long and its Shannon entropy (bits per character, over the value's own
 * character frequencies) at least the threshold below. Measured on random strings: 32 hex characters average
 * 3.6 bits/char (max possible 4), 20 base64 characters 4.0, a UUID 3.8; words and placeholders score lower
 * (`changeme` 2.75 and too short, `placeholder-value` 3.41, `${SOME_REF}` is a reference and never scored).
 * Hex-only values get the lower threshold because their alphabet caps them at 4 bits/char. Long lowercase
 * phrases can still score above 3.5 (`replace-me-with-real-token` 3.64); that is accepted, because the
 * variable's name already claims it holds a secret.
 */
export const ENTROPY_MIN_LENGTH = 16;
export const ENTROPY_THRESHOLD_BITS_PER_CHAR = 3.5;
export const HEX_ENTROPY_THRESHOLD_BITS_PER_CHAR = 3.0;

/** Shannon entropy of a string in bits per character (0 for the empty string). */
export function shannonEntropy(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export type SecretReason =
  | 'aws-credential-variable'
  | 'aws-access-key-id'
  | 'aws-presigned-url'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'npm-token'
  | 'npm-auth-token'
  | 'url-query-credential'
  | 'private-key'
  | 'password-literal'
  | 'high-entropy-value';

/**
 * Values that are recognisable credentials whatever the variable is called. Order: most specific first.
 * Every pattern runs in linear time on any text: no quantified group contains another quantifier, and
 * consecutive quantified runs are separated by a literal they cannot match.
 */
const SECRET_VALUE_PATTERNS: readonly { reason: SecretReason; pattern: RegExp; alsoRequires?: RegExp }[] = [
  // A presigned S3 URL (SigV4 query authentication) grants access until it expires: the signature together
  // with the credential scope is the secret. A credential scope alone (no signature) is not.
  {
    reason: 'aws-presigned-url',
    pattern: /[?&]X-Amz-Signature=[0-9a-fA-F]{64}(?![0-9a-fA-F])/,
    alsoRequires: /[?&]X-Amz-Credential=/,
  },
  // An access key id, except as the first part of an X-Amz-Credential scope (it is an identifier there).
  {
    reason: 'aws-access-key-id',
    pattern: /(?<![A-Z0-9])(?<!X-Amz-Credential=)(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/,
  },
  // Classic tokens are the prefix plus 36 base62 characters; fine-grained ones are github_pat_ plus 82.
  {
    reason: 'github-token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/,
  },
  { reason: 'gitlab-token', pattern: /(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_.-]{20,}/ },
  // Bot, user, app, refresh and legacy tokens: xox?- then a numeric team or user id, then more of the token.
  { reason: 'slack-token', pattern: /(?<![A-Za-z0-9_])xox[abpros]-\d+-[A-Za-z0-9-]{10,}/ },
  // npm access tokens: npm_ and 36 base62 characters.
  { reason: 'npm-token', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/ },
  // An .npmrc credential line (`//registry.npmjs.org/:_authToken=…`, `_auth=`, `_password=`) with a literal
  // value; `${NPM_TOKEN}`, the form npm documents for CI, is a reference and not flagged.
  {
    reason: 'npm-auth-token',
    pattern: /:_(?:authToken|auth|password)[ \t]*=[ \t]*["']?(?!["'$])[^\s"'$]{8,}/,
  },
  // A credential in a URL's query string (`?access_token=…`, `&private_token=…`); references are not.
  {
    reason: 'url-query-credential',
    pattern:
      /[?&](?:access_token|private_token|auth_token|api_token|token|api_key|apikey|client_secret|password|passwd)=(?![$%{])[^\s&#"'$]{8,}/i,
  },
  // RSA, EC, DSA, OPENSSH, ENCRYPTED and unqualified PKCS#8 keys, and PGP private key blocks.
  { reason: 'private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
];

/** Names AWS SDKs and the CLI read credentials from: any value under these names is a credential. */
const AWS_CREDENTIAL_NAMES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
/** `*_PASSWORD`: passwords are chosen by people and often low-entropy, so entropy says nothing about them. */
const PASSWORD_NAME = /(?:^|_)(?:PASSWORD|PASSWD)$/i;
/** Names that claim a machine-generated secret (a superset of *_TOKEN, *_SECRET, *_API_KEY). */
const SECRET_NAME = /(?:^|_)(?:TOKEN|SECRET|API_?KEY|SECRET_?KEY|SECRET_ACCESS_KEY|PRIVATE_KEY)$/i;

/**
 * A value made only of references (`${X}`, `$X`, `$(cmd)`, backticks) and separators points at a secret
 * kept elsewhere; it is not the secret. A literal that merely contains `$` (`pa$word`) is still a literal.
 */
const REFERENCE_ONLY = /^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|`[^`]*`|[-_./:@])+$/;
const isReferenceOrArn = (value: string) =>
  (/[$`]/.test(value) && REFERENCE_ONLY.test(value)) || /^arn:[a-z-]+:/.test(value);
const HEX_ONLY = /^[0-9a-fA-F]+$/;

/** True when a value without any naming context has the shape of a random machine secret. */
export function isHighEntropy(value: string): boolean {
  if (value.length < ENTROPY_MIN_LENGTH || /\s/.test(value) || isReferenceOrArn(value)) return false;
  const threshold = HEX_ONLY.test(value)
    ? HEX_ENTROPY_THRESHOLD_BITS_PER_CHAR
    : ENTROPY_THRESHOLD_BITS_PER_CHAR;
  return shannonEntropy(value) >= threshold;
}

/** The kind of credential a text holds by its shape alone (any variable name, any position), or undefined. */
export function recognisedSecret(value: string): SecretReason | undefined {
  return SECRET_VALUE_PATTERNS.find(
    ({ pattern, alsoRequires }) =>
      pattern.test(value) && (alsoRequires === undefined || alsoRequires.test(value)),
  )?.reason;
}

/**
 * Why a PLAINTEXT environment variable holds a credential, or undefined. Decisions:
 * - AWS credential names are flagged whatever the value, even empty: an empty PLAINTEXT credential variable
 *   is a slot for `start-build --environment-variables-override` to fill with a plaintext key.
 * - `*_PASSWORD` is flagged for any non-empty literal value (`changeme` included: it is the password the
 *   build uses); references (`${DB_PASSWORD_REF}`, `$(…)`) and ARNs are not literals and are not flagged.
 * - `*_TOKEN`, `*_SECRET`, `*_API_KEY` (and `*_SECRET_KEY`, `*_PRIVATE_KEY`) are flagged only when the value
 *   is high-entropy (see ENTROPY_*), so placeholders such as `changeme` or `none` pass.
 */
export function plaintextCredentialReason(name: string, value: string): SecretReason | undefined {
  if (AWS_CREDENTIAL_NAMES.has(name.toUpperCase())) return 'aws-credential-variable';
  const recognised = recognisedSecret(value);
  if (recognised) return recognised;
  const literal = value.trim();
  if (PASSWORD_NAME.test(name) && literal !== '' && !isReferenceOrArn(literal)) return 'password-literal';
  if (SECRET_NAME.test(name) && isHighEntropy(literal)) return 'high-entropy-value';
  return undefined;
}

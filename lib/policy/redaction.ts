/**
 * Keeping credentials out of snapshot files. `buildwarden snapshot` stores CodeBuild projects as
 * BatchGetProjects returns them, and those hold PLAINTEXT environment variables, source URLs and inline
 * buildspecs. Every value the credential rules would flag (lib/policy/rules/codebuild/secrets.ts and
 * source-credentials.ts decide, through their exported detectors; nothing here detects on its own) is replaced with `<redacted:REASON>`, REASON being the
 * detector's reason (`<redacted:aws-access-key-id>`), so the snapshot still says what was there.
 *
 * The rules must report a redacted snapshot exactly as the live account: before the project rules run, each
 * placeholder is swapped for a stand-in, a fixed fake value the same detector classifies with the same reason
 * (checked for every reason by tests/unit/policy/redaction.test.ts; a reason added to the detector without a
 * stand-in fails the typecheck here). Findings never show values, so the stand-ins never reach an output.
 */
import type { Project } from './model';
import { yaml } from './yaml';
import { plaintextCredentialReason, type SecretReason } from './rules/codebuild/secrets';
import { sourceCredentialReason } from './rules/codebuild/source-credentials';

export type RedactionReason = SecretReason | NonNullable<ReturnType<typeof sourceCredentialReason>>;

const PLACEHOLDERS = /<redacted:([a-z0-9-]+)>/g;
const HAS_PLACEHOLDER = /<redacted:[a-z0-9-]+>/;

export function placeholder(reason: string): string {
  return `<redacted:${reason}>`;
}

/**
 * Fake values the detectors classify with each reason, whatever the variable's name that produced it: the
 * name-based reasons only need a literal (and `high-entropy-value` a random-looking one); the value-based
 * reasons need the shape (AKIAIOSFODNN7EXAMPLE is the access key id AWS documentation uses as an example).
 */
export const STAND_INS: Record<RedactionReason, string> = {
  'aws-credential-variable': 'redacted',
  'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE',
  'github-token': `ghp_${'REDACTED'.repeat(4)}Xy9Z`,
  'gitlab-token': `glpat-${'REDACTED'.repeat(3)}`,
  'private-key': '-----BEGIN PRIVATE KEY-----',
  'password-literal': 'redacted-password',
  'high-entropy-value': 'Rd4cTeD-x9Qk2LmZ7vW3',
  'url-password': 'redacted:redacted',
  'aws-presigned-url': `https://redacted.s3.amazonaws.com/k?X-Amz-Credential=redacted&X-Amz-Signature=${'0'.repeat(64)}`,
  'slack-token': 'xoxb-0000000000-REDACTEDREDACTED',
  'npm-token': `npm_${'REDACTED'.repeat(4)}Xy9Z`,
  'npm-auth-token': '//registry.npmjs.org/:_authToken=redacted-token',
  'url-query-credential': 'https://redacted.example/?access_token=redacted-token',
};

/** A placeholder's reason, when the value is exactly one placeholder. */
export function redactedReason(value: string): string | undefined {
  const match = /^<redacted:([a-z0-9-]+)>$/.exec(value);
  return match?.[1];
}

function standIn(reason: string): string | undefined {
  return (STAND_INS as Record<string, string>)[reason];
}

/** Every placeholder in the text swapped for its stand-in (unknown reasons are left as they are). */
function withStandIns(text: string): string {
  return text.replace(PLACEHOLDERS, (whole, reason: string) => standIn(reason) ?? whole);
}

// ---------------------------------------------------------------------------------------------------------
// Redacting

export interface RedactionResult {
  project: Project;
  /** What was redacted, by field path and reason (never the value). */
  redacted: { field: string; reason: string }[];
}

const URL_USERINFO = /^(\s*[a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/**
 * A source location with its credentials redacted: the userinfo becomes the placeholder; when the credential
 * is elsewhere in the URL (its query or fragment), those go too. Returns undefined when nothing is flagged.
 */
export function redactLocationCredentials(
  location: string,
): { location: string; reason: string } | undefined {
  if (HAS_PLACEHOLDER.test(location)) return undefined;
  const reason = sourceCredentialReason(location);
  if (!reason) return undefined;
  const userinfo = URL_USERINFO.exec(location);
  let redacted = userinfo
    ? location.replace(URL_USERINFO, `$1${placeholder(reason)}@`)
    : location.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/)/i, `$1${placeholder(reason)}@`);
  if (sourceCredentialReason(redacted.replace(PLACEHOLDERS, 'user')) !== undefined) {
    redacted = redacted.replace(/[?#].*$/s, '');
  }
  return { location: redacted, reason };
}

/**
 * An inline buildspec (YAML text) with its credentials redacted: the values of `env.variables` the detector
 * flags by name and value, and anywhere in the text the token shapes it recognises by value alone (a
 * `curl -H "Authorization: token ghp_…"` line, a private key block). Text that is not YAML gets the second
 * pass only. Returns the new text and the reasons, or undefined when nothing is flagged.
 */
export function redactBuildspec(text: string): { text: string; reasons: string[] } | undefined {
  const reasons: string[] = [];
  let out = text;
  const { isMap, isScalar, parseDocument } = yaml();
  const document = parseDocument(text);
  if (document.errors.length === 0) {
    const variables = document.getIn(['env', 'variables'], true);
    if (isMap(variables)) {
      let changed = false;
      for (const pair of variables.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (name === undefined || !isScalar(pair.value)) continue;
        const value = pair.value.value;
        if (value === null || typeof value === 'object') continue;
        const reason = plaintextCredentialReason(name, String(value));
        if (!reason || redactedReason(String(value))) continue;
        pair.value.value = placeholder(reason);
        reasons.push(reason);
        changed = true;
      }
      if (changed) out = document.toString();
    }
  }
  const shapes = redactTokenShapes(out);
  if (shapes) {
    out = shapes.text;
    reasons.push(...shapes.reasons);
  }
  return reasons.length > 0 ? { text: out, reasons } : undefined;
}

/**
 * Recognised credentials anywhere in free text: private key blocks (BEGIN … END, or the BEGIN line alone) and
 * any whitespace- or quote-delimited token the detector recognises by its value.
 */
function redactTokenShapes(text: string): { text: string; reasons: string[] } | undefined {
  const reasons: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (plaintextCredentialReason('', line) !== 'private-key' || line.includes(placeholder('private-key')))
      continue;
    const end = lines.findIndex((l, j) => j >= i && /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/.test(l));
    const begin = line.search(/-----BEGIN /);
    const indent = line.slice(0, Math.max(0, begin));
    lines.splice(i, end >= i ? end - i + 1 : 1, `${indent}${placeholder('private-key')}`);
    reasons.push('private-key');
  }
  const joined = lines.join('\n');
  const out = joined.replace(/[^\s"'`]+/g, (token) => {
    if (HAS_PLACEHOLDER.test(token)) return token;
    const reason = plaintextCredentialReason('', token);
    if (!reason) return token;
    reasons.push(reason);
    return placeholder(reason);
  });
  return reasons.length > 0 ? { text: out, reasons } : undefined;
}

/** The project with every credential-looking value replaced with `<redacted:REASON>`. */
export function redactProject(project: Project): RedactionResult {
  const copy = structuredClone(project);
  const redacted: RedactionResult['redacted'] = [];
  copy.environment?.environmentVariables?.forEach((variable, index) => {
    if ((variable.type ?? 'PLAINTEXT') !== 'PLAINTEXT' || redactedReason(variable.value)) return;
    const reason = plaintextCredentialReason(variable.name, variable.value);
    if (!reason) return;
    variable.value = placeholder(reason);
    redacted.push({ field: `environment.environmentVariables[${index}].value`, reason });
  });
  const sources = [
    ...(copy.source ? [{ source: copy.source, path: 'source' }] : []),
    ...(copy.secondarySources ?? []).map((source, i) => ({ source, path: `secondarySources[${i}]` })),
  ];
  for (const { source, path } of sources) {
    if (source.location !== undefined) {
      const result = redactLocationCredentials(source.location);
      if (result) {
        source.location = result.location;
        redacted.push({ field: `${path}.location`, reason: result.reason });
      }
    }
    // A buildspec holding a newline is the YAML itself; a single line names a file in the source.
    if (source.buildspec !== undefined && source.buildspec.includes('\n')) {
      const result = redactBuildspec(source.buildspec);
      if (result) {
        source.buildspec = result.text;
        for (const reason of result.reasons) redacted.push({ field: `${path}.buildspec`, reason });
      }
    }
  }
  return { project: copy, redacted };
}

// ---------------------------------------------------------------------------------------------------------
// Judging a redacted project

function holdsPlaceholder(project: Project): boolean {
  const text = [
    ...(project.environment?.environmentVariables ?? []).map((v) => v.value),
    project.source?.location,
    project.source?.buildspec,
    ...(project.secondarySources ?? []).flatMap((s) => [s.location, s.buildspec]),
  ];
  return text.some((t) => t !== undefined && HAS_PLACEHOLDER.test(t));
}

/**
 * The project as the credential rules must see it: each placeholder swapped for its stand-in, so a redacted
 * project yields the findings of the original (same variables, same reasons). Projects without placeholders
 * are returned as they are.
 */
export function projectForRules(project: Project): Project {
  if (!holdsPlaceholder(project)) return project;
  const copy = structuredClone(project);
  for (const variable of copy.environment?.environmentVariables ?? [])
    variable.value = withStandIns(variable.value);
  for (const source of [copy.source, ...(copy.secondarySources ?? [])]) {
    if (!source) continue;
    if (source.location !== undefined) source.location = withStandIns(source.location);
    if (source.buildspec !== undefined) source.buildspec = withStandIns(source.buildspec);
  }
  return copy;
}

/**
 * Guardrail rules over one CodeBuild project (a BatchGetProjects item). All but project visibility are
 * report-only: changing a project's environment, logging or sources can break its builds, so a person decides
 * the fix.
 */
import { buildspecEnv, isInlineBuildspec } from '../buildspec';
import type { Project } from '../model';
import { matchesAny } from '../wildcard';
import type { ProjectRule } from './types';

/** Project tag that declares "this project builds container images", which is what privileged mode is for. */
export const DOCKER_BUILD_TAG = 'buildwarden:docker-build';

// ---------------------------------------------------------------------------------------------------------
// codebuild.privileged-mode

/**
 * Privileged mode runs the Docker daemon inside the build container with root on the host kernel. CodeBuild
 * needs it only to build images, so it is allowed on projects tagged `buildwarden:docker-build=true` (key
 * exact, as AWS tag keys are case-sensitive; value `true` in any letter case) or whose name matches one of
 * `dockerBuildProjects`.
 */
export const privilegedModeRule: ProjectRule = (project, ctx) => {
  if (project.environment?.privilegedMode !== true) {
    return { status: 'compliant', message: 'privileged mode is off', details: { privilegedMode: false } };
  }
  const tagged = (project.tags ?? []).some(
    (tag) => tag.key === DOCKER_BUILD_TAG && tag.value?.trim().toLowerCase() === 'true',
  );
  if (tagged) {
    return {
      status: 'compliant',
      message: `privileged mode is on; the project is tagged ${DOCKER_BUILD_TAG}=true (it builds container images)`,
      details: { privilegedMode: true, allowedBy: 'tag' },
    };
  }
  const patterns = ctx.guardrails.rules['codebuild.privileged-mode'].dockerBuildProjects;
  const pattern = patterns.find((p) => matchesAny(project.name, [p]));
  if (pattern !== undefined) {
    return {
      status: 'compliant',
      message: `privileged mode is on; the project name matches docker-build pattern "${pattern}"`,
      details: { privilegedMode: true, allowedBy: 'pattern', pattern },
    };
  }
  return {
    status: 'violation',
    message:
      `privileged mode is on but the project is not declared a container-image build: turn privilegedMode off, ` +
      `or tag the project ${DOCKER_BUILD_TAG}=true / list it in dockerBuildProjects if it builds images`,
    remediable: false,
    details: { privilegedMode: true },
  };
};

// ---------------------------------------------------------------------------------------------------------
// Secret detection (shared by codebuild.plaintext-credentials and codebuild.source-credentials)

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
function isHighEntropy(value: string): boolean {
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

// ---------------------------------------------------------------------------------------------------------
// codebuild.plaintext-credentials

/** A flagged variable: environment variables by name; buildspec entries with where they are. */
interface FlaggedCredential {
  name: string;
  reason: SecretReason;
  /** `buildspec` (the primary source's) or `secondarySources[<id>].buildspec`; absent for the environment. */
  where?: string;
}

/**
 * Credentials an inline buildspec holds: each `env.variables` entry judged like a PLAINTEXT environment
 * variable (by its name and value); without such an entry, any credential recognisable by its shape
 * anywhere in the text (a token in a command). A buildspec that is not YAML is read as text.
 */
export function buildspecCredentials(buildspec: string): { name: string; reason: SecretReason }[] {
  const env = buildspecEnv(buildspec);
  const flagged = env.variables.flatMap((entry) => {
    const reason = plaintextCredentialReason(entry.name, entry.value);
    return reason ? [{ name: entry.path, reason }] : [];
  });
  if (flagged.length > 0) return flagged;
  const anywhere = recognisedSecret(buildspec);
  return anywhere ? [{ name: '(text)', reason: anywhere }] : [];
}

function projectBuildspecs(project: Project): { where: string; buildspec: string }[] {
  const sources = [
    ...(project.source ? [{ where: 'buildspec', source: project.source }] : []),
    ...(project.secondarySources ?? []).map((source, index) => ({
      where: `secondarySources[${source.sourceIdentifier ?? index}].buildspec`,
      source,
    })),
  ];
  return sources.flatMap(({ where, source }) =>
    source.buildspec !== undefined && isInlineBuildspec(source.buildspec)
      ? [{ where, buildspec: source.buildspec }]
      : [],
  );
}

/**
 * PLAINTEXT environment variables, and the inline buildspecs of the project's sources (see
 * buildspecCredentials). Messages and details name the variable and the reason, never the value.
 */
export const plaintextCredentialsRule: ProjectRule = (project) => {
  const variables = project.environment?.environmentVariables ?? [];
  const flagged: FlaggedCredential[] = [];
  for (const variable of variables) {
    // Absent type means PLAINTEXT (the CodeBuild API default).
    if ((variable.type ?? 'PLAINTEXT') !== 'PLAINTEXT') continue;
    const reason = plaintextCredentialReason(variable.name, variable.value);
    if (reason) flagged.push({ name: variable.name, reason });
  }
  for (const { where, buildspec } of projectBuildspecs(project)) {
    for (const found of buildspecCredentials(buildspec)) flagged.push({ ...found, where });
  }
  if (flagged.length === 0) {
    return {
      status: 'compliant',
      message: 'no PLAINTEXT environment variable or inline buildspec holds a credential',
      details: { variables: [] },
    };
  }
  const label = (v: FlaggedCredential) => (v.where ? `${v.where} ${v.name}` : v.name);
  const listed = flagged.map((v) => `${label(v)} (${v.reason})`).join(', ');
  const noun = flagged.length === 1 ? 'variable holds' : 'variables hold';
  return {
    status: 'violation',
    message:
      `PLAINTEXT ${noun} a credential: ${listed}. Move the value to SSM Parameter Store or Secrets Manager and ` +
      `reference it with type PARAMETER_STORE or SECRETS_MANAGER (or the buildspec's env.parameter-store / ` +
      `env.secrets-manager); rotate it: plaintext values are readable by anyone who can call ` +
      `codebuild:BatchGetProjects`,
    remediable: false,
    details: { variables: flagged },
  };
};

// ---------------------------------------------------------------------------------------------------------
// codebuild.logging

type LogStatus = 'ENABLED' | 'DISABLED';

/**
 * Defaults from the CodeBuild API model (botocore codebuild 2016-10-06, shape LogsConfig): "CloudWatch Logs
 * are enabled by default" and "S3 logs are not enabled by default". So an absent logsConfig, or one without
 * cloudWatchLogs, means CloudWatch Logs is on; the rule fires only when CloudWatch Logs is explicitly
 * DISABLED and S3 logs are absent or DISABLED.
 */
export const loggingRule: ProjectRule = (project) => {
  const cloudWatchLogs: LogStatus = project.logsConfig?.cloudWatchLogs?.status ?? 'ENABLED';
  const s3Logs: LogStatus = project.logsConfig?.s3Logs?.status ?? 'DISABLED';
  const cloudWatchLogsByDefault = project.logsConfig?.cloudWatchLogs === undefined;
  const details = { cloudWatchLogs, s3Logs, cloudWatchLogsByDefault };
  if (cloudWatchLogs === 'DISABLED' && s3Logs === 'DISABLED') {
    return {
      status: 'violation',
      message: 'build logs go nowhere: CloudWatch Logs and S3 logs are both disabled; enable at least one',
      remediable: false,
      details,
    };
  }
  const enabled = [
    ...(cloudWatchLogs === 'ENABLED'
      ? [cloudWatchLogsByDefault ? 'CloudWatch Logs (API default)' : 'CloudWatch Logs']
      : []),
    ...(s3Logs === 'ENABLED' ? ['S3 logs'] : []),
  ];
  return { status: 'compliant', message: `build logs enabled: ${enabled.join(', ')}`, details };
};

// ---------------------------------------------------------------------------------------------------------
// codebuild.artifact-encryption

export const artifactEncryptionRule: ProjectRule = (project) => {
  const artifacts = [
    ...(project.artifacts ? [{ label: 'primary', artifact: project.artifacts }] : []),
    ...(project.secondaryArtifacts ?? []).map((artifact, index) => ({
      label: artifact.artifactIdentifier ?? `secondary #${index + 1}`,
      artifact,
    })),
  ];
  const unencrypted = artifacts
    .filter(({ artifact }) => artifact.type !== 'NO_ARTIFACTS' && artifact.encryptionDisabled === true)
    .map(({ label }) => label);
  if (unencrypted.length === 0) {
    return {
      status: 'compliant',
      message:
        artifacts.length === 0 ? 'the project declares no artifacts' : 'every build artifact is encrypted',
      details: { unencryptedArtifacts: [] },
    };
  }
  const names = unencrypted.map((label) =>
    label === 'primary' ? 'primary artifacts' : `artifact "${label}"`,
  );
  return {
    status: 'violation',
    message: `build output is stored unencrypted (encryptionDisabled): ${names.join(', ')}`,
    remediable: false,
    details: { unencryptedArtifacts: unencrypted },
  };
};

// ---------------------------------------------------------------------------------------------------------
// codebuild.source-credentials

const URL_WITH_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Credentials in a source location's URL userinfo. `user:secret@` always counts (a non-empty password).
 * A bare `name@` counts when the name is a recognised token or high-entropy (`https://ghp_…@github.com/…`,
 * `https://<40 hex>@github.com/…`): a plain account name such as Bitbucket's `https://jdoe@bitbucket.org/…`
 * clone URL is not a credential.
 */
export function sourceCredentialReason(location: string): 'url-password' | SecretReason | undefined {
  const match = URL_WITH_USERINFO.exec(location.trim());
  const userinfo = match?.[2];
  if (!userinfo) return undefined;
  const colon = userinfo.indexOf(':');
  if (colon >= 0 && userinfo.slice(colon + 1) !== '') return 'url-password';
  const user = decoded(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
  return recognisedSecret(user) ?? (isHighEntropy(user) ? 'high-entropy-value' : undefined);
}

/** The location with any userinfo replaced, safe to show. */
export function redactLocation(location: string): string {
  return location.trim().replace(URL_WITH_USERINFO, '$1***@');
}

export const sourceCredentialsRule: ProjectRule = (project) => {
  const sources = [
    ...(project.source ? [{ label: 'primary', location: project.source.location }] : []),
    ...(project.secondarySources ?? []).map((source, index) => ({
      label: source.sourceIdentifier ?? `secondary #${index + 1}`,
      location: source.location,
    })),
  ];
  const flagged = sources.flatMap(({ label, location }) => {
    const reason = location === undefined ? undefined : sourceCredentialReason(location);
    return reason && location !== undefined
      ? [{ source: label, location: redactLocation(location), reason }]
      : [];
  });
  if (flagged.length === 0) {
    return {
      status: 'compliant',
      message: 'no source location embeds credentials',
      details: { sources: [] },
    };
  }
  const names = flagged.map((f) => (f.source === 'primary' ? 'primary source' : `source "${f.source}"`));
  return {
    status: 'violation',
    message:
      `credentials are embedded in the location URL of ${names.join(', ')}: remove them, rotate them, and ` +
      `connect the source with CodeBuild source credentials or a CodeConnections connection instead`,
    remediable: false,
    details: { sources: flagged },
  };
};

// ---------------------------------------------------------------------------------------------------------
// codebuild.project-visibility

/**
 * A PUBLIC_READ project shows its build results, logs and artifacts to anyone with its public URL, including
 * builds run while it was private and whatever a build printed (CodeBuild User Guide, "Public build projects").
 * BatchGetProjects leaves projectVisibility out for a project that was never made public: absent is PRIVATE.
 * A value this rule does not know is not guessed to be private.
 */
export const projectVisibilityRule: ProjectRule = (project) => {
  const projectVisibility = project.projectVisibility ?? 'PRIVATE';
  if (projectVisibility === 'PRIVATE') {
    return {
      status: 'compliant',
      message: 'the project is PRIVATE: its builds are not visible to the public',
      details: { projectVisibility },
    };
  }
  if (projectVisibility === 'PUBLIC_READ') {
    return {
      status: 'violation',
      message:
        'the project is PUBLIC_READ: its build results, logs and artifacts (of every build, also those run ' +
        'while it was private) are visible to anyone with its public URL; make it PRIVATE unless it is meant ' +
        'to be public, and check its logs for secrets',
      remediable: true,
      details: {
        projectVisibility,
        ...(project.publicProjectAlias ? { publicProjectAlias: project.publicProjectAlias } : {}),
      },
    };
  }
  return {
    status: 'not-visible',
    message: `projectVisibility ${JSON.stringify(projectVisibility).slice(0, 60)} is not one buildwarden knows (PUBLIC_READ, PRIVATE)`,
    details: { projectVisibility },
  };
};

export const projectRules = {
  'codebuild.privileged-mode': privilegedModeRule,
  'codebuild.plaintext-credentials': plaintextCredentialsRule,
  'codebuild.logging': loggingRule,
  'codebuild.artifact-encryption': artifactEncryptionRule,
  'codebuild.source-credentials': sourceCredentialsRule,
  'codebuild.project-visibility': projectVisibilityRule,
} satisfies Record<string, ProjectRule>;

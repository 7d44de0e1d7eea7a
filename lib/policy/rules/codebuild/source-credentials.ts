/** `codebuild.source-credentials`: no credentials embedded in a source location URL. Report only. */
import { projectRule } from '../definition';
import type { ProjectRule } from '../types';
import { isHighEntropy, recognisedSecret, type SecretReason } from './secrets';

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

export const sourceCredentials = projectRule({
  id: 'codebuild.source-credentials',
  severity: 'critical',
  mode: 'report',
  title: 'CodeBuild project source URLs should not contain credentials',
  recommendation:
    'Remove the credentials from the source URL, connect the source provider with a CodeBuild source credential or connection, and rotate the exposed credential.',
  documentationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html',
  reads: ['projects'],
  summary: 'no credentials embedded in a source location URL',
  remediates: 'never: the credentials have to be rotated and the source connected another way',
  evaluate: sourceCredentialsRule,
});

/** Small text helpers shared by the scan and build notifications. Pure. */
import type { ScanSeverity } from './severity';

/** One line of at most `max` characters (line breaks folded into spaces). */
export function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** `1h 2m 3s`, `1m 54s`, `0s`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 || total === 0 ? `${s}s` : '']
    .filter(Boolean)
    .join(' ');
}

/** `web/frontend:latest`, or `web/frontend@sha256:7f5b2640fe6f` when the image has no tag. */
export function imageLabel(repositoryName: string, tags: readonly string[], digest: string): string {
  const tag = tags[0];
  if (tag) return `${repositoryName}:${tag}`;
  const [algorithm, encoded = ''] = digest.split(':');
  return `${repositoryName}@${algorithm}:${encoded.slice(0, 12)}`;
}

/** Notification severities use the audit's vocabulary (critical … info) plus `none`. */
export type NotificationSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none';

export function notificationSeverity(severity: ScanSeverity | undefined): NotificationSeverity {
  if (severity === undefined) return 'none';
  if (severity === 'informational' || severity === 'undefined') return 'info';
  return severity;
}

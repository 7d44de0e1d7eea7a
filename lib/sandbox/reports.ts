/**
 * The SIMULATED reports bucket: objects kept in memory, every version of each key (the real bucket is
 * versioned), as the S3 adapter (lib/aws/reports.ts) answers — the bucket, the key and a version id per put,
 * and the same refusal of a key S3 would not take. On the local stage the latest version of each object is also
 * written beside the sandbox file (lib/sandbox/local-stage.ts), so a report the scheduled audit wrote can be
 * opened in a browser.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors';
import { reportKeyProblem } from '../policy/report-keys';
import type { ReportObject, ReportStore, StoredReport } from '../ports';
import { writeFileAtomic } from './file-store';
import type { SandboxState } from './state';

/** The name the sandbox gives its reports bucket. */
export const SANDBOX_REPORTS_BUCKET = 'buildwarden-sandbox-reports';

export interface StoredVersion {
  versionId: string;
  body: string;
  contentType: string;
}

export class SandboxReportStore implements ReportStore {
  /** Every version of each key, oldest first. */
  readonly objects = new Map<string, StoredVersion[]>();
  private versions = 0;

  constructor(
    private readonly state: SandboxState,
    readonly bucket: string = SANDBOX_REPORTS_BUCKET,
  ) {}

  async putReport(report: ReportObject): Promise<StoredReport> {
    const problem = reportKeyProblem(report.key);
    if (problem) throw new InvalidInputError('report key', [problem]);
    await this.state.call('s3:PutObject');
    this.versions += 1;
    const versionId = `sandbox-${String(this.versions).padStart(8, '0')}`;
    const versions = this.objects.get(report.key) ?? [];
    versions.push({ versionId, body: report.body, contentType: report.contentType });
    this.objects.set(report.key, versions);
    return { bucket: this.bucket, key: report.key, versionId };
  }

  /**
   * Writes the latest version of each object under `directory`, at its key. A key that would leave the
   * directory (`..` segments) is not written there: it names nothing a browser should open.
   */
  saveUnder(directory: string): string[] {
    const written: string[] = [];
    const root = path.resolve(directory);
    for (const [key, versions] of this.objects) {
      const file = path.resolve(root, key);
      if (!file.startsWith(`${root}${path.sep}`)) continue;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, versions[versions.length - 1]!.body);
      written.push(file);
    }
    return written;
  }
}

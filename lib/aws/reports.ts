/**
 * The reports bucket (S3): the scheduled audit's HTML report and JSON findings, one PutObject each. The bucket
 * is private, encrypted by default and versioned (serverless.yml `ReportsBucket`): a key written again keeps
 * its earlier version, and the answer names the version written. A bucket that does not exist is a
 * NotFoundError naming it (lib/aws/errors.ts); a key S3 would refuse is an InvalidInputError before any call.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportObject, ReportStore, StoredReport } from '../ports';
import { s3Client } from './clients';
import { translated } from './errors';
import { reportKeyProblem } from '../policy/report-keys';
import { InvalidInputError } from '../errors';

export const reportStoreActions = ['s3:PutObject'] as const;

export class S3Reports implements ReportStore {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = s3Client(),
  ) {}

  async putReport(report: ReportObject): Promise<StoredReport> {
    const problem = reportKeyProblem(report.key);
    if (problem) throw new InvalidInputError('report key', [problem]);
    const out = await translated(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: report.key,
          Body: report.body,
          ContentType: report.contentType,
          // A report describes the account at one moment: a browser should not show an older copy.
          CacheControl: 'no-store',
        }),
      ),
    );
    return { bucket: this.bucket, key: report.key, ...(out.VersionId ? { versionId: out.VersionId } : {}) };
  }
}

/**
 * The two implementations of the account ports that every contract suite runs against, loaded with the same
 * world: the sandbox account (lib/sandbox) and the AWS adapters (lib/aws) over the SDK mock of fake-aws.ts.
 * A case written once holds for both, so the sandbox cannot drift from what the adapters do against AWS.
 */
import { EcrRegistry } from '../../lib/aws/ecr';
import { CodeBuildProjects } from '../../lib/aws/codebuild';
import { IamIdentity } from '../../lib/aws/iam';
import { EcrImages } from '../../lib/aws/images';
import { AwsOrganization } from '../../lib/aws/organizations';
import { AwsProvisioner } from '../../lib/aws/provisioner';
import { AwsRemediator } from '../../lib/aws/remediator';
import { S3Reports } from '../../lib/aws/reports';
import { EcrScanFindings } from '../../lib/aws/scan-findings';
import { SnsNotifier } from '../../lib/aws/sns';
import type { Snapshot } from '../../lib/policy/snapshot';
import type {
  IdentityReader,
  ImageLookup,
  Notification,
  Notifier,
  OrganizationReader,
  ProjectReader,
  Provisioner,
  RegistryReader,
  Remediator,
  ReportStore,
  ScanFindingsReader,
} from '../../lib/ports';
import { SandboxAccount } from '../../lib/sandbox/account';
import { FakeAws } from './fake-aws';

export interface Account {
  registry: RegistryReader;
  projects: ProjectReader;
  identity: IdentityReader;
  organization: OrganizationReader;
  remediator: Remediator;
  notifier: Notifier;
  findings: ScanFindingsReader;
  images: ImageLookup;
  provisioner: Provisioner;
  reports: ReportStore;
  /** What the notification topic received, in order. */
  published(): Notification[];
  /** The reports bucket's name, and every version of an object of it, oldest first. */
  reportsBucket: string;
  reportVersions(key: string): { versionId: string; body: string; contentType: string }[];
  /** Calls sent to the reports bucket so far. */
  reportCalls(): number;
}

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:buildwarden';
const opened: FakeAws[] = [];

function sandboxAccount(world: Snapshot): Account {
  const sandbox = new SandboxAccount(structuredClone(world));
  const ports = sandbox.ports();
  return {
    ...ports,
    published: () => (sandbox.snapshot.sns?.topics[0]?.messages ?? []) as unknown as Notification[],
    reportsBucket: sandbox.reports.bucket,
    reportVersions: (key) => sandbox.reports.objects.get(key) ?? [],
    reportCalls: () => sandbox.calls.get('s3:PutObject') ?? 0,
  };
}

function awsAccount(world: Snapshot): Account {
  const aws = new FakeAws(structuredClone(world));
  opened.push(aws);
  const { ecr, codebuild, iam, organizations, sns, s3 } = aws.clients;
  return {
    registry: new EcrRegistry(ecr),
    projects: new CodeBuildProjects(codebuild),
    identity: new IamIdentity(iam),
    organization: new AwsOrganization(organizations),
    remediator: new AwsRemediator(ecr, iam, codebuild),
    notifier: new SnsNotifier(TOPIC_ARN, sns),
    findings: new EcrScanFindings(ecr),
    images: new EcrImages(ecr),
    provisioner: new AwsProvisioner({ ecr, iam, codebuild }),
    reports: new S3Reports(aws.reportsBucket, s3),
    reportsBucket: aws.reportsBucket,
    reportVersions: (key) => aws.objects.get(key) ?? [],
    reportCalls: () => aws.putObjectCalls,
    published: () =>
      aws.published.map((input) => ({
        subject: input.Subject ?? '',
        message: input.Message ?? '',
        attributes: Object.fromEntries(
          Object.entries(input.MessageAttributes ?? {}).map(([k, v]) => [
            k,
            // A String.Array's value is a JSON array (what a filter policy matches any element of).
            v.DataType === 'String.Array'
              ? (JSON.parse(v.StringValue ?? '[]') as string[])
              : (v.StringValue ?? ''),
          ]),
        ),
      })),
  };
}

/** `[name, open]` for describe.each: `open(world)` gives that implementation's ports over a copy of `world`. */
export const ACCOUNTS: [string, (world: Snapshot) => Account][] = [
  ['the sandbox account', sandboxAccount],
  ['the AWS adapters over the SDK mock', awsAccount],
];

/** Undoes the SDK mocks of the accounts opened so far (call in afterEach). */
export function closeAccounts(): void {
  for (const aws of opened.splice(0)) aws.restore();
}

/** Every page of an async iterable of pages. */
export async function pagesOf<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

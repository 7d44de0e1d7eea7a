import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IMPORT_BATCH_MAX, SecurityHubFindings, securityHubActions } from '../../../lib/aws/securityhub';
import { toAsff, type AsffFinding } from '../../../lib/policy/asff';
import type { FindingRecord } from '../../../lib/policy/finding-state';
import { awsSample } from '../../fixtures/load';
import { SdkGate } from '../../fixtures/sdk-gate';

const hubMock = mockClient(SecurityHubClient);
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const NOW = new Date('2026-11-25T12:00:00.000Z');

/** The AWS CLI example's response: every finding imported. */
const IMPORTED = awsSample<{ FailedCount: number; SuccessCount: number; FailedFindings: [] }>(
  'api-securityhub-batch-import-findings.aws-cli.json',
);
/**
 * The message Security Hub gives a finding that breaks the format (as reported from a real response in
 * github.com/aws-samples/aws-securityhub-config-integration issue 3).
 */
const FORMAT_ERROR =
  "Finding does not adhere to Amazon Finding Format. data should have required property 'FindingProviderFields', data should match some schema in anyOf.";

function document(i: number): AsffFinding {
  const record: FindingRecord = {
    accountId: ACCOUNT,
    region: REGION,
    resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-${i}`,
    resourceType: 'AWS::ECR::Repository',
    ruleId: 'ecr.scan-on-push',
    state: 'open',
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled',
    firstSeen: '2026-11-20T06:00:00.000Z',
    lastSeen: '2026-11-25T12:00:00.000Z',
  };
  return toAsff(record, { now: NOW, firstSight: true });
}

const documents = (n: number) => Array.from({ length: n }, (_, i) => document(i));
const sentIds = () =>
  hubMock.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!.map((f) => f.Id));

let sleeps: number[];
function publisher(maxAttempts?: number) {
  sleeps = [];
  return new SecurityHubFindings(new SecurityHubClient({ region: REGION }), {
    ...(maxAttempts ? { maxAttempts } : {}),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => {
  hubMock.reset();
});

describe('SecurityHubFindings.importFindings', () => {
  it('declares the action it calls', () => {
    expect(securityHubActions).toEqual(['securityhub:BatchImportFindings']);
  });

  it('imports the documents as they are and reports them imported', async () => {
    // Prepare
    hubMock.on(BatchImportFindingsCommand).resolves(IMPORTED);
    const [only] = documents(1);

    // Act
    const result = await publisher().importFindings([only!]);

    // Assess
    expect(result).toEqual({ imported: 1, failed: [] });
    expect(hubMock).toHaveReceivedCommandWith(BatchImportFindingsCommand, { Findings: [only!] });
  });

  it(`sends at most ${IMPORT_BATCH_MAX} findings a call`, async () => {
    // Prepare
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({
      FailedCount: 0,
      SuccessCount: input.Findings.length,
      FailedFindings: [],
    }));

    // Act
    const result = await publisher().importFindings(documents(250));

    // Assess
    expect(sentIds().map((ids) => ids.length)).toEqual([100, 100, 50]);
    expect(sentIds().flat()).toEqual(documents(250).map((d) => d.Id));
    expect(result).toEqual({ imported: 250, failed: [] });
  });

  it('has up to three calls in flight at once, within the API rate limit, and imports every finding', async () => {
    // Prepare: 500 findings are 5 calls; each answers only once the gate opens
    const gate = new SdkGate();
    hubMock.on(BatchImportFindingsCommand).callsFake(
      gate.answer(
        (input: { Findings: AsffFinding[] }) => input.Findings[0]!.Id,
        () => IMPORTED,
      ),
    );

    // Act
    const { inFlight, result } = await gate.inFlight(() => publisher().importFindings(documents(500)), 3);

    // Assess
    expect(inFlight).toHaveLength(3);
    expect(result).toEqual({ imported: 500, failed: [] });
    expect(sentIds().flat()).toHaveLength(500);
  });

  it('makes no call for no documents', async () => {
    // Act
    const result = await publisher().importFindings([]);

    // Assess
    expect(result).toEqual({ imported: 0, failed: [] });
    expect(hubMock).not.toHaveReceivedCommand(BatchImportFindingsCommand);
  });

  it('sends the failed findings again, only those, after a backoff', async () => {
    // Prepare
    const batch = documents(3);
    hubMock
      .on(BatchImportFindingsCommand)
      .resolvesOnce({
        FailedCount: 1,
        SuccessCount: 2,
        FailedFindings: [{ Id: batch[1]!.Id, ErrorCode: 'LimitExceeded', ErrorMessage: 'Rate exceeded' }],
      })
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });

    // Act
    const result = await publisher().importFindings(batch);

    // Assess
    expect(sentIds()).toEqual([batch.map((d) => d.Id), [batch[1]!.Id]]);
    expect(sleeps).toEqual([100]);
    expect(result).toEqual({ imported: 3, failed: [] });
  });

  it('reports a finding that breaks the format at once, with the error Security Hub gave, without retrying it', async () => {
    // Prepare
    const batch = documents(2);
    hubMock.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 1,
      FailedFindings: [{ Id: batch[0]!.Id, ErrorCode: 'InvalidInput', ErrorMessage: FORMAT_ERROR }],
    });

    // Act
    const result = await publisher().importFindings(batch);

    // Assess
    expect(result).toEqual({
      imported: 1,
      failed: [{ id: batch[0]!.Id, errorCode: 'InvalidInput', errorMessage: FORMAT_ERROR }],
    });
    expect(hubMock).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
  });

  it('does not retry findings refused because Security Hub is not enabled (InvalidAccess)', async () => {
    // Prepare
    const batch = documents(1);
    hubMock.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [
        { Id: batch[0]!.Id, ErrorCode: 'InvalidAccess', ErrorMessage: 'Security Hub is not enabled' },
      ],
    });

    // Act
    const result = await publisher().importFindings(batch);

    // Assess
    expect(result.failed.map((f) => f.errorCode)).toEqual(['InvalidAccess']);
    expect(hubMock).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
  });

  it('gives up on a failing finding after the attempts allowed and reports it', async () => {
    // Prepare
    const batch = documents(2);
    hubMock.on(BatchImportFindingsCommand).callsFake((input: { Findings: AsffFinding[] }) => ({
      FailedCount: 1,
      SuccessCount: input.Findings.length - 1,
      FailedFindings: [{ Id: batch[1]!.Id, ErrorCode: 'InternalError', ErrorMessage: 'try again' }],
    }));

    // Act
    const result = await publisher(3).importFindings(batch);

    // Assess
    expect(hubMock).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 3);
    expect(sleeps).toEqual([100, 200]);
    expect(result).toEqual({
      imported: 1,
      failed: [{ id: batch[1]!.Id, errorCode: 'InternalError', errorMessage: 'try again' }],
    });
  });

  it('lets an error of the whole call through (no permission, Security Hub not subscribed)', async () => {
    // Prepare
    const denied = new Error('Account 123456789012 is not subscribed to AWS Security Hub');
    denied.name = 'InvalidAccessException';
    hubMock.on(BatchImportFindingsCommand).rejects(denied);

    // Act
    const importing = publisher().importFindings(documents(1));

    // Assess
    await expect(importing).rejects.toThrow(/not subscribed/);
  });
});

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MESSAGE_MAX_BYTES, SUBJECT_MAX, SnsNotifier, fitMessage, snsActions } from '../../../lib/aws/sns';
import type { Notification } from '../../../lib/ports';

const snsMock = mockClient(SNSClient);

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:buildwarden-notifications';
const MARKER = '(truncated to fit the SNS message size limit)';
const KiB = 1024;

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    subject: 'buildwarden audit 123456789012/us-east-1: 2 violations, 0 not visible',
    message: 'Account 123456789012, region us-east-1.',
    attributes: { kind: 'audit-summary', severity: 'high' },
    ...overrides,
  };
}

/** What the notifier handed to SNS. */
function published(): NonNullable<PublishCommand['input']> {
  const [call] = snsMock.commandCalls(PublishCommand);
  if (!call) throw new Error('no PublishCommand was sent');
  return call.args[0].input;
}

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: '00000000-0000-0000-0000-000000000001' });
});

describe('SnsNotifier.publish', () => {
  it('publishes one message to the configured topic', async () => {
    // Prepare
    const notifier = new SnsNotifier(TOPIC_ARN);

    // Act
    await notifier.publish(notification());

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: 'buildwarden audit 123456789012/us-east-1: 2 violations, 0 not visible',
      Message: 'Account 123456789012, region us-east-1.',
    });
  });

  it(`keeps a subject of exactly ${SUBJECT_MAX} characters unchanged`, async () => {
    // Prepare
    const subject = `buildwarden audit ${'x'.repeat(SUBJECT_MAX - 18)}`;

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ subject }));

    // Assess
    expect(published().Subject).toBe(subject);
  });

  it(`cuts a subject of ${SUBJECT_MAX + 1} characters to ${SUBJECT_MAX}, ending in an ellipsis`, async () => {
    // Prepare
    const subject = `buildwarden audit ${'x'.repeat(SUBJECT_MAX - 17)}`;

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ subject }));

    // Assess
    expect(published().Subject).toBe(`buildwarden audit ${'x'.repeat(SUBJECT_MAX - 21)}...`);
  });

  it('replaces line breaks in the subject with a space', async () => {
    // Prepare
    const subject = 'buildwarden audit\r\n2 violations\n0 not visible';

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ subject }));

    // Assess
    expect(published().Subject).toBe('buildwarden audit 2 violations 0 not visible');
  });

  it('replaces characters outside printable ASCII in the subject', async () => {
    // Prepare
    const subject = 'buildwarden audit — ⚠ 2 violations\tnow';

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ subject }));

    // Assess
    expect(published().Subject).toMatch(/^[\x20-\x7e]+$/);
    expect(published().Subject).toBe('buildwarden audit ? ? 2 violations?now');
  });

  it('sends every attribute as a String message attribute', async () => {
    // Prepare
    const attributes = { kind: 'scan-completed', severity: 'critical', repository: 'team/app' };

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ attributes }));

    // Assess
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'scan-completed' },
        severity: { DataType: 'String', StringValue: 'critical' },
        repository: { DataType: 'String', StringValue: 'team/app' },
      },
    });
  });

  it('sends an attribute with several values as a String.Array holding a JSON array', async () => {
    // Prepare
    const attributes = { kind: ['remediation', 'guardrail-violation'], repository: 'team/app' };

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ attributes }));

    // Assess
    expect(published().MessageAttributes).toStrictEqual({
      kind: { DataType: 'String.Array', StringValue: '["remediation","guardrail-violation"]' },
      repository: { DataType: 'String', StringValue: 'team/app' },
    });
  });

  it('drops attributes whose value is empty (SNS rejects empty String attributes)', async () => {
    // Prepare
    const attributes = { kind: 'audit-summary', repository: '', project: '' };

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ attributes }));

    // Assess
    expect(published().MessageAttributes).toStrictEqual({
      kind: { DataType: 'String', StringValue: 'audit-summary' },
    });
  });

  it('publishes an oversized message cut to fit the SNS size limit', async () => {
    // Prepare
    const message = 'finding\n'.repeat((300 * KiB) / 8);

    // Act
    await new SnsNotifier(TOPIC_ARN).publish(notification({ message }));

    // Assess
    const sent = published().Message!;
    expect(Buffer.byteLength(sent, 'utf8')).toBeLessThan(MESSAGE_MAX_BYTES);
    expect(sent.endsWith(MARKER)).toBe(true);
  });
});

describe('fitMessage', () => {
  it('returns a message within the limit unchanged', () => {
    // Prepare
    const message = 'a'.repeat(200 * KiB);

    // Act
    const fitted = fitMessage(message);

    // Assess
    expect(fitted).toBe(message);
  });

  it('truncates a message over 256 KiB to under the limit and says so', () => {
    // Prepare
    const message = 'a'.repeat(257 * KiB);

    // Act
    const fitted = fitMessage(message);

    // Assess
    expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThan(MESSAGE_MAX_BYTES);
    expect(fitted.endsWith(MARKER)).toBe(true);
    expect(message.startsWith(fitted.slice(0, fitted.indexOf('\n…')))).toBe(true);
  });

  it('counts multi-byte characters in bytes, not characters', () => {
    // Prepare: 200 Ki characters (under 256 Ki) but 600 KiB of UTF-8
    const message = '€'.repeat(200 * KiB);

    // Act
    const fitted = fitMessage(message);

    // Assess
    expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThan(MESSAGE_MAX_BYTES);
    expect(fitted.endsWith(MARKER)).toBe(true);
  });

  // Known defect (reported): the cut is made in UTF-16 code units, so it can split a surrogate pair and leave
  // a lone high surrogate, which reaches the subscriber as U+FFFD. Remove `.failing` once fitMessage is fixed.
  it('never ends the kept text inside a surrogate pair', () => {
    // Prepare: one ASCII character shifts every 4-byte emoji onto an odd UTF-16 offset
    const message = `a${'😀'.repeat(200 * KiB)}`;

    // Act
    const fitted = fitMessage(message);

    // Assess
    const kept = fitted.slice(0, fitted.indexOf('\n…'));
    expect(kept).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('honours a smaller byte budget when given one', () => {
    // Prepare
    const message = 'é'.repeat(10 * KiB);

    // Act
    const fitted = fitMessage(message, 4 * KiB);

    // Assess
    expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThanOrEqual(4 * KiB);
    expect(fitted.endsWith(MARKER)).toBe(true);
  });
});

describe('snsActions', () => {
  it('declares the one SNS action the notifier sends', async () => {
    // Prepare
    const notifier = new SnsNotifier(TOPIC_ARN);

    // Act
    await notifier.publish(notification());

    // Assess
    const sent = snsMock
      .calls()
      .map((call) => `sns:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`);
    expect([...new Set(sent)]).toEqual([...snsActions]);
  });
});

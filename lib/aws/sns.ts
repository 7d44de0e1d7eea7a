/** SNS adapter: publishes notifications with filterable message attributes, within SNS size limits. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../ports';
import { clientConfig } from './common';

export const snsActions = ['sns:Publish'] as const;

const sns = new SNSClient(clientConfig);

/** SNS limits: subject ≤ 100 ASCII characters without line breaks; message ≤ 256 KiB (UTF-8). */
export const SUBJECT_MAX = 100;
export const MESSAGE_MAX_BYTES = 256 * 1024;

export function fitSubject(subject: string): string {
  const ascii = subject
    .replace(/[\r\n]+/g, ' ')
    .trim()
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

export function fitMessage(message: string, maxBytes = MESSAGE_MAX_BYTES - 1024): string {
  if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  const marker = '\n… (truncated to fit the SNS message size limit)';
  let cut = message.slice(0, maxBytes);
  while (Buffer.byteLength(cut + marker, 'utf8') > maxBytes) cut = cut.slice(0, -1024);
  // Never end inside a surrogate pair (it would reach subscribers as U+FFFD).
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + marker;
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = sns,
  ) {}

  async publish(notification: Notification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: fitSubject(notification.subject),
        Message: fitMessage(notification.message),
        MessageAttributes: Object.fromEntries(
          Object.entries(notification.attributes)
            .filter(([, v]) => v !== '')
            .map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
      }),
    );
  }
}

/** SNS adapter: publishes notifications with filterable message attributes, within SNS size limits. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../ports';
import { deliverable } from '../policy/notifications';
import { snsClient } from './clients';

export const snsActions = ['sns:Publish'] as const;

// The limits live with the notification texts (lib/policy/notifications.ts); the adapter applies them last.
export {
  fitMessage,
  fitSubject,
  MESSAGE_MAX_BYTES,
  SUBJECT_MAX_CHARS as SUBJECT_MAX,
} from '../policy/notifications';

export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = snsClient(),
  ) {}

  async publish(notification: Notification): Promise<void> {
    const { subject, message, attributes } = deliverable(notification);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        // Several values are a String.Array (a JSON array): a filter policy matches when any of them matches.
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [
            k,
            typeof v === 'string'
              ? { DataType: 'String', StringValue: v }
              : { DataType: 'String.Array', StringValue: JSON.stringify(v) },
          ]),
        ),
      }),
    );
  }
}

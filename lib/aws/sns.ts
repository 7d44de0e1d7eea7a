/** SNS adapter: publishes notifications with filterable message attributes, within SNS size limits. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../ports';
import { fitMessage, fitSubject } from '../policy/notifications';
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

/** The sandbox's Notifier: messages kept on the snapshot's topic. */
import type { Notification, Notifier } from '../ports';
import { buildArn } from '../policy/aws-facts';
import { deliverable } from '../policy/notifications';
import type { SandboxState } from './state';

export class SandboxNotifier implements Notifier {
  constructor(private readonly state: SandboxState) {}

  async publish(notification: Notification): Promise<void> {
    await this.state.call('sns:Publish');
    const sns = (this.state.snapshot.sns ??= { topics: [] });
    let topic = sns.topics[0];
    if (!topic) {
      topic = {
        TopicArn: buildArn({ ...this.state.scope, service: 'sns', resource: 'buildwarden' }),
        messages: [],
      };
      sns.topics.push(topic);
    }
    // What SNS delivers, as the SNS adapter sends it: within SNS's limits, without empty attributes.
    const delivered: Notification = deliverable(notification);
    topic.messages.push(delivered as unknown as Record<string, unknown>);
  }
}

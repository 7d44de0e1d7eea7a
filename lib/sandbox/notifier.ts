/** The sandbox's Notifier: messages kept on the snapshot's topic. */
import type { Notification, Notifier } from '../ports';
import type { SandboxState } from './state';

export class SandboxNotifier implements Notifier {
  constructor(private readonly state: SandboxState) {}

  async publish(notification: Notification): Promise<void> {
    await this.state.call('sns:Publish');
    const sns = (this.state.snapshot.sns ??= { topics: [] });
    let topic = sns.topics[0];
    if (!topic) {
      topic = {
        TopicArn: `arn:aws:sns:${this.state.snapshot.region}:${this.state.snapshot.accountId}:buildwarden`,
        messages: [],
      };
      sns.topics.push(topic);
    }
    topic.messages.push(structuredClone(notification) as unknown as Record<string, unknown>);
  }
}

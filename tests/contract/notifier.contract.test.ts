/**
 * The Notifier port's contract, run against the sandbox account and the SNS adapter: what the topic receives
 * is what SNS delivers — the notification as given when it is within SNS's limits, a subject shortened to fit
 * and attributes without a value left out (SNS refuses an empty attribute value).
 */
import { SUBJECT_MAX_CHARS } from '../../lib/policy/notifications';
import type { Notification } from '../../lib/ports';
import { ACCOUNTS, closeAccounts } from './accounts';
import { world } from './world';

const notification = (overrides: Partial<Notification> = {}): Notification => ({
  subject: 'buildwarden fixed ecr.scan-on-push on web/frontend',
  message: 'Rule: ecr.scan-on-push\nResource: arn:aws:ecr:us-east-1:123456789012:repository/web/frontend',
  attributes: { kind: 'remediation', severity: 'high', repository: 'web/frontend' },
  ...overrides,
});

afterEach(closeAccounts);

describe.each(ACCOUNTS)('Notifier contract: %s', (_name, open) => {
  test('delivers a notification within the limits as it is, in order', async () => {
    // Prepare
    const account = open(world());
    const second = notification({
      subject: 'buildwarden found a violation of ecr.encryption on web/frontend',
    });

    // Act
    await account.notifier.publish(notification());
    await account.notifier.publish(second);

    // Assess
    expect(account.published()).toEqual([notification(), second]);
  });

  test('shortens a subject longer than SNS allows', async () => {
    // Prepare
    const account = open(world());

    // Act
    await account.notifier.publish(notification({ subject: `buildwarden ${'x'.repeat(200)}` }));

    // Assess
    const [delivered] = account.published();
    expect(delivered!.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(delivered!.subject).toMatch(/^buildwarden x+\.\.\.$/);
  });

  test('leaves out an attribute without a value', async () => {
    // Prepare
    const account = open(world());

    // Act
    await account.notifier.publish(
      notification({ attributes: { kind: 'remediation', repository: 'web/frontend', project: '' } }),
    );

    // Assess
    expect(account.published()[0]!.attributes).toEqual({ kind: 'remediation', repository: 'web/frontend' });
  });

  test('delivers an attribute with several values as those values, and leaves out an empty list', async () => {
    // Prepare
    const account = open(world());

    // Act
    await account.notifier.publish(
      notification({
        attributes: { kind: ['remediation', 'guardrail-violation'], repository: 'web/frontend', project: [] },
      }),
    );

    // Assess
    expect(account.published()[0]!.attributes).toEqual({
      kind: ['remediation', 'guardrail-violation'],
      repository: 'web/frontend',
    });
  });
});

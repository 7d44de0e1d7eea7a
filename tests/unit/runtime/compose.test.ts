/**
 * The composition root: ports built from the AWS adapters on first use and kept by their scope, the settings
 * they read checked first, or taken from a sandbox account.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ConfigError } from '../../../lib/errors';
import type { Notifier, RegistryReader } from '../../../lib/ports';
import { AdapterScope, compose, fromSandbox, settingsOf, type Need } from '../../../lib/runtime/compose';
import { SandboxAccount } from '../../../lib/sandbox/account';
import { parseSettings } from '../../../lib/settings';
import { loadJson } from '../../fixtures/load';
import { parseSnapshot } from '../../../lib/policy/snapshot';

const sts = mockClient(STSClient);
const ACCOUNT = '123456789012';

/** A need whose adapter is a stub, counting how often it is built. */
function countingNeed(): Need<'registry'> & { built: jest.Mock } {
  const built = jest.fn((): RegistryReader => ({}) as RegistryReader);
  return { port: 'registry', settings: [], aws: built, built };
}

function notifierNeed(): Need<'notifier'> & { built: jest.Mock } {
  const built = jest.fn((): Notifier => ({ publish: async () => undefined }));
  return { port: 'notifier', settings: ['BUILDWARDEN_NOTIFICATION_TOPIC_ARN'], aws: built, built };
}

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
});

describe('compose on AWS', () => {
  it('builds no adapter until its port is used', async () => {
    // Prepare
    const need = countingNeed();

    // Act
    await compose(parseSettings({}), [need], { scope: new AdapterScope() });

    // Assess
    expect(need.built).not.toHaveBeenCalled();
  });

  it('builds an adapter once per scope, however often it is composed and used', async () => {
    // Prepare
    const need = countingNeed();
    const scope = new AdapterScope();
    const settings = parseSettings({});

    // Act
    const first = await compose(settings, [need], { scope });
    const second = await compose(settings, [need], { scope });
    const [a, b, c] = [first.registry, first.registry, second.registry];

    // Assess
    expect(need.built).toHaveBeenCalledTimes(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('builds the adapter again in another scope', async () => {
    // Prepare
    const need = countingNeed();
    const settings = parseSettings({});

    // Act
    void (await compose(settings, [need], { scope: new AdapterScope() })).registry;
    void (await compose(settings, [need], { scope: new AdapterScope() })).registry;

    // Assess
    expect(need.built).toHaveBeenCalledTimes(2);
  });

  it('builds another adapter when the settings it reads differ', async () => {
    // Prepare
    const need = notifierNeed();
    const scope = new AdapterScope();

    // Act
    void (await compose(parseSettings({ BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC }), [need], { scope }))
      .notifier;
    void (
      await compose(parseSettings({ BUILDWARDEN_NOTIFICATION_TOPIC_ARN: `${TOPIC}-2` }), [need], { scope })
    ).notifier;

    // Assess
    expect(need.built).toHaveBeenCalledTimes(2);
  });

  it('fails naming a setting a needed adapter reads when it is unset, before any AWS call', async () => {
    // Prepare
    const need = notifierNeed();

    // Act
    const composing = compose(parseSettings({}), [need], { scope: new AdapterScope() });

    // Assess
    await expect(composing).rejects.toThrow(ConfigError);
    await expect(composing).rejects.toThrow(/BUILDWARDEN_NOTIFICATION_TOPIC_ARN: required/);
    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
  });

  it('asks for the account once per scope', async () => {
    // Prepare
    const scope = new AdapterScope();

    // Act
    const first = await compose(parseSettings({}), [], { scope });
    const second = await compose(parseSettings({}), [], { scope });

    // Assess
    expect(first.account).toEqual({ accountId: ACCOUNT, region: 'us-east-1' });
    expect(second.account).toEqual(first.account);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('asks for the account again after a failure', async () => {
    // Prepare
    const scope = new AdapterScope();
    sts.on(GetCallerIdentityCommand).rejectsOnce(new Error('no credentials')).resolves({ Account: ACCOUNT });

    // Act
    const failed = await compose(parseSettings({}), [], { scope }).catch((e: unknown) => e);
    const second = await compose(parseSettings({}), [], { scope });

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(second.account.accountId).toBe(ACCOUNT);
  });
});

describe('compose on the sandbox', () => {
  const sandbox = () =>
    new SandboxAccount(parseSnapshot(JSON.stringify(loadJson('../../demo/account.json')), 'demo'));

  it('gives the needed ports of the sandbox account, and only those', async () => {
    // Prepare
    const account = sandbox();

    // Act
    const deps = await compose(parseSettings({}), [countingNeed()], { sandbox: account });

    // Assess
    expect(Object.keys(deps).sort()).toEqual(['account', 'registry']);
    expect(deps.registry).toBe(account.ports().registry);
    expect(deps.account).toEqual(account.info);
  });

  it('needs no settings and makes no AWS call', async () => {
    // Act
    const deps = fromSandbox(sandbox(), [notifierNeed()]);

    // Assess
    expect(deps.notifier).toBeDefined();
    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
  });
});

describe('settingsOf', () => {
  it('lists the settings of the needs, each once', () => {
    // Assess
    expect(settingsOf([notifierNeed(), countingNeed(), notifierNeed()])).toEqual([
      'BUILDWARDEN_NOTIFICATION_TOPIC_ARN',
    ]);
  });
});

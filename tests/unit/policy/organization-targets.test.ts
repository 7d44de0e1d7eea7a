/** Which accounts and Regions an organization-wide deployment guards, and why a place is not guarded: plain data. */
import { guardedTargets, isActiveAccount, unguardedReason } from '../../../lib/policy/organization-targets';

describe('isActiveAccount', () => {
  test('reads State, which replaced Status', () => {
    expect(isActiveAccount({ State: 'ACTIVE', Status: 'SUSPENDED' })).toBe(true);
    expect(isActiveAccount({ State: 'PENDING_CLOSURE', Status: 'ACTIVE' })).toBe(false);
  });

  test('reads Status only when there is no State', () => {
    expect(isActiveAccount({ Status: 'ACTIVE' })).toBe(true);
  });

  test('an account whose state is not known is not guarded', () => {
    expect(isActiveAccount({ Id: '111111111111' })).toBe(false);
  });
});

describe('guardedTargets', () => {
  test('crosses the members with the Regions, each once, accounts ascending', () => {
    expect(guardedTargets(['2', '1', '2'], { regions: ['b', 'a', 'b'] })).toEqual([
      { accountId: '1', region: 'b' },
      { accountId: '1', region: 'a' },
      { accountId: '2', region: 'b' },
      { accountId: '2', region: 'a' },
    ]);
  });

  test('keeps only the configured accounts when some are', () => {
    expect(guardedTargets(['1', '2'], { regions: ['a'], accounts: ['2', '3'] })).toEqual([
      { accountId: '2', region: 'a' },
    ]);
  });
});

describe('unguardedReason', () => {
  const guarded = [{ accountId: '111111111111', region: 'us-east-1' }];

  test('nothing for a guarded place', () => {
    expect(
      unguardedReason(
        { accountId: '111111111111', region: 'us-east-1' },
        { regions: ['us-east-1'] },
        guarded,
      ),
    ).toBeUndefined();
  });

  test('names the Region first when it is not guarded', () => {
    expect(
      unguardedReason(
        { accountId: '999999999999', region: 'eu-west-1' },
        { regions: ['us-east-1'] },
        guarded,
      ),
    ).toBe('the event is from region eu-west-1, which this deployment does not guard (regions: us-east-1)');
  });

  test('names BUILDWARDEN_ACCOUNTS for an account outside it', () => {
    expect(
      unguardedReason(
        { accountId: '222222222222', region: 'us-east-1' },
        { regions: ['us-east-1'], accounts: ['111111111111'] },
        guarded,
      ),
    ).toContain('BUILDWARDEN_ACCOUNTS');
  });
});

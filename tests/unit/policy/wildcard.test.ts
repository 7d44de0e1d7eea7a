import { matchesEcrScanFilter, matchesWildcard } from '../../../lib/policy/wildcard';

describe('name patterns', () => {
  test('* matches any run of characters including slashes', () => {
    expect(matchesWildcard('team/app/api', 'team/*')).toBe(true);
  });

  test('a pattern without * must match the whole name', () => {
    expect(matchesWildcard('team/app', 'team')).toBe(false);
  });

  test('regular-expression characters in a pattern are literal', () => {
    expect(matchesWildcard('a.b', 'a.b')).toBe(true);
    expect(matchesWildcard('axb', 'a.b')).toBe(false);
  });
});

describe('ECR registry scanning filters', () => {
  test('a filter without a wildcard matches every name that contains it (ECR user guide)', () => {
    expect(matchesEcrScanFilter('team/payments-api', 'payments')).toBe(true);
  });

  test('a filter with a wildcard must match the whole name', () => {
    expect(matchesEcrScanFilter('team/payments-api', 'payments*')).toBe(false);
    expect(matchesEcrScanFilter('payments-api', 'payments*')).toBe(true);
  });

  test('* alone matches every repository', () => {
    expect(matchesEcrScanFilter('anything/at/all', '*')).toBe(true);
  });
});

import { foreignImageReason } from '../../../../lib/policy/scan/image';

const OWN = { accountId: '123456789012', region: 'us-east-1' };
const origin = (overrides: Partial<Parameters<typeof foreignImageReason>[0]> = {}) => ({
  account: '123456789012',
  region: 'us-east-1',
  registryId: '123456789012',
  repositoryRegion: 'us-east-1',
  ...overrides,
});

describe('foreignImageReason', () => {
  test('an own image in the own region is ours', () => {
    expect(foreignImageReason(origin(), OWN)).toBeUndefined();
  });

  test.each([
    [
      'another account',
      { account: '210987654321' },
      'the event is from account 210987654321, not 123456789012',
    ],
    ['another region', { region: 'eu-west-1' }, 'the event is from region eu-west-1, not us-east-1'],
    [
      'an image of another registry',
      { registryId: '210987654321' },
      "the image is in registry 210987654321, not this account's (123456789012)",
    ],
    [
      'an image in another region',
      { repositoryRegion: 'eu-west-1' },
      'the image is in region eu-west-1, not us-east-1',
    ],
  ])('an event from %s is skipped, saying why', (_what, overrides, reason) => {
    expect(foreignImageReason(origin(overrides), OWN)).toBe(reason);
  });
});

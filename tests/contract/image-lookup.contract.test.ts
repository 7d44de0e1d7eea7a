/**
 * The ImageLookup port's contract, run against the sandbox account and the DescribeImages adapter: an image is
 * there until it or its repository is deleted.
 */
import { ACCOUNTS, closeAccounts } from './accounts';
import { image, repository, world } from './world';

const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';
const OTHER = `sha256:${'0'.repeat(64)}`;

afterEach(closeAccounts);

describe.each(ACCOUNTS)('ImageLookup contract: %s', (_name, open) => {
  const account = () =>
    open(
      world({
        repositories: [repository('web/frontend', { images: [image('web/frontend', DIGEST, ['1.4.2'])] })],
      }),
    );

  test('an image in its repository exists', async () => {
    await expect(account().images.imageExists('web/frontend', DIGEST)).resolves.toBe(true);
  });

  test('an image no longer in its repository does not exist', async () => {
    await expect(account().images.imageExists('web/frontend', OTHER)).resolves.toBe(false);
  });

  test('an image of a repository that no longer exists does not exist', async () => {
    await expect(account().images.imageExists('web/gone', DIGEST)).resolves.toBe(false);
  });
});

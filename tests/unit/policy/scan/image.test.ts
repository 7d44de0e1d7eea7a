import { awsSample } from '../../../fixtures/load';
import { foreignImageReason, parseRepositoryArn } from '../../../../lib/policy/scan/image';

const OWN = { accountId: '123456789012', region: 'us-east-1' };
const origin = (overrides: Partial<Parameters<typeof foreignImageReason>[0]> = {}) => ({
  account: '123456789012',
  region: 'us-east-1',
  registryId: '123456789012',
  repositoryRegion: 'us-east-1',
  ...overrides,
});

describe('parseRepositoryArn', () => {
  test('a repository ARN from the official ECR Image Scan sample', () => {
    const [arn] = awsSample<{ resources: string[] }>('ecr-image-scan.json').resources;

    expect(parseRepositoryArn(arn!)).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      accountId: '123456789012',
      repositoryName: 'my-repository-name',
    });
  });

  test('the image ARN of the official Inspector2 Finding sample names repository and digest', () => {
    const [arn] = awsSample<{ resources: string[] }>(
      'inspector2-finding-ecr-package-vulnerability.json',
    ).resources;

    expect(parseRepositoryArn(arn!)).toEqual({
      partition: 'aws',
      region: 'eu-central-1',
      accountId: '123456789012',
      repositoryName: 'inspector2',
      imageDigest: 'sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d',
    });
  });

  test('a repository name with slashes stays whole', () => {
    expect(
      parseRepositoryArn('arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/web/app'),
    ).toMatchObject({
      partition: 'aws-cn',
      repositoryName: 'team/web/app',
    });
  });

  test.each([
    ['an EC2 instance id', 'i-087d63509b8c97098'],
    ['a Lambda function ARN', 'arn:aws:lambda:us-west-2:111122223333:function:lambda-example:$LATEST'],
    ['an ECR ARN without a repository', 'arn:aws:ecr:us-east-1:123456789012:registry'],
  ])('%s is not a repository ARN', (_what, arn) => {
    expect(parseRepositoryArn(arn)).toBeUndefined();
  });
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

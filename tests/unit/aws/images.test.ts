import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
  ServerException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EcrImages, imageLookupActions } from '../../../lib/aws/images';

const ecrMock = mockClient(ECRClient);

const REPOSITORY = 'web/frontend';
const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

const images = () => new EcrImages(new ECRClient({ region: 'us-east-1' }));

beforeEach(() => {
  ecrMock.reset();
});

describe('EcrImages.imageExists (DescribeImages by digest)', () => {
  it('asks for the one digest in the repository', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });

    // Act
    await images().imageExists(REPOSITORY, DIGEST);

    // Assess
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: REPOSITORY,
      imageIds: [{ imageDigest: DIGEST }],
    });
  });

  it('is true when ECR describes the image', async () => {
    // Prepare
    ecrMock
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['1.4.2'] }] });

    // Act
    const exists = await images().imageExists(REPOSITORY, DIGEST);

    // Assess
    expect(exists).toBe(true);
  });

  it.each([
    ['ImageNotFoundException', ImageNotFoundException],
    ['RepositoryNotFoundException', RepositoryNotFoundException],
  ] as const)('is false when ECR answers %s', async (_name, Gone) => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).rejects(new Gone({ message: 'not found', $metadata: {} }));

    // Act
    const exists = await images().imageExists(REPOSITORY, DIGEST);

    // Assess
    expect(exists).toBe(false);
  });

  it('rethrows any other error, so Lambda retries', async () => {
    // Prepare
    ecrMock.on(DescribeImagesCommand).rejects(new ServerException({ message: 'internal', $metadata: {} }));

    // Act
    const looking = images().imageExists(REPOSITORY, DIGEST);

    // Assess
    await expect(looking).rejects.toThrow(ServerException);
  });

  it('declares the one action it calls', () => {
    expect(imageLookupActions).toEqual(['ecr:DescribeImages']);
  });
});

/** The one translation of AWS exceptions into domain errors, over the SDK's own exception classes. */
import {
  InvalidInputException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-codebuild';
import {
  ImageNotFoundException,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { EntityAlreadyExistsException, NoSuchEntityException } from '@aws-sdk/client-iam';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { translateAwsError, translated } from '../../../lib/aws/errors';
import { AlreadyExistsError, NotFoundError, RoleNotAssumableYetError } from '../../../lib/errors';

const $metadata = {};

describe('translateAwsError', () => {
  it.each([
    [
      'RepositoryNotFoundException',
      new RepositoryNotFoundException({ message: 'no repo', $metadata }),
      'repository',
    ],
    ['ImageNotFoundException', new ImageNotFoundException({ message: 'no image', $metadata }), 'image'],
    ['ScanNotFoundException', new ScanNotFoundException({ message: 'no scan', $metadata }), 'scan'],
    ['NoSuchEntityException', new NoSuchEntityException({ message: 'no role', $metadata }), 'entity'],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ message: 'no project', $metadata }),
      'resource',
    ],
  ])('makes %s a NotFoundError about a %s', (_name, awsError, resource) => {
    // Act
    const error = translateAwsError(awsError);

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ resource, message: awsError.message, cause: awsError });
  });

  it.each([
    [
      'RepositoryAlreadyExistsException',
      new RepositoryAlreadyExistsException({ message: 'exists', $metadata }),
    ],
    ['EntityAlreadyExistsException', new EntityAlreadyExistsException({ message: 'exists', $metadata })],
    ['ResourceAlreadyExistsException', new ResourceAlreadyExistsException({ message: 'exists', $metadata })],
  ])('makes %s an AlreadyExistsError', (_name, awsError) => {
    // Act
    const error = translateAwsError(awsError);

    // Assess
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({ kind: 'conflict', cause: awsError });
  });

  it("makes CodeBuild's refusal of a role it cannot assume yet a RoleNotAssumableYetError", () => {
    // Prepare
    const awsError = new InvalidInputException({
      message: 'CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::123456789012:role/r',
      $metadata,
    });

    // Act
    const error = translateAwsError(awsError);

    // Assess
    expect(error).toBeInstanceOf(RoleNotAssumableYetError);
    expect(error).toMatchObject({ kind: 'upstream', cause: awsError });
  });

  it.each([
    [
      'an InvalidInputException about something else',
      new InvalidInputException({ message: 'Invalid buildspec', $metadata }),
    ],
    ['a throttling error', new ThrottlingException({ message: 'Rate exceeded', $metadata })],
    ['a plain Error', new Error('defect')],
  ])('returns %s unchanged', (_what, error) => {
    // Act
    const result = translateAwsError(error);

    // Assess
    expect(result).toBe(error);
  });
});

describe('translated', () => {
  it('passes a result through', async () => {
    // Act
    const result = await translated(async () => 42);

    // Assess
    expect(result).toBe(42);
  });

  it('throws the translation of what the call threw', async () => {
    // Prepare
    const awsError = new NoSuchEntityException({ message: 'The role cannot be found.', $metadata });

    // Act
    const error = await translated(async () => {
      throw awsError;
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
  });
});

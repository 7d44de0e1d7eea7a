/** The error taxonomy: every domain error has a kind; anything else is internal. */
import {
  AlreadyExistsError,
  ConfigError,
  ConflictError,
  DomainError,
  ERROR_KINDS,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RoleNotAssumableYetError,
  UpstreamError,
  describeFailure,
  kindOf,
  sourceName,
} from '../../lib/errors';
import { InvalidInputError as PolicyInvalidInputError } from '../../lib/policy/validation';
import {
  ConcurrentProvisioningError,
  NotManagedError,
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RegistryCoverageError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from '../../lib/usecases/provisioning-errors';
import { RepositoryNotFoundError } from '../../lib/usecases/lifecycle';
import { UsageError } from '../../lib/cli/framework';
import { UnreadableError } from '../../lib/ports';

/** An error named like the AWS exception it stands for, as the SDK raises it. */
function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('kindOf', () => {
  it.each([
    ['InvalidInputError', 'invalid-input', new InvalidInputError('body', ['name: required'])],
    ['UsageError', 'invalid-input', new UsageError('--rules: unknown rule id(s): x')],
    ['NotFoundError', 'not-found', new NotFoundError('no such thing')],
    ['ProjectNotFoundError', 'not-found', new ProjectNotFoundError('team/app')],
    ['RepositoryNotFoundError', 'not-found', new RepositoryNotFoundError('team/app')],
    ['ConflictError', 'conflict', new ConflictError('taken')],
    ['AlreadyExistsError', 'conflict', new AlreadyExistsError('exists')],
    ['ProjectConflictError', 'conflict', new ProjectConflictError('different', ['computeType'])],
    ['NotManagedError', 'conflict', new NotManagedError('not ours')],
    ['RepositoryNotEmptyError', 'conflict', new RepositoryNotEmptyError('team/app', 2)],
    ['ConcurrentProvisioningError', 'conflict', new ConcurrentProvisioningError('busy')],
    ['RegistryCoverageError', 'conflict', new RegistryCoverageError('no rule')],
    ['ForbiddenError', 'forbidden', new ForbiddenError('no')],
    ['UpstreamError', 'upstream', new UpstreamError('failed')],
    ['RoleNotAssumableYetError', 'upstream', new RoleNotAssumableYetError('not yet')],
    ['ProvisioningFailedError', 'upstream', new ProvisioningFailedError('createRole', 'X: y', [])],
    ['RepairFailedError', 'upstream', new RepairFailedError('role: recreateRole', 'X: y', [])],
    ['ConfigError', 'internal', new ConfigError('BUILDWARDEN_CONFIG: cannot read x')],
    [
      'UnreadableError',
      'internal',
      new UnreadableError('ecr:GetLifecyclePolicy', 'AccessDeniedException: no'),
    ],
    ['an AWS error no adapter translated', 'internal', awsError('ThrottlingException', 'Rate exceeded')],
    ['a plain Error', 'internal', new Error('defect')],
    ['a thrown string', 'internal', 'oops'],
  ])('%s is %s', (_name, kind, error) => {
    // Act
    const result = kindOf(error);

    // Assess
    expect(result).toBe(kind);
    if (error instanceof DomainError) expect(ERROR_KINDS).toContain(error.kind);
  });

  it('keeps one InvalidInputError class, whether imported from lib/errors or lib/policy/validation', () => {
    // Act
    const error = new PolicyInvalidInputError('snapshot', ['format: required']);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('snapshot is invalid:\n  format: required');
  });
});

describe('domain errors', () => {
  it('are named after their class', () => {
    // Act
    const error = new ProjectNotFoundError('team/app');

    // Assess
    expect(error.name).toBe('ProjectNotFoundError');
    expect(error.message).toBe('no managed project named team/app');
  });

  it('carry their public facts in details, never the reason', () => {
    // Act
    const error = new ProvisioningFailedError('createProject', 'AccessDeniedException: not allowed', [
      'role r',
    ]);

    // Assess
    expect(error.details).toEqual({ step: 'createProject', leftovers: ['role r'] });
    expect(JSON.stringify(error.details)).not.toMatch(/AccessDenied/);
    expect(error.reason).toBe('AccessDeniedException: not allowed');
  });

  it('say how a refused delete can be forced', () => {
    // Act
    const error = new RepositoryNotEmptyError('team/app', 3);

    // Assess
    expect(error.override).toEqual({ option: 'force', effect: 'delete them too' });
  });

  it('a repair that failed lists what was repaired before it', () => {
    // Act
    const error = new RepairFailedError('role: recreateRole', 'X: y', ['repository']);

    // Assess
    expect(error).toBeInstanceOf(ProvisioningFailedError);
    expect(error.details).toEqual({ step: 'role: recreateRole', leftovers: [], repaired: ['repository'] });
    expect(error.message).toBe(
      'repairing failed at step role: recreateRole; what was repaired stays: send the same request again to finish',
    );
  });
});

describe('describeFailure', () => {
  it('reads a translated error as the service error it came from', () => {
    // Prepare
    const cause = awsError('RepositoryNotFoundException', "The repository 'team/app' does not exist");
    const error = new NotFoundError('repository team/app does not exist', { resource: 'repository', cause });

    // Act
    const text = describeFailure(error);

    // Assess
    expect(text).toBe("RepositoryNotFoundException: The repository 'team/app' does not exist");
    expect(sourceName(error)).toBe('RepositoryNotFoundException');
  });

  it('reads any other error as its name and message', () => {
    // Act
    const text = describeFailure(awsError('ServiceUnavailableException', 'try later'));

    // Assess
    expect(text).toBe('ServiceUnavailableException: try later');
  });

  it('reads a domain error without a cause as itself', () => {
    // Act
    const error = new ConflictError('taken');

    // Assess
    expect(describeFailure(error)).toBe('ConflictError: taken');
    expect(sourceName(error)).toBe('ConflictError');
  });
});

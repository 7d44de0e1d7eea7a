/** The CLI's error mapping: how each kind of error reads on stderr, and its exit status. */
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../../lib/errors';
import { EXIT, UsageError, type Io } from '../../../lib/cli/framework';
import { EXIT_FOR_KIND, reportError } from '../../../lib/cli/main';
import {
  ProjectConflictError,
  ProjectNotFoundError,
  ProvisioningFailedError,
  RepairFailedError,
  RepositoryNotEmptyError,
} from '../../../lib/usecases/provisioning-errors';

/** Reports `error` and returns the exit status and what was written to stderr. */
function report(error: unknown): { code: number; stderr: string } {
  let stderr = '';
  const io: Io = {
    stdout: () => undefined,
    stderr: (t) => (stderr += t),
    env: {},
    cwd: '/',
    stderrIsTty: false,
  };
  const code = reportError(error, io);
  return { code, stderr };
}

describe('reportError', () => {
  it('exits 2 with the message for bad usage', () => {
    // Act
    const result = report(new UsageError('--rules: unknown rule id(s): x'));

    // Assess
    expect(result).toEqual({ code: 2, stderr: 'buildwarden: --rules: unknown rule id(s): x\n' });
  });

  it('exits 2 with every problem for invalid input', () => {
    // Act
    const result = report(new InvalidInputError('body.json', ['name: required']));

    // Assess
    expect(result).toEqual({ code: 2, stderr: 'buildwarden: body.json is invalid:\n  name: required\n' });
  });

  it('exits 1 for something that does not exist', () => {
    // Act
    const result = report(new ProjectNotFoundError('nobody/here'));

    // Assess
    expect(result).toEqual({ code: 1, stderr: 'buildwarden: no managed project named nobody/here\n' });
  });

  it('exits 1 naming the differing fields of a conflicting spec', () => {
    // Act
    const result = report(
      new ProjectConflictError('project a exists with a different spec', ['image', 'source']),
    );

    // Assess
    expect(result).toEqual({
      code: 1,
      stderr: 'buildwarden: project a exists with a different spec; differing fields: image, source\n',
    });
  });

  it('exits 1 naming the flag that forces a refused delete', () => {
    // Act
    const result = report(new RepositoryNotEmptyError('team/app', 2));

    // Assess
    expect(result).toEqual({
      code: 1,
      stderr:
        'buildwarden: repository team/app holds 2 image(s): run again with --force to delete them too\n',
    });
  });

  it('exits 1 for a forbidden request', () => {
    // Act
    const result = report(new ForbiddenError('not yours'));

    // Assess
    expect(result).toEqual({ code: 1, stderr: 'buildwarden: not yours\n' });
  });

  it('exits 4 with the cause of a failed provisioning step', () => {
    // Act
    const result = report(new ProvisioningFailedError('createRole', 'ServiceFailureException: down', []));

    // Assess
    expect(result).toEqual({
      code: 4,
      stderr:
        'buildwarden: provisioning failed at step createRole; everything this request created was removed\n' +
        '  cause: ServiceFailureException: down\n',
    });
  });

  it('exits 4 listing what a failed repair restored before it failed', () => {
    // Act
    const result = report(new RepairFailedError('role: recreateRole', 'X: y', ['repository']));

    // Assess
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/\n {2}cause: X: y\n {2}repaired before that: repository\n$/);
  });

  it('exits 4 with the name and message of an unexpected error', () => {
    // Prepare
    const error = new Error('Could not load credentials from any providers');
    error.name = 'CredentialsProviderError';

    // Act
    const result = report(error);

    // Assess
    expect(result).toEqual({
      code: 4,
      stderr: 'buildwarden: CredentialsProviderError: Could not load credentials from any providers\n',
    });
  });

  it('maps each kind to its exit status once, 4 being EXIT.failure', () => {
    // Assess
    expect(EXIT.failure).toBe(4);
    expect(EXIT_FOR_KIND).toEqual({
      'invalid-input': 2,
      'not-found': 1,
      conflict: 1,
      forbidden: 1,
      upstream: 4,
      internal: 4,
    });
  });

  it('exits 1 for a plain conflict and a plain not-found', () => {
    // Assess
    expect(report(new ConflictError('taken')).code).toBe(1);
    expect(report(new NotFoundError('gone')).code).toBe(1);
  });
});

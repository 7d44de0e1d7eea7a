/**
 * How a contract case states the error a port raises, in one place. A port raises a domain error of a kind
 * (not found, conflict …) carrying the AWS exception as its cause (lib/aws/errors.ts translates, for the
 * adapters and the sandbox alike); an AWS error no code gives a meaning passes through untranslated; a read
 * that fails is an UnreadableError naming the call.
 */
import { DomainError } from '../../lib/errors';
import { UnreadableError } from '../../lib/ports';

export type FailureKind = 'not-found' | 'conflict' | 'invalid-input' | 'forbidden' | 'upstream';

export interface ExpectedFailure {
  kind: FailureKind;
  /** The AWS exception name the failure carries. */
  aws: string;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail, but it succeeded');
    },
    (error: unknown) => error,
  );
}

/**
 * The call fails with the error AWS raises for it: as a domain error of the kind, caused by that AWS error, or,
 * where no code gives the AWS error a meaning, as that AWS error itself (the kind is then the caller's reading).
 */
export async function expectFailure(promise: Promise<unknown>, expected: ExpectedFailure): Promise<void> {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(Error);
  if (!(error instanceof DomainError)) {
    expect((error as Error).name).toBe(expected.aws);
    return;
  }
  const cause = error.cause;
  expect({ kind: error.kind, aws: cause instanceof Error ? cause.name : undefined }).toEqual({
    kind: expected.kind,
    aws: expected.aws,
  });
}

/** The read fails as UnreadableError naming `call`, its reason starting with the AWS exception name. */
export async function expectUnreadable(
  promise: Promise<unknown>,
  call: string,
  expected: ExpectedFailure,
): Promise<void> {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(UnreadableError);
  expect({ call: (error as UnreadableError).call, reason: (error as UnreadableError).reason }).toEqual({
    call,
    reason: expect.stringMatching(new RegExp(`^${expected.aws}: `)),
  });
}

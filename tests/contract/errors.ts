/**
 * How a contract case states the error a port raises, in one place. The ports raise errors named as AWS names
 * them (`RepositoryNotFoundException`), and a read that fails as UnreadableError naming the call; each
 * expectation also says which kind of failure it is (not found, conflict …), so that when the ports raise
 * domain errors by kind only this module changes.
 */
import { UnreadableError } from '../../lib/ports';

export type FailureKind = 'not-found' | 'conflict' | 'invalid-input' | 'forbidden';

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

/** The call fails with the error AWS raises for it. */
export async function expectFailure(promise: Promise<unknown>, expected: ExpectedFailure): Promise<void> {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(Error);
  expect({ kind: expected.kind, name: (error as Error).name }).toEqual({
    kind: expected.kind,
    name: expected.aws,
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

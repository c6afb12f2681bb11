/** The CofreError a call throws or a promise rejects with; anything else fails the test. */
import { CofreError } from '../../src-main/errors.js';

export function thrown(fn: () => unknown): CofreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CofreError) return err;
    throw new Error(`expected a CofreError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a throw');
}

export async function rejection(promise: Promise<unknown>): Promise<CofreError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CofreError) return err;
    throw new Error(`expected a CofreError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection');
}

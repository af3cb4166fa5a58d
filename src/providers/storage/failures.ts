import { StategateError, unavailable } from '../../core/errors.js';

/*
 * How the storage providers turn a driver's failure into the error a caller sees. A StategateError is
 * already an answer (a refusal, or UNAVAILABLE from a timeout) and passes through unchanged; anything else
 * is the database failing, which is UNAVAILABLE: the caller may retry, and nothing was acknowledged.
 */

/**
 * Runs one read of a store. A closed store refuses before touching the driver; a failed read is UNAVAILABLE
 * with `message`, or by default the driver's message is kept out of it.
 */
export async function guardedRead<T>(
  closed: boolean,
  run: () => Promise<T>,
  message: (err: Error) => string = () => 'storage read failed',
): Promise<T> {
  if (closed) throw unavailable('storage is closed');
  try {
    return await run();
  } catch (err) {
    if (err instanceof StategateError) throw err;
    throw unavailable(message(err as Error), err);
  }
}

/** A whole write batch that failed: UNAVAILABLE (never acknowledged), with the driver's message. */
export function batchFailure(provider: string): (err: unknown) => StategateError {
  return (err) => {
    if (err instanceof StategateError) return err;
    const message = (err as { message?: unknown } | null)?.message;
    return unavailable(`${provider} write failed: ${typeof message === 'string' ? message : String(err)}`, err);
  };
}

/** A command line the CLI cannot run: the usage is printed and the exit code is 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server refused or failed a call: its code (e.g. NOT_FOUND) and message are printed; exit code 1. */
export class CallError extends Error {
  override name = 'CallError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

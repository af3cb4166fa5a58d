/**
 * A refusal to start that the operator fixes by changing the configuration (an unusable path, …): its
 * message names the variable and the value, so `main` prints it alone — no stack trace — and exits 2.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export function isStartupError(value: unknown): value is StartupError {
  return value instanceof StartupError;
}

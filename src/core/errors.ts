/**
 * The one error type of stategate. Its codes are gRPC's, a closed set; each transport maps them at its own
 * edge (gRPC status, HTTP status, GraphQL `extensions.code`). Anything that is not a StategateError is a
 * server fault: `StategateError.from` masks it as INTERNAL so no internals reach a client.
 */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type CodeName = keyof typeof Code;
export type CodeNumber = (typeof Code)[CodeName];

const namesByNumber = new Map<number, CodeName>(Object.entries(Code).map(([name, n]) => [n, name as CodeName]));

/** The gRPC name of a code number, e.g. 3 → "INVALID_ARGUMENT". */
export function codeName(code: CodeNumber): CodeName {
  return namesByNumber.get(code) ?? 'UNKNOWN';
}

export class StategateError extends Error {
  override readonly name = 'StategateError';

  /**
   * For RESOURCE_EXHAUSTED / UNAVAILABLE that will pass: how long to wait before retrying, in ms. Transports
   * send it as `Retry-After` (HTTP, seconds rounded up) or `retry-after` trailer metadata (gRPC).
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: CodeName,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** The gRPC status number of this error. */
  get status(): CodeNumber {
    return Code[this.code];
  }

  /**
   * Turns anything thrown into a StategateError. A StategateError passes through; anything else is a
   * server fault, masked as INTERNAL with the original kept as `cause` for the log.
   */
  static from(err: unknown): StategateError {
    if (err instanceof StategateError) return err;
    return new StategateError('INTERNAL', 'internal error', { cause: err });
  }
}

/**
 * True for a StategateError, also one made by a second copy of this module (a test runner's module registry
 * beside dist/), which `instanceof` would miss.
 */
export function isStategateError(value: unknown): value is StategateError {
  if (value instanceof StategateError) return true;
  return (
    value instanceof Error &&
    value.name === 'StategateError' &&
    'code' in value &&
    typeof value.code === 'string' &&
    Object.hasOwn(Code, value.code)
  );
}

/** Shorthands that read well at the call site: `throw invalid('limit must be > 0')`. */
export const invalid = (message: string) => new StategateError('INVALID_ARGUMENT', message);
export const notFound = (message: string) => new StategateError('NOT_FOUND', message);
export const aborted = (message: string) => new StategateError('ABORTED', message);
export const alreadyExists = (message: string) => new StategateError('ALREADY_EXISTS', message);
export const exhausted = (message: string) => new StategateError('RESOURCE_EXHAUSTED', message);
export const unavailable = (message: string, cause?: unknown) => new StategateError('UNAVAILABLE', message, { cause });
export const failedPrecondition = (message: string) => new StategateError('FAILED_PRECONDITION', message);

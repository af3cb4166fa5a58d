/** Where a command writes: JSON for scripts, or lines a person reads on a terminal. */
export interface Output {
  json: boolean;
  /** One result: as JSON, or as `readable` renders it. */
  result(value: unknown, readable: () => string): void;
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    result(value, readable) {
      write(`${json ? JSON.stringify(value) : readable()}\n`);
    },
  };
}

/** Nanoseconds since the epoch (Int64 as a decimal string) as an ISO time, to the millisecond. */
export function isoFromNanos(nanos: string | number): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString();
}

/** JSON on one line for a table row, cut to `max` characters. */
export function inline(value: unknown, max = 100): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** JSON indented, for a person. */
export const pretty = (value: unknown) => JSON.stringify(value, null, 2);

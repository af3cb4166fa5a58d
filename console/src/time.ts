/** Server times are nanoseconds since the epoch, sent as decimal strings (Int64): exact, never a float. */

/** A readable UTC time with milliseconds, e.g. 2026-12-03 14:26:02.123 UTC. */
export function formatNs(ns: string): string {
  const ms = Number(BigInt(ns) / 1_000_000n);
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** The value of an `<input type="datetime-local" step="0.001">` (local time) as ns, or null when empty or bad. */
export function localInputToNs(value: string): string | null {
  if (value === '') return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? (BigInt(ms) * 1_000_000n).toString() : null;
}

/** ns as the value of a datetime-local input (local time, ms precision). */
export function nsToLocalInput(ns: string): string {
  const date = new Date(Number(BigInt(ns) / 1_000_000n));
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

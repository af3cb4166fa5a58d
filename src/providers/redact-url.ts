/**
 * A URL without its password, for messages and logs (postgres, mysql, redis addresses). Not for mongodb://
 * addresses: a replica set's host list is not a WHATWG URL (see storage/mongo/connection.ts).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

/**
 * `stategate serve`: the server itself, as `npm start` runs it (dist/main.js), in this process; configured by
 * the STATEGATE_* environment variables (and .env), not by options.
 */
export async function serve(): Promise<void> {
  await import('../../main.js');
}

/**
 * Reads a fetch Request's body, at most `limit` bytes: resolves null (and cancels the rest of the stream)
 * as soon as the body grows past the limit, so an oversized body never sits in memory whole.
 */
export async function readBodyUpTo(request: Request, limit: number): Promise<Uint8Array | null> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

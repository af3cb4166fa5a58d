import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { isOverflow } from './connection-gate.js';

export interface Http2GuardLimits {
  /** STATEGATE_HTTP2_MAX_RESETS_PER_S: streams a client may cancel per second before the session is closed. */
  maxResetsPerSecond: number;
  /** STATEGATE_IDLE_TIMEOUT_MS: a session without open streams this long is closed (GOAWAY NO_ERROR). */
  idleTimeoutMs: number;
}

/** How long a session refused over the connection limits may take to read its GOAWAY before it is cut. */
const GOAWAY_GRACE_MS = 1000;

/**
 * Guards one HTTP/2 session:
 * - over the connection limits (see ConnectionGate): GOAWAY ENHANCE_YOUR_CALM right away, no stream served;
 * - rapid reset (CVE-2023-44487): a session with more than `maxResetsPerSecond` streams reset within a
 *   second gets GOAWAY ENHANCE_YOUR_CALM and is destroyed. Each cancelled stream still cost a dispatch
 *   (the client's concurrency is not bounded by streams it cancels at once), and nghttp2's own limit (Node 20 has no streamResetBurst/streamResetRate options; nghttp2's
 *   default is a burst of 1000, then 33 per second) lets 1000 through first;
 * - idle: closed gracefully after `idleTimeoutMs` without an open stream. Activity-based timeouts would
 *   also cut a quiet long-lived stream (a subscription with no events), so only stream-less time counts.
 */
export function guardHttp2Session(session: ServerHttp2Session, limits: Http2GuardLimits): void {
  if (isOverflow(session.socket)) {
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    setTimeout(() => session.destroy(), GOAWAY_GRACE_MS).unref();
    return;
  }
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const startIdle = () => {
    idle = setTimeout(() => session.close(), limits.idleTimeoutMs);
    idle.unref();
  };
  let windowStart = 0;
  let resets = 0;
  const onReset = () => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      resets = 0;
    }
    resets += 1;
    if (resets > limits.maxResetsPerSecond && !session.destroyed) {
      // The final GOAWAY carries ENHANCE_YOUR_CALM; the session's error goes to the server's 'sessionError'.
      session.destroy(new Error('HTTP/2 rapid reset: too many cancelled streams'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  };
  session.on('stream', (stream: ServerHttp2Stream) => {
    open += 1;
    clearTimeout(idle);
    stream.once('close', () => {
      // A stream that ended in RST_STREAM with an error code: a client's CANCEL (answered or not: a quick
      // answer is still a dispatch per reset), or a failure. 'aborted' would miss streams already answered.
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) onReset();
      open -= 1;
      if (open === 0 && !session.closed) startIdle();
    });
  });
  session.once('close', () => clearTimeout(idle));
  startIdle();
}

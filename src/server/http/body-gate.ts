import type { IncomingMessage, ServerResponse } from 'node:http';

/** Methods whose requests carry a body the transports read before a call reaches core. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Bounds the requests whose bodies are being received and parsed at once (STATEGATE_MAX_IN_FLIGHT, the
 * same bound core applies to running calls). Under a burst this refuses before any body is read, as
 * cheaply as an answer gets; core's own shedding only runs once a body has been read and parsed. A
 * request counts from its arrival until its body has been read (then core's admission takes over), or
 * until it is answered or gone. Requests without a body (GET streams, probes) never count, and a stream
 * that has read its request never holds a place while it runs.
 */
export function createBodyGate(maxInFlight: number): {
  enter(req: IncomingMessage, res: ServerResponse): boolean;
  inFlight(): number;
} {
  let inFlight = 0;
  return {
    enter(req, res) {
      if (!BODY_METHODS.has(req.method ?? '')) return true;
      if (inFlight >= maxInFlight) return false;
      inFlight += 1;
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        inFlight -= 1;
        req.off('end', leave);
        res.off('finish', leave);
        res.off('close', leave);
      };
      req.once('end', leave);
      res.once('finish', leave);
      res.once('close', leave);
      return true;
    },
    inFlight: () => inFlight,
  };
}

import type { ServerResponse } from 'node:http';

/**
 * Bounds the requests waiting for their answer to start (STATEGATE_MAX_IN_FLIGHT, the same bound core
 * applies to running calls): over it a request is refused at once (503 + Retry-After) before a byte of
 * its body is read or a transport parses anything, which is as cheap as an answer gets. Core's own
 * shedding only runs once a transport has read and parsed a request, and under a burst of thousands
 * that parsing alone kept the event loop (and `/healthz`) waiting.
 *
 * A request counts from its arrival until its answer's head is written (or it finishes, or goes away),
 * so a stream (SSE, NDJSON, gRPC), whose head is written when it opens, never holds a place while it runs.
 */
export interface InFlightGate {
  /** Counts the request of `res` until its answer starts; false (nothing counted) when the bound is reached. */
  enter(res: ServerResponse): boolean;
  /**
   * Resolves once no request waits for its answer to start: at shutdown, calls a transport is still
   * reading or parsing reach core before its providers close.
   */
  drained(): Promise<void>;
}

export function createInFlightGate(maxInFlight: number): InFlightGate {
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  return {
    drained() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    enter(res) {
      if (inFlight >= maxInFlight) return false;
      inFlight += 1;
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        inFlight -= 1;
        if (inFlight === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const wake of waiters) wake();
        }
        res.off('finish', leave);
        res.off('close', leave);
      };
      res.once('finish', leave);
      res.once('close', leave);
      // Node has no event for "head written"; every transport here writes it with writeHead (Yoga, Connect,
      // the port's own answers), on HTTP/1.1 and HTTP/2 alike. An answer sent without it ends in 'finish'.
      const writeHead = res.writeHead;
      res.writeHead = function writeHeadAndLeave(this: ServerResponse, ...args: unknown[]) {
        leave();
        return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as typeof res.writeHead;
      return true;
    },
  };
}

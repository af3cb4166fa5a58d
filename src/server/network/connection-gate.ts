import type { Socket } from 'node:net';
import { clientKey } from './client-key.js';

/**
 * What becomes of a new connection:
 * - `admitted`: within STATEGATE_MAX_CONNECTIONS and STATEGATE_MAX_CONNECTIONS_PER_IP;
 * - `overflow`: over a limit, but held briefly in a small reserve so the client gets an answer (HTTP/1.1:
 *   503 + Retry-After, `/healthz` and `/readyz` still served; HTTP/2: GOAWAY) instead of a reset;
 * - `refused`: over a limit with the reserve full too: closed at once.
 */
export type Admission = 'admitted' | 'overflow' | 'refused';

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
}

/** Connections over the limits held at once to answer them; beyond, they are closed unanswered. */
export const OVERFLOW_RESERVE = 64;
/** Of those, per client (IP or IPv6 /64), so that one flooding client cannot take a probe's place. */
export const OVERFLOW_RESERVE_PER_IP = 4;

const ADMISSION = Symbol('stategate.admission');
type Tagged = { [ADMISSION]?: Admission };

/** Counts the port's open connections, in total and per client, and decides each new one's admission. */
export interface ConnectionGate {
  /** Counts `socket` until it closes (when not refused) and says what to do with it. */
  admit(socket: Socket): Admission;
}

export function createConnectionGate(limits: ConnectionLimits): ConnectionGate {
  const admitted = new Counter();
  const overflow = new Counter();
  return {
    admit(socket) {
      const key = clientKey(socket.remoteAddress);
      let admission: Admission;
      if (admitted.total < limits.maxConnections && admitted.of(key) < limits.maxConnectionsPerIp) {
        admission = 'admitted';
        admitted.add(key);
        socket.once('close', () => admitted.remove(key));
      } else if (overflow.total < OVERFLOW_RESERVE && overflow.of(key) < OVERFLOW_RESERVE_PER_IP) {
        admission = 'overflow';
        overflow.add(key);
        socket.once('close', () => overflow.remove(key));
      } else {
        admission = 'refused';
      }
      return admission;
    },
  };
}

/**
 * Remembers a connection's admission on the socket the HTTP servers see (for TLS, the TLS socket). A
 * symbol property, because HTTP/2 hands out a proxy of the socket that forwards property reads.
 */
export function tagAdmission(socket: Socket, admission: Admission): void {
  (socket as Tagged)[ADMISSION] = admission;
}

/** True for a connection admitted into the overflow reserve: it gets one answer, then it is closed. */
export function isOverflow(socket: unknown): boolean {
  return (socket as Tagged | null)?.[ADMISSION] === 'overflow';
}

class Counter {
  total = 0;
  private readonly byKey = new Map<string, number>();
  of(key: string): number {
    return this.byKey.get(key) ?? 0;
  }
  add(key: string): void {
    this.total += 1;
    this.byKey.set(key, this.of(key) + 1);
  }
  remove(key: string): void {
    this.total -= 1;
    const left = this.of(key) - 1;
    if (left > 0) this.byKey.set(key, left);
    else this.byKey.delete(key);
  }
}

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { rest } from '../support/rest.js';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One delivery as the receiver saw it, after verifying its signature with `standardwebhooks`. */
export interface Delivery {
  id: string;
  position: number;
  domain: string;
  type: string;
  key: string;
  version: number;
  values: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** Date.now() when it arrived. */
  at: number;
}

/** What the receiver answers a request; `hang` never answers (until the receiver stops). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A webhook receiver on loopback that verifies every request with the `standardwebhooks` package (a bad
 * signature is answered 401 and counted), records what it acknowledged, and answers as `answer` says.
 */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  /** Every verified request, acknowledged or not (attempts). */
  readonly attempts: Delivery[] = [];
  badSignatures = 0;
  answer: (delivery: Delivery, attempt: number) => Answer = () => ({ status: 204 });
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  constructor(readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections: the target is down (connection refused). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  ids(): Set<string> {
    return new Set(this.deliveries.map((d) => d.id));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: {
        id: string;
        position: string;
        entity: { domain: string; type: string; key: string; version: string; values: Record<string, unknown> };
      };
      try {
        event = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as typeof event;
      } catch {
        this.badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      const delivery: Delivery = {
        id: event.id,
        position: Number(event.position),
        domain: event.entity.domain,
        type: event.entity.type,
        key: event.entity.key,
        version: Number(event.entity.version),
        values: event.entity.values,
        headers: req.headers,
        at: Date.now(),
      };
      this.attempts.push(delivery);
      const attempt = this.attempts.filter((a) => a.id === delivery.id).length;
      const answer = this.answer(delivery, attempt);
      if (answer === 'hang') {
        this.hanging.add(res);
        return;
      }
      const reply = () => {
        if (answer.status >= 200 && answer.status < 300) this.deliveries.push(delivery);
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  }
}

export async function startReceiver(secret = newSecret()): Promise<Receiver> {
  const receiver = new Receiver(secret);
  await receiver.start();
  return receiver;
}

/** Polls until `check` holds; fails after `timeoutMs` saying what it waited for. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function createTrigger(baseUrl: string, trigger: Record<string, unknown>) {
  const res = await rest(baseUrl, '/api/triggers', { method: 'POST', body: trigger });
  if (res.status !== 200) throw new Error(`createTrigger answered ${res.status}: ${res.text}`);
  return res.body as Record<string, unknown>;
}

export async function getTrigger(baseUrl: string, name: string) {
  const res = await rest(baseUrl, `/api/triggers/${encodeURIComponent(name)}`);
  if (res.status !== 200) throw new Error(`getTrigger answered ${res.status}: ${res.text}`);
  return res.body as {
    name: string;
    status: {
      position?: string;
      lag?: string;
      attempts?: number;
      lastError?: string;
      deadLetterCount?: string;
      deadLetters?: { eventId: string; attempts: number; lastError: string; replay?: boolean }[];
    };
  };
}

/** Sets an entity over REST; resolves once the write is acknowledged. */
export async function setEntity(baseUrl: string, domain: string, type: string, key: string, values: object) {
  const res = await rest(baseUrl, `/api/entity/ref/${domain}/${type}/${key}`, { method: 'POST', body: { values } });
  if (res.status !== 200) throw new Error(`set ${domain}/${type}/${key} answered ${res.status}: ${res.text}`);
}

/**
 * Each entity's versions in the order they first arrived: at least once means later copies may repeat, but
 * the first arrival of each version must come in version order.
 */
export function firstArrivalVersions(deliveries: readonly Delivery[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byEntity = new Map<string, number[]>();
  for (const d of deliveries) {
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    const key = `${d.domain}/${d.type}/${d.key}`;
    byEntity.set(key, [...(byEntity.get(key) ?? []), d.version]);
  }
  return byEntity;
}

/** 1..n for each entity written n times. */
export function consecutive(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

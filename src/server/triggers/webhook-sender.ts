import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { invalid } from '../../core/errors.js';
import type { DeliveryOutcome, WebhookSender } from '../../core/triggers/ports.js';
import { hostOf, refusedAddress, resolvePublic } from './address-guard.js';
import { renderEvent } from './render-event.js';
import { parseRetryAfter } from './retry-after.js';

export interface WebhookSenderOptions {
  /** STATEGATE_TRIGGERS_ALLOW_PRIVATE: loopback, private and link-local targets allowed. */
  allowPrivate: boolean;
  /** How much of a response body is read (for the error message) before the connection is dropped. */
  maxResponseBytes?: number;
}

/**
 * Delivers events over HTTP(S), signed per Standard Webhooks (the `standardwebhooks` package): headers
 * `webhook-id` (the event id, so a receiver can drop duplicates), `webhook-timestamp` (seconds) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256>`). Every connection's resolved address is checked
 * (not just the hostname, so DNS rebinding gains nothing), redirects are not followed (a 3xx is a failure),
 * at most `maxResponseBytes` of an answer is read, and neither the secret nor header values are logged.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender & { close(): void } {
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
  };
  const signers = new Map<string, Webhook>();
  const signer = (secret: string) => {
    let found = signers.get(secret);
    if (!found) {
      if (signers.size > 1000) signers.clear();
      found = new Webhook(secret);
      signers.set(secret, found);
    }
    return found;
  };

  /** Resolves like dns.lookup, refusing private answers: runs at every new connection. */
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      const list = addresses as unknown as { address: string; family: number }[];
      for (const { address } of list) {
        const reason = refusedAddress(address);
        if (reason !== null) {
          callback(new Error(`refused: ${hostname} resolves to ${reason}`), '', 4);
          return;
        }
      }
      if (lookupOptions.all) callback(null, list as never);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };

  return {
    async checkTarget(url) {
      if (options.allowPrivate) return;
      try {
        await resolvePublic(hostOf(new URL(url)));
      } catch (err) {
        const message = (err as Error).message;
        // A name that does not resolve yet is not refused here (sending checks every connection again).
        if (message.startsWith('refused:')) throw invalid(`trigger url ${message}`);
      }
    },

    send(spec, event, signal) {
      return new Promise<DeliveryOutcome>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const url = new URL(spec.url);
        const host = hostOf(url);
        if (!options.allowPrivate) {
          const reason = refusedAddress(host);
          // An IP literal never goes through `lookup`, so it is checked here.
          if (reason !== null && !reason.endsWith('not an IP address')) {
            resolve({ ok: false, error: `refused: ${reason}` });
            return;
          }
        }
        const body = renderEvent(event);
        const now = new Date();
        const headers = {
          ...spec.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'stategate-triggers',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer(spec.secret).sign(event.id, now, body),
        };
        const client = url.protocol === 'https:' ? https : http;
        let settled = false;
        const finish = (outcome: DeliveryOutcome | { abort: unknown }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if ('abort' in outcome) reject(outcome.abort);
          else resolve(outcome);
        };
        const request = client.request(url, {
          method: 'POST',
          headers,
          agent: agents[url.protocol as 'http:' | 'https:'],
          ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        });
        const timer = setTimeout(() => {
          finish({ ok: false, error: `timeout after ${spec.timeoutMs} ms` });
          request.destroy();
        }, spec.timeoutMs);
        const onAbort = () => {
          finish({ abort: signal.reason });
          request.destroy();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        request.on('error', (err) => finish({ ok: false, error: describe(err) }));
        request.on('response', (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            finish({ ok: true, status });
            response.resume(); // drained, so the connection is kept for the next delivery
            return;
          }
          const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
          let read = 0;
          const chunks: Buffer[] = [];
          const done = () => {
            const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
            finish({
              ok: false,
              error: `HTTP ${status}${text ? `: ${text}` : ''}`,
              ...(retryAfterMs !== undefined && { retryAfterMs }),
            });
          };
          response.on('data', (chunk: Buffer) => {
            if (read < maxResponseBytes) chunks.push(chunk.subarray(0, maxResponseBytes - read));
            read += chunk.length;
            // A large answer is not read to its end: the connection is dropped instead.
            if (read >= maxResponseBytes) {
              response.destroy();
              done();
            }
          });
          response.on('end', done);
          response.on('error', done);
          response.on('close', done);
        });
        request.end(body);
      });
    },

    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** A network failure for the trigger's status: the cause, never the request (it holds the headers). */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (err.message.startsWith('refused:')) return err.message;
  return code ? `${code}: ${err.message}` : err.message;
}

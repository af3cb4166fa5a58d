/**
 * HTTP/2 limits with a real node:http2 client: STATEGATE_HTTP2_MAX_STREAMS as SETTINGS_MAX_CONCURRENT_STREAMS,
 * the rapid-reset guard (CVE-2023-44487, STATEGATE_HTTP2_MAX_RESETS_PER_S) and sessions closed after
 * STATEGATE_IDLE_TIMEOUT_MS without a stream (but never under an open stream).
 */
import { type ClientHttp2Session, constants, connect as h2connect } from 'node:http2';
import { expectHealthy, watchHealth } from '../support/abuse/health.js';
import { http2 } from '../support/abuse/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { sleep } from './helpers.js';

function open(url: string): Promise<ClientHttp2Session> {
  const session = h2connect(url);
  session.on('error', () => {});
  return new Promise((resolve, reject) => {
    session.once('remoteSettings', () => resolve(session));
    session.once('close', () => reject(new Error('session closed before its settings')));
  });
}

/** How the session ended: its GOAWAY code (if one came) once it closed, or 'open' after `timeoutMs`. */
function ending(session: ClientHttp2Session, timeoutMs: number): Promise<{ goaway?: number } | 'open'> {
  return new Promise((resolve) => {
    let goaway: number | undefined;
    session.on('goaway', (code) => {
      goaway = code;
    });
    const timer = setTimeout(() => resolve('open'), timeoutMs);
    session.once('close', () => {
      clearTimeout(timer);
      resolve(goaway === undefined ? {} : { goaway });
    });
  });
}

describe('HTTP/2 streams and rapid reset', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_HTTP2_MAX_STREAMS: '20', STATEGATE_HTTP2_MAX_RESETS_PER_S: '100' });
  });
  afterAll(() => server.close());

  it('advertises STATEGATE_HTTP2_MAX_STREAMS as SETTINGS_MAX_CONCURRENT_STREAMS', async () => {
    const session = await open(server.app.url);
    try {
      expect(session.remoteSettings.maxConcurrentStreams).toBe(20);
    } finally {
      session.close();
    }
  });

  it('a rapid-reset flood (1,000 streams opened and cancelled) gets GOAWAY ENHANCE_YOUR_CALM; health answers', async () => {
    const health = watchHealth(server.app.url, 50);
    const session = await open(server.app.url);
    const ended = ending(session, 10_000);
    let opened = 0;
    for (let i = 0; i < 1000 && !session.closed && !session.destroyed; i += 1) {
      try {
        const stream = session.request({ ':path': '/api/entity/search?domain=h2&type=t&limit=1' });
        stream.on('error', () => {});
        stream.close(constants.NGHTTP2_CANCEL);
        opened += 1;
      } catch {
        break; // the session went away under the client
      }
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await ended).toEqual({ goaway: constants.NGHTTP2_ENHANCE_YOUR_CALM });
    // Cut well before the flood was through (nghttp2's own limit would have let 1,000 by).
    expect(opened).toBeLessThan(1000);
    expectHealthy(await health.stop(), 'during an HTTP/2 rapid-reset flood');
    expect((await http2(server.app.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('a client cancelling fewer streams than the limit keeps its session', async () => {
    const session = await open(server.app.url);
    try {
      for (let i = 0; i < 40; i += 1) {
        const stream = session.request({ ':path': '/api/entity/search?domain=h2&type=t&limit=1' });
        stream.on('error', () => {});
        stream.close(constants.NGHTTP2_CANCEL);
      }
      await sleep(200);
      const next = await http2(server.app.url, { method: 'GET', path: '/healthz' }, session);
      expect(next.status).toBe(200);
      expect(session.closed).toBe(false);
    } finally {
      session.close();
    }
  });
});

describe('HTTP/2 idle sessions (STATEGATE_IDLE_TIMEOUT_MS)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ STATEGATE_IDLE_TIMEOUT_MS: '400' });
  });
  afterAll(() => server.close());

  it('closes a session without streams with GOAWAY NO_ERROR', async () => {
    const session = await open(server.app.url);
    const served = await http2(server.app.url, { method: 'GET', path: '/healthz' }, session);
    expect(served.status).toBe(200);
    expect(await ending(session, 5000)).toEqual({ goaway: constants.NGHTTP2_NO_ERROR });
  });

  it('keeps a session whose stream stays open past the idle timeout, quiet as it is', async () => {
    const session = await open(server.app.url);
    const ended = ending(session, 1500);
    try {
      const stream = session.request({ ':path': '/api/events/stream?domain=h2-idle', accept: 'application/x-ndjson' });
      stream.on('error', () => {});
      const status = await new Promise<number>((resolve) =>
        stream.once('response', (headers) => resolve(Number(headers[':status']))),
      );
      expect(status).toBe(200);
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      expect(await ended).toBe('open');
      // Still a live stream: an event set now arrives on it.
      const set = await http2(server.app.url, {
        method: 'POST',
        path: '/api/entity/ref/h2-idle/t/k',
        headers: { 'content-type': 'application/json' },
        body: '{"values":{"a":1}}',
      });
      expect(set.status).toBe(200);
      for (let i = 0; i < 100 && !text.includes('h2-idle'); i += 1) await sleep(20);
      expect(text).toContain('"domain":"h2-idle"');
      stream.close();
    } finally {
      session.close();
    }
  });
});

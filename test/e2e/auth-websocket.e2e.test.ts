/**
 * graphql-ws at the socket level, with authentication on: credentials are checked at `connection_init`
 * (4401 before any operation), frames are capped at STATEGATE_MAX_BODY_BYTES (1009), and one principal —
 * the token's `sub`, else the client's IP — holds at most STATEGATE_WEBSOCKETS_PER_PRINCIPAL sockets (4429).
 */
import WebSocket from 'ws';
import { type JwksServer, startJwksServer } from '../support/jwks.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { wsConnect } from './auth-helpers.js';
import { openStore, Q, sleep, uid, until } from './helpers.js';

const MAX_BODY = 64 * 1024;
const PER_PRINCIPAL = 2;

let jwks: JwksServer;
let server: TestServer;
beforeAll(async () => {
  jwks = await startJwksServer();
  server = await startTestServer({
    STATEGATE_JWKS_URI: jwks.url,
    STATEGATE_MAX_BODY_BYTES: String(MAX_BODY),
    STATEGATE_WEBSOCKETS_PER_PRINCIPAL: String(PER_PRINCIPAL),
  });
});
afterAll(async () => {
  await server?.close();
  await jwks?.close();
});

/** A raw graphql-transport-ws socket: send frames by hand, see every message and how it closed. */
async function rawSocket() {
  const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
  const messages: Array<{ type: string; id?: string; payload?: unknown }> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {}); // the close says what happened
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (message: unknown) => ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  const init = async (authorization?: string) => {
    send({ type: 'connection_init', payload: authorization === undefined ? {} : { authorization } });
    await until(() => messages.some((m) => m.type === 'connection_ack') || ws.readyState !== ws.OPEN, 'the ack');
  };
  return { ws, messages, closed, send, init };
}

const bearer = async (sub?: string | null) => `Bearer ${await jwks.sign(sub === undefined ? {} : { sub })}`;

describe('credentials at connection_init', () => {
  it('no token: 4401 and no operation ever runs, even one sent before the answer', async () => {
    const store = openStore(server);
    const before = store.state();
    const socket = await rawSocket();
    socket.send({ type: 'connection_init', payload: {} });
    socket.send({
      type: 'subscribe',
      id: '1',
      payload: { query: Q.set, variables: { input: { domain: 'ws', type: 't', key: uid(), values: { a: 1 } } } },
    });
    expect(await socket.closed).toEqual({ code: 4401, reason: expect.stringMatching(/^Unauthorized/) });
    expect(socket.messages).toEqual([]);
    expect(store.state()).toEqual(before);
    store.close();
  });

  it('the token also works from the upgrade request’s Authorization header', async () => {
    const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', {
      headers: { authorization: await bearer('from-header') },
    });
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => messages.length > 0, 'the answer');
    expect(JSON.parse(messages[0] as string)).toEqual({ type: 'connection_ack' });
    ws.close();
  });

  it('a refused token in the payload is not rescued by a valid one in the header', async () => {
    const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { authorization: await bearer() } });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not.a.token' } }));
    expect(await closed).toBe(4401);
  });
});

describe('frame size', () => {
  it(`a frame over STATEGATE_MAX_BODY_BYTES (${MAX_BODY}) closes the socket with 1009; one under it is served`, async () => {
    const socket = await rawSocket();
    await socket.init(await bearer());
    const query = `query { getEntity(input: {domain: "ws", type: "t", key: "k"}) { key } } #`;
    socket.send({ type: 'subscribe', id: 'small', payload: { query: query + 'x'.repeat(MAX_BODY - 200) } });
    await until(() => socket.messages.some((m) => m.id === 'small' && m.type === 'complete'), 'the small answer');
    socket.send({ type: 'subscribe', id: 'big', payload: { query: query + 'x'.repeat(MAX_BODY) } });
    expect(await socket.closed).toEqual({ code: 1009, reason: expect.any(String) });
    expect(socket.messages.some((m) => m.id === 'big')).toBe(false);
  });

  it('before connection_init too: an oversized first frame is never parsed', async () => {
    const socket = await rawSocket();
    socket.send(`{"type":"connection_init","payload":{"pad":"${'x'.repeat(MAX_BODY)}"}}`);
    expect((await socket.closed).code).toBe(1009);
  });
});

describe(`sockets per principal (STATEGATE_WEBSOCKETS_PER_PRINCIPAL=${PER_PRINCIPAL})`, () => {
  it('the sub’s third socket is closed 4429 right after connection_init; another sub is not affected; a freed slot is reused', async () => {
    const alice = [await rawSocket(), await rawSocket()];
    for (const socket of alice) await socket.init(await bearer('alice'));
    expect(alice.map((s) => s.messages)).toEqual([[{ type: 'connection_ack' }], [{ type: 'connection_ack' }]]);

    const third = await rawSocket();
    await third.init(await bearer('alice'));
    expect(await third.closed).toEqual({
      code: 4429,
      reason: `too many connections (at most ${PER_PRINCIPAL} per client)`,
    });
    expect(third.messages).toEqual([]);

    expect(await wsConnect(server.wsUrl, { authorization: await bearer('bob') })).toMatchObject({ accepted: true });

    alice[0]?.ws.close();
    await alice[0]?.closed;
    // The server counts the close when it sees it; retry until the slot is free.
    let again = await wsConnect(server.wsUrl, { authorization: await bearer('alice') });
    for (let i = 0; i < 50 && !again.accepted; i++) {
      await sleep(20);
      again = await wsConnect(server.wsUrl, { authorization: await bearer('alice') });
    }
    expect(again).toMatchObject({ accepted: true });
    alice[1]?.ws.close();
  });

  it('refused connections take no slot: many 4401s, then the principal’s sockets still open', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await wsConnect(server.wsUrl, { authorization: 'Bearer x.y.z' })).toMatchObject({ status: 4401 });
    }
    const carol = [await rawSocket(), await rawSocket()];
    for (const socket of carol) await socket.init(await bearer('carol'));
    expect(carol.map((s) => s.messages.at(0))).toEqual([{ type: 'connection_ack' }, { type: 'connection_ack' }]);
    for (const socket of carol) socket.ws.close();
  });

  it('tokens without a sub count against the client IP', async () => {
    const anonymous = [await rawSocket(), await rawSocket(), await rawSocket()];
    for (const socket of anonymous) await socket.init(await bearer(null));
    expect(anonymous.map((s) => s.messages.at(0)?.type)).toEqual(['connection_ack', 'connection_ack', undefined]);
    expect((await anonymous[2]?.closed)?.code).toBe(4429);
    for (const socket of anonymous) socket.ws.close();
  });
});

import { createServer, type Server, type Socket } from 'node:net';
import { createCassandraStorage } from '../../src/providers/storage/cassandra/index.js';
import { type Blocker, describeConnectionLossMidAppend } from '../contract/connection-loss.contract.js';
import { needService } from '../contract/helpers.js';

/*
 * Connection loss mid-append, for real: Cassandra has no row locks to wait on and no way to kill a client's
 * connection, so the provider reaches it through a TCP relay in this test. "Locking" stops the relay
 * forwarding what the client sends (the append's request waits in the relay), and "killing the waiters"
 * closes the client connections whose requests are held, as a network failure would.
 */

const ADDR = process.env.STATEGATE_TEST_CASSANDRA_ADDR ?? '127.0.0.1:9042';
const [HOST, PORT] = [ADDR.slice(0, ADDR.lastIndexOf(':')), Number(ADDR.slice(ADDR.lastIndexOf(':') + 1))];
const KEYSPACE = 'stategate_test_connection_loss';

interface Link {
  client: Socket;
  server: Socket;
  /** What the client sent while the relay held its traffic. */
  held: Buffer[];
}

/** A TCP relay to Cassandra that can hold and cut the client side. */
class Relay {
  private readonly links = new Set<Link>();
  holding = false;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server);
    server.on('connection', (client) => relay.link(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get addr(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('relay is not listening');
    return `127.0.0.1:${address.port}`;
  }

  private link(client: Socket): void {
    const server = new (client.constructor as typeof Socket)();
    const link: Link = { client, server, held: [] };
    this.links.add(link);
    server.connect(PORT, HOST);
    client.on('data', (chunk: Buffer) => {
      if (this.holding) link.held.push(chunk);
      else server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      this.links.delete(link);
      client.destroy();
      server.destroy();
    };
    client.on('close', close).on('error', close);
    server.on('close', close).on('error', close);
  }

  /** Cuts the links whose client sent something while held; returns how many. */
  cutHeld(): number {
    let cut = 0;
    for (const link of [...this.links]) {
      if (link.held.length === 0) continue;
      cut++;
      this.links.delete(link);
      link.client.destroy();
      link.server.destroy();
    }
    return cut;
  }

  /** Forwards again, what was held first. */
  resume(): void {
    this.holding = false;
    for (const link of this.links) for (const chunk of link.held.splice(0)) link.server.write(chunk);
  }

  async close(): Promise<void> {
    this.resume();
    for (const link of this.links) {
      link.client.destroy();
      link.server.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let relay: Relay;

beforeAll(async () => {
  relay = await Relay.start();
});

afterAll(async () => {
  await relay.close();
});

function relayBlocker(): Promise<Blocker> {
  return Promise.resolve({
    async lockHead() {
      relay.holding = true;
    },
    async killWaiters() {
      return relay.cutHeld();
    },
    async release() {
      relay.resume();
    },
    async end() {
      relay.resume();
    },
  });
}

describeConnectionLossMidAppend(
  'cassandra',
  () => needService('cassandra', createCassandraStorage({ addr: relay.addr, keyspace: KEYSPACE })),
  relayBlocker,
);

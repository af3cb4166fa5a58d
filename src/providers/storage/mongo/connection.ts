import { type Db, MongoClient, type ReadConcernLevel } from 'mongodb';
import { failedPrecondition, StategateError, unavailable } from '../../../core/errors.js';

export interface ConnectOptions {
  /** `mongodb://host:port/database?options` or `mongodb+srv://…`. */
  url: string;
  /** Overrides the URL's database; default: the URL's (`mongodb://host/db`), else `stategate`. */
  database?: string;
  user?: string;
  password?: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** See MongoStorageOptions.allowStandalone. */
  allowStandalone: boolean;
}

const OPERATION_TIMEOUT_MS = 10_000;

export interface Connection {
  client: MongoClient;
  db: Db;
  /** How reads must be done so that nothing they return can be rolled back (see `readConcernFor`). */
  readConcern: ReadConcernLevel;
  topology: 'standalone' | 'replica set' | 'sharded';
}

/**
 * Connects and checks the server. Every write is `{w: 'majority', j: true}` and every read goes to the
 * primary, set here on the client, so no URL option can weaken them; a URL that asks for weaker ones
 * (`w=1`, `journal=false`, a secondary read preference, `readConcernLevel=local`…) is refused instead of
 * silently overridden (DESIGN.md §4: a provider refuses a configuration that would weaken a guarantee).
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const where = redact(options.url);
  refuseWeakeningOptions(options.url, where);
  let client: MongoClient;
  try {
    client = new MongoClient(options.url, {
      maxPoolSize: options.poolSize,
      serverSelectionTimeoutMS: options.connectTimeoutMs,
      connectTimeoutMS: options.connectTimeoutMs,
      // An operation unanswered this long fails (UNAVAILABLE) instead of holding its caller forever.
      socketTimeoutMS: OPERATION_TIMEOUT_MS,
      waitQueueTimeoutMS: OPERATION_TIMEOUT_MS,
      writeConcern: { w: 'majority', journal: true },
      readPreference: 'primary',
      ...(options.user !== undefined ? { auth: { username: options.user, password: options.password } } : {}),
    });
  } catch (err) {
    throw failedPrecondition(`mongo storage: invalid address ${where}: ${(err as Error).message}`);
  }
  try {
    await client.connect();
    const db = client.db(options.database || databaseOf(options.url) || 'stategate');
    const hello = (await db.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
    const topology = hello.setName ? 'replica set' : hello.msg === 'isdbgrid' ? 'sharded' : 'standalone';
    const build = (await db.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: unknown };
    const server: MongoServer = { topology, ferretdb: build.ferretdbVersion !== undefined };
    const refusal = standaloneRefusal(server, options.allowStandalone);
    if (refusal) throw failedPrecondition(`mongo storage at ${where}: ${refusal}`);
    return { client, db, readConcern: topology === 'standalone' ? 'local' : 'majority', topology };
  } catch (err) {
    await client.close().catch(() => undefined);
    if (err instanceof StategateError) throw err;
    throw unavailable(`cannot connect to mongo storage at ${where}: ${(err as Error).message}`, err);
  }
}

/** What the server said it is at connect. */
export interface MongoServer {
  topology: Connection['topology'];
  /** FerretDB (its buildInfo carries `ferretdbVersion`). */
  ferretdb: boolean;
}

/**
 * Why a server must be refused, or null. A standalone MongoDB makes an insert visible to readers before
 * it is journaled: if the server crashes in that moment, a stream may already have delivered an event
 * that the crash erases (its writer was never acknowledged), and a later event then takes its position —
 * a resumed stream would skip it (G4/G6). A replica set reads with majority read concern, which only
 * returns journaled majority-committed data. FerretDB on SQLite makes a write visible only once its
 * commit is on disk. So only a standalone MongoDB weakens a guarantee, and it needs an explicit opt-in.
 */
export function standaloneRefusal(server: MongoServer, allowStandalone: boolean): string | null {
  if (server.topology !== 'standalone' || server.ferretdb || allowStandalone) return null;
  return (
    'a standalone MongoDB server can lose an event a stream has already delivered if it crashes (G4/G6); ' +
    'run a replica set (a single-node one will do), or set "allowStandalone": true to accept that'
  );
}

/** URL options that would weaken durability (G1) or let reads see what a failover can roll back (G4). */
function refuseWeakeningOptions(url: string, where: string): void {
  // Not WHATWG URL: a replica set's host list (mongodb://a:1,b:2/db) is no valid URL host.
  if (!/^mongodb(\+srv)?:\/\/[^/?]+/.test(url)) {
    throw failedPrecondition(`mongo storage: address is not a mongodb:// URL: ${where}`);
  }
  const query = url.indexOf('?');
  const params = new URLSearchParams(query < 0 ? '' : url.slice(query + 1));
  const refuse = (option: string, why: string) => {
    throw failedPrecondition(`mongo storage refuses ${option} in ${where}: ${why}`);
  };
  for (const [name, value] of params) {
    const option = name.toLowerCase();
    const v = value.toLowerCase();
    if (option === 'w' && v !== 'majority') refuse(`w=${value}`, 'writes must be acknowledged by a majority (G1)');
    if ((option === 'journal' || option === 'j') && v === 'false') {
      refuse(`${name}=${value}`, 'writes must be journaled before they are acknowledged (G1)');
    }
    if (option === 'readpreference' && v !== 'primary') {
      refuse(`readPreference=${value}`, 'a secondary may be behind, so a reader could miss what it wrote or go back');
    }
    if (option === 'readconcernlevel' && v !== 'majority') {
      refuse(`readConcernLevel=${value}`, 'the provider chooses the read concern itself');
    }
  }
}

/** The database named by the address's path (`mongodb://hosts/db?…`), or ''. */
function databaseOf(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]*)/.exec(url)?.[1] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return '';
  }
}

/** The address without its password, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:@/?]*):[^@/?]*@/, '$1:***@');
}

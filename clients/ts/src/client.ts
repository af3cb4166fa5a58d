import { type Client, createClient, type Interceptor, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { CacheService, EntityService, EventService, MutexService, PeerService } from './gen/stategate_pb.js';

/** The wire protocols a browser can speak: both run over plain fetch, HTTP/1.1 or HTTP/2. */
export type StategateProtocol = 'connect' | 'grpc-web';

export interface StategateClientOptions {
  /** Default `connect`. */
  protocol?: StategateProtocol;
  /** Protobuf binary on the wire instead of JSON; connect-web's defaults: JSON for connect, binary for grpc-web. */
  useBinaryFormat?: boolean;
  /** Interceptors run around every call, e.g. to add an `authorization` header. */
  interceptors?: Interceptor[];
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

/** One typed client per stategate service, all sharing one transport. */
export interface StategateClient {
  entity: Client<typeof EntityService>;
  event: Client<typeof EventService>;
  peer: Client<typeof PeerService>;
  cache: Client<typeof CacheService>;
  mutex: Client<typeof MutexService>;
  transport: Transport;
}

/**
 * A stategate client for a server at `baseUrl` (e.g. `http://127.0.0.1:8080`), over connect-web:
 * it works in a browser and in Node 20 alike.
 */
export function createStategateClient(baseUrl: string, options: StategateClientOptions = {}): StategateClient {
  const { protocol = 'connect', ...transportOptions } = options;
  const transport =
    protocol === 'grpc-web'
      ? createGrpcWebTransport({ baseUrl, ...transportOptions })
      : createConnectTransport({ baseUrl, ...transportOptions });
  return {
    entity: createClient(EntityService, transport),
    event: createClient(EventService, transport),
    peer: createClient(PeerService, transport),
    cache: createClient(CacheService, transport),
    mutex: createClient(MutexService, transport),
    transport,
  };
}

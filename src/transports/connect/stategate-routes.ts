import type { DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import type { StategateApi } from '../../core/api.js';
import type { Logger } from '../../core/ports/logger.js';
import { file_stategate } from '../../generated/stategate_pb.js';
import { findRpc, type RpcMethod, type ServerStreamingRpc, strictJsonDecoder, type UnaryRpc } from '../proto/index.js';
import { callFromHandlerContext } from './call-context.js';
import { toConnectError } from './errors.js';

/** The services of proto/stategate.proto, in declaration order. */
export const stategateServices: readonly DescService[] = file_stategate.services;

/** A method of the proto with its entry of the rpc table; a method missing from the table fails at start. */
function rpcOf(method: DescMethod): RpcMethod {
  const path = `/${method.parent.typeName}/${method.name}`;
  const rpc = findRpc(path);
  if (!rpc || rpc.descriptor !== method) throw new Error(`no entry in the rpc table for ${path}`);
  return rpc;
}

function unaryImpl(api: StategateApi, logger: Logger, rpc: UnaryRpc) {
  return async (request: MessageShape<typeof rpc.input>, context: HandlerContext) => {
    try {
      return await rpc.call(api, callFromHandlerContext(context), request);
    } catch (err) {
      throw toConnectError(err, logger, rpc.path);
    }
  };
}

/**
 * A server stream: the core Subscription's items, until the client goes away (the context's signal aborts:
 * the subscription is closed) or core ends it (its StategateError, e.g. RESOURCE_EXHAUSTED or UNAVAILABLE,
 * becomes the call's status).
 */
function serverStreamingImpl(api: StategateApi, logger: Logger, rpc: ServerStreamingRpc) {
  return async function* (request: MessageShape<typeof rpc.input>, context: HandlerContext) {
    let subscription: Awaited<ReturnType<typeof rpc.call>>;
    try {
      subscription = await rpc.call(api, callFromHandlerContext(context), request);
    } catch (err) {
      throw toConnectError(err, logger, rpc.path);
    }
    const close = () => subscription.close();
    context.signal.addEventListener('abort', close, { once: true });
    try {
      if (context.signal.aborted) return;
      for await (const item of subscription) yield item;
    } catch (err) {
      throw toConnectError(err, logger, rpc.path);
    } finally {
      context.signal.removeEventListener('abort', close);
      subscription.close();
    }
  };
}

/**
 * The routes of every stategate rpc, built from the proto's services and the shared rpc table
 * (src/transports/proto): each method converts its request, calls core under its gRPC full method name
 * and converts the answer, exactly as REST does.
 */
export function stategateRoutes(api: StategateApi, logger: Logger) {
  return (router: ConnectRouter): void => {
    for (const service of stategateServices) {
      for (const method of service.methods) {
        const rpc = rpcOf(method);
        // The table's entry carries this very descriptor, so the implementation's shape matches it.
        const impl = rpc.kind === 'unary' ? unaryImpl(api, logger, rpc) : serverStreamingImpl(api, logger, rpc);
        // JSON requests (Connect, gRPC-Web+json) are read as REST's are: canonical integers only (connect-es
        // reads "0x1" as 1) and no unknown fields (connect-es ignores them by default; protojson refuses them).
        // `textDecoder` is a JSON serialization option connect-es reads but does not declare for handlers.
        const jsonOptions = {
          ignoreUnknownFields: false,
          textDecoder: strictJsonDecoder(method.input),
        } as Record<string, unknown>;
        router.rpc(method, impl as never, { jsonOptions });
      }
    }
  };
}

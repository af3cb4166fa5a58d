/**
 * The protobuf face of core: converters between the generated messages and core's model, and the table
 * of every rpc (`rpcMethods`) that the Connect/gRPC/gRPC-Web routes, REST and the conformance suite share.
 */
export * from './convert.js';
export { jsonToValue, valueToJson } from './json-value.js';
export {
  findRpc,
  mapSubscription,
  type RpcMethod,
  rpcMethodList,
  rpcMethods,
  type ServerStreamingRpc,
  type UnaryRpc,
} from './rpc-methods.js';
export { checkJsonIntegers, strictJsonDecoder } from './strict-json.js';

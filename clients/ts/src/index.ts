/** @stategate/client: the generated stategate messages and services, plus a client over Connect or gRPC-Web. */
export * from './client.js';
export * from './gen/stategate_pb.js';

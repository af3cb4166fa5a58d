/** gRPC-Web with connect-es' Node client (`createGrpcWebTransport`) over HTTP/1.1, binary codec. */
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { connectEsTransport } from './connect.js';
import type { ConformanceTransport } from './transport.js';

export function grpcWebTransport(baseUrl: string): ConformanceTransport {
  return connectEsTransport('grpc-web', createGrpcWebTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true }));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/ports/logger.js';
import { activeTraceId } from '../tracing/active-trace.js';
import { requestIdFrom, traceIdFrom } from './request-id.js';
import { type RequestRecord, runWithRecord } from './request-record.js';
import { codeFromHttpStatus, watchWireCode } from './response-code.js';

/** Paths whose requests are logged at debug: probes poll every few seconds and would drown the rest. */
const QUIET_PATHS = new Set(['/healthz', '/readyz']);

/** How a request ended, as its log line says it (for the request's trace span). */
export interface RequestEnd {
  transport: string;
  method: string;
  code: string;
  status: number | undefined;
}

/**
 * One log line per request of the port, written when its response ends — for a stream, when the stream
 * ends, with how it ended — on every HTTP transport (REST, GraphQL over HTTP and SSE, gRPC, gRPC-Web,
 * Connect). `transportOf` names the request's transport from its path and headers.
 */
export function createRequestLog(logger: Logger, transportOf: (req: IncomingMessage, path: string) => string) {
  return function track(
    req: IncomingMessage,
    res: ServerResponse,
    serve: () => void,
    onEnd?: (end: RequestEnd) => void,
  ): void {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RequestRecord = {
      requestId: requestIdFrom(req.headers['x-request-id']),
      // The trace this server records the request in (when tracing is on), else the one the client named.
      traceId: activeTraceId() ?? traceIdFrom(req.headers.traceparent),
      transport: transportOf(req, path),
      methods: new Set(),
    };
    res.setHeader('x-request-id', record.requestId);
    const wireCode = watchWireCode(res);
    // 'finish' (everything handed to the OS) comes before 'close' unless the client went away first.
    let finished = false;
    res.once('finish', () => {
      finished = true;
    });
    res.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // Closed before the whole response was written: the client went away (cancelled its stream).
      const clientGone = !finished;
      const status = res.headersSent ? res.statusCode : undefined;
      const code = clientGone ? 'CANCELLED' : (wireCode() ?? record.code ?? codeFromHttpStatus(res.statusCode));
      const line = {
        requestId: record.requestId,
        traceId: record.traceId,
        transport: record.transport,
        method: methodOf(record, req, path),
        methods: record.methods.size > 1 ? [...record.methods] : undefined,
        operation: record.operation,
        sub: record.sub,
        durationMs: Math.round(durationMs * 1000) / 1000,
        code,
        status,
        stream: record.stream || undefined,
        ended: record.stream || clientGone ? (clientGone ? 'client went away' : 'server ended it') : undefined,
      };
      const level = QUIET_PATHS.has(path) ? 'debug' : 'info';
      logger[level](line, record.stream ? 'stream ended' : 'request');
      onEnd?.({ transport: line.transport, method: line.method, code, status });
    });
    runWithRecord(record, serve);
  };
}

/**
 * The gRPC full method: the one core was asked for (REST routes and GraphQL fields name theirs), else the
 * RPC path itself, else the HTTP method and path (a request refused before it reached core).
 */
function methodOf(record: RequestRecord, req: IncomingMessage, path: string): string {
  const [first] = record.methods;
  if (first !== undefined) return first;
  if (path.startsWith('/stategate.') || path.startsWith('/grpc.')) return path;
  return `${req.method ?? 'GET'} ${path}`;
}

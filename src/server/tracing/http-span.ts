import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Tracer as OtelTracer,
  ROOT_CONTEXT,
  SpanKind,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import type { RequestEnd } from '../logging/request-log.js';
import { markOutcome } from './otel-tracer.js';

/** Serves one request; `finish` is called once with how it ended. */
export type TracedServe = (finish: ((end: RequestEnd) => void) | undefined) => void;

/**
 * The transport span of each request of the port (both protocols, every transport): the server span of its
 * trace, continuing the client's W3C `traceparent`/`tracestate` when sent, and answered with the
 * `traceparent` of this span so the client can find the server's part of its trace. Core's spans (the
 * call, policy, storage, broadcast) become its children through the async context.
 */
export function createHttpSpans(tracer: OtelTracer, propagator: TextMapPropagator) {
  return function traced(req: IncomingMessage, res: ServerResponse, serve: TracedServe): void {
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const span = tracer.startSpan(
      `HTTP ${req.method ?? 'GET'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method ?? 'GET',
          'url.path': path,
          'network.protocol.version': req.httpVersion,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    const answer: Record<string, string> = {};
    propagator.inject(active, answer, defaultTextMapSetter);
    if (answer.traceparent !== undefined) res.setHeader('traceparent', answer.traceparent);
    context.with(active, () =>
      serve((end) => {
        // Named by what was called (low cardinality: a method, never a key or id in a path).
        span.updateName(`${end.transport} ${end.method}`);
        span.setAttribute('stategate.transport', end.transport);
        span.setAttribute('rpc.method', end.method);
        if (end.status !== undefined) span.setAttribute('http.response.status_code', end.status);
        markOutcome(span, end.code);
        span.end();
      }),
    );
  };
}

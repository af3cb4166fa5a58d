import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  type Tracer as OtelTracer,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { isStategateError } from '../../core/errors.js';
import type { Tracer } from '../../core/ports/tracer.js';

/**
 * Codes that mean the server failed, not the caller (OpenTelemetry's gRPC conventions for server spans):
 * only these mark a span as an error, so a trace search for errors finds outages, not NOT_FOUNDs.
 */
const SERVER_FAULTS = new Set([
  'UNKNOWN',
  'DEADLINE_EXCEEDED',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
]);

/** The outcome code of a failure: the StategateError's, else INTERNAL (a bug, or a provider's raw error). */
export function failureCode(err: unknown): string {
  return isStategateError(err) ? err.code : 'INTERNAL';
}

/** Marks `span` with a call's outcome code; an error status only for a server fault. */
export function markOutcome(span: Span, code: string, message?: string): void {
  span.setAttribute('stategate.code', code);
  if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? code });
}

/** Runs `run` inside `span` and ends it with the outcome. */
export async function inSpan<T>(span: Span, parent: Context, run: () => Promise<T>): Promise<T> {
  try {
    const result = await context.with(trace.setSpan(parent, span), run);
    span.setAttribute('stategate.code', 'OK');
    return result;
  } catch (err) {
    markOutcome(span, failureCode(err), err instanceof Error ? err.message : undefined);
    throw err;
  } finally {
    span.end();
  }
}

/** The core Tracer port over an OpenTelemetry tracer. */
export function createOtelTracer(tracer: OtelTracer, propagator: TextMapPropagator): Tracer {
  return {
    call(name, attributes, metadata, run) {
      const active = context.active();
      if (trace.getSpan(active) !== undefined) {
        return inSpan(tracer.startSpan(name, { attributes: attributes as Attributes }, active), active, run);
      }
      // No transport span (a graphql-ws operation): this call is the server span of its own trace,
      // continuing the one the client's upgrade request carried, if any.
      const parent = propagator.extract(ROOT_CONTEXT, metadata, defaultTextMapGetter);
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attributes as Attributes }, parent);
      return inSpan(span, parent, run);
    },
    stage(name, attributes, run) {
      const active = context.active();
      if (trace.getSpan(active) === undefined) return run();
      return inSpan(tracer.startSpan(name, { attributes: attributes as Attributes }, active), active, run);
    },
  };
}

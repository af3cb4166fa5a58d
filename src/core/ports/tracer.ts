/**
 * Where core marks the stages of a call for distributed tracing (OpenTelemetry in src/server/tracing).
 * Core names the stages; the adapter owns trace context, so core never sees a span or a propagator.
 * Attribute values are a method name, a transport, a position: never keys, values or claims.
 */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

export interface Tracer {
  /**
   * Runs one call of the API in a span. Its parent is the span already current (the transport's); a call
   * that arrives without one (a graphql-ws operation) continues the caller's W3C trace context found in
   * `metadata` (`traceparent`), or starts a trace.
   */
  call<T>(
    name: string,
    attributes: SpanAttributes,
    metadata: Readonly<Record<string, string>>,
    run: () => Promise<T>,
  ): Promise<T>;
  /** Runs one stage (a policy decision, a broadcast) in a child span; nothing when no trace is current. */
  stage<T>(name: string, attributes: SpanAttributes, run: () => Promise<T>): Promise<T>;
}

/** The default: tracing off, every stage just runs. */
export const noTracer: Tracer = {
  call: (_name, _attributes, _metadata, run) => run(),
  stage: (_name, _attributes, run) => run(),
};

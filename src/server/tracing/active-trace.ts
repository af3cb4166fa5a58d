import { isSpanContextValid, trace } from '@opentelemetry/api';

/** The trace id of the span current here, or undefined (tracing off, or outside a traced request). */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

import { type DescMessage, type MessageShape, toJson } from '@bufbuild/protobuf';
import type { Subscription } from '../../core/api.js';
import type { Logger } from '../../core/ports/logger.js';
import { errorAnswer } from './status.js';

/** Server-sent events (`text/event-stream`) or newline-delimited JSON (`application/x-ndjson`). */
export type StreamFormat = 'sse' | 'ndjson';

export const CONTENT_TYPE: Readonly<Record<StreamFormat, string>> = {
  sse: 'text/event-stream; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** SSE when the client accepts `text/event-stream`, else NDJSON. */
export function streamFormat(request: Request): StreamFormat {
  return /(^|[\s,])text\/event-stream(\s*[;,]|\s*$)/i.test(request.headers.get('accept') ?? '') ? 'sse' : 'ndjson';
}

export interface StreamResponseOptions<S extends DescMessage> {
  fetchAPI: { Response: typeof Response; ReadableStream: typeof ReadableStream };
  subscription: Subscription<MessageShape<S>>;
  schema: S;
  format: StreamFormat;
  /** The SSE `id:` of an item (an event's position), so that `Last-Event-ID` can resume; none = no id. */
  idOf?: (item: MessageShape<S>) => string | undefined;
  /** How often an SSE stream sends a comment, so that idle connections stay open through proxies. */
  keepAliveMs: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  logger: Logger;
  where: string;
}

/**
 * A streaming response of a core subscription. Items are pulled as the client reads them, so a client
 * that does not keep up fills its own bounded buffer in core and is cut off (RESOURCE_EXHAUSTED) without
 * slowing anyone else. When core ends the stream with an error, a last item says why: SSE `event: error`,
 * NDJSON `{"error": {code, message, details}}`. The client going away closes the subscription.
 */
export function streamResponse<S extends DescMessage>(options: StreamResponseOptions<S>): Response {
  const { subscription, schema, format, idOf, logger, where, signal } = options;
  const encoder = new TextEncoder();
  const iterator = subscription[Symbol.asyncIterator]();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let done = false;

  const cleanup = () => {
    if (done) return;
    done = true;
    if (keepAlive) clearInterval(keepAlive);
    signal.removeEventListener('abort', cleanup);
    subscription.close();
  };

  const item = (message: MessageShape<S>): string => {
    const data = JSON.stringify(toJson(schema, message));
    if (format === 'ndjson') return `${data}\n`;
    const id = idOf?.(message);
    return `${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
  };

  const failure = (err: unknown): string => {
    const { body } = errorAnswer(err, logger, where);
    return format === 'ndjson'
      ? `${JSON.stringify({ error: body })}\n`
      : `event: error\ndata: ${JSON.stringify(body)}\n\n`;
  };

  const body = new options.fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      if (signal.aborted) {
        cleanup();
        controller.close();
        return;
      }
      signal.addEventListener('abort', cleanup, { once: true });
      // Written at once, this sends the headers now: the client knows the stream is open (core admitted
      // it) before the first item. NDJSON has no comments, so it writes nothing: an empty chunk.
      controller.enqueue(format === 'sse' ? encoder.encode(': stream open\n\n') : new Uint8Array(0));
      if (format === 'sse') {
        keepAlive = setInterval(() => {
          try {
            if (!done) controller.enqueue(encoder.encode(': keep-alive\n\n'));
          } catch {
            cleanup();
          }
        }, options.keepAliveMs);
        keepAlive.unref();
      }
    },
    async pull(controller) {
      let chunk: string | undefined;
      let last = false;
      try {
        const next = await iterator.next();
        if (next.done) last = true;
        else chunk = item(next.value);
      } catch (err) {
        chunk = done ? undefined : failure(err);
        last = true;
      }
      if (done && chunk === undefined) last = true;
      try {
        if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
        if (last) {
          cleanup();
          controller.close();
        }
      } catch {
        // The client went away while we waited: the stream is cancelled already.
        cleanup();
      }
    },
    cancel() {
      cleanup();
    },
  });

  return new options.fetchAPI.Response(body, {
    status: 200,
    headers: {
      'content-type': CONTENT_TYPE[format],
      'cache-control': 'no-cache',
      // Tell reverse proxies (nginx) not to buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}

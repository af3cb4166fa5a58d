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

const KEEP_ALIVE = Symbol('keep-alive');

/**
 * A streaming response of a core subscription. Items are pulled as the client reads them, so a client
 * that does not keep up fills its own bounded buffer in core and is cut off (RESOURCE_EXHAUSTED) without
 * slowing anyone else. When core ends the stream with an error, a last item says why: SSE `event: error`,
 * NDJSON `{"error": {code, message, details}}`. The client going away closes the subscription.
 */
export function streamResponse<S extends DescMessage>(options: StreamResponseOptions<S>): Response {
  const { subscription, schema, format, idOf, logger, where, signal, keepAliveMs } = options;
  const encoder = new TextEncoder();
  let done = false;
  const cleanup = () => {
    if (done) return;
    done = true;
    signal.removeEventListener('abort', cleanup);
    subscription.close();
  };
  if (signal.aborted) cleanup();
  else signal.addEventListener('abort', cleanup, { once: true });

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

  async function* chunks(): AsyncGenerator<Uint8Array> {
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      // Written at once, this sends the headers now: the client knows the stream is open (core admitted
      // it) before the first item. NDJSON has no comments, so it writes nothing: an empty chunk.
      yield format === 'sse' ? encoder.encode(': stream open\n\n') : new Uint8Array(0);
      let next: Promise<IteratorResult<MessageShape<S>>> | undefined;
      while (!done) {
        next ??= iterator.next();
        let result: IteratorResult<MessageShape<S>> | typeof KEEP_ALIVE;
        try {
          result = format === 'sse' ? await withKeepAlive(next, keepAliveMs) : await next;
        } catch (err) {
          if (!done) yield encoder.encode(failure(err));
          return;
        }
        if (result === KEEP_ALIVE) {
          yield encoder.encode(': keep-alive\n\n');
          continue;
        }
        next = undefined;
        if (result.done) return;
        yield encoder.encode(item(result.value));
      }
    } finally {
      cleanup();
    }
  }

  const headers = {
    'content-type': CONTENT_TYPE[format],
    'cache-control': 'no-cache',
    // Tell reverse proxies (nginx) not to buffer the stream.
    'x-accel-buffering': 'no',
  };
  const { Response: ResponseClass, ReadableStream: ReadableStreamClass } = options.fetchAPI;
  const generator = chunks();
  // A generator waiting for the next item cannot be returned early; closing the subscription first ends
  // that wait, so the consumer cancelling the body (without an aborted request signal) ends the stream.
  const iterable: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => generator.next(),
    return: (value?: unknown) => {
      cleanup();
      return generator.return(value);
    },
  };
  // @whatwg-node's Response streams an async iterable as it is (so the empty first chunk reaches the
  // socket and sends the headers); a platform Response needs a ReadableStream.
  const body = ResponseClass === globalThis.Response ? toReadableStream(ReadableStreamClass, iterable) : iterable;
  return new ResponseClass(body as BodyInit, { status: 200, headers });
}

/** The iterator's next result, or KEEP_ALIVE when it takes longer than `ms`. */
function withKeepAlive<T>(next: Promise<T>, ms: number): Promise<T | typeof KEEP_ALIVE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<typeof KEEP_ALIVE>((resolve) => {
    timer = setTimeout(() => resolve(KEEP_ALIVE), ms);
  });
  return Promise.race([next, tick]).finally(() => clearTimeout(timer));
}

function toReadableStream(
  ReadableStreamClass: typeof ReadableStream,
  chunks: AsyncIterableIterator<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStreamClass<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
}

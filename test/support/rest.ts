/** REST test helpers: one request with fetch, and readers of server-sent events and NDJSON streams. */

export interface RestResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body (undefined when the body is empty or not JSON). */
  body: unknown;
  text: string;
}

export interface RestRequest {
  method?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON (with content-type application/json unless headers say otherwise). */
  body?: unknown;
}

/** One REST call as any HTTP client makes it. */
export async function rest(baseUrl: string, path: string, init: RestRequest = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Blob | undefined;
  if (typeof init.body === 'string') body = init.body;
  else if (init.body instanceof Uint8Array) body = new Blob([new Uint8Array(init.body)]);
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** One server-sent event as a client sees it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A stream being read: the items so far, waiting for more, and closing it (the client going away). */
export interface StreamReader<T> {
  response: Response;
  items: T[];
  /** Comment lines seen (SSE only), e.g. keep-alives. */
  comments: string[];
  /** Resolves once `count` items arrived; rejects if the stream ends first or after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
  /** Starts reading a stream opened with `paused: true`. */
  resume(): void;
}

export interface StreamOptions {
  /** Do not read the body until `resume()`: the TCP connection backs up as a slow client's does. */
  paused?: boolean;
}

async function open(url: string, headers: Record<string, string>): Promise<{ res: Response; abort: AbortController }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  return { res, abort };
}

function reader<T>(
  res: Response,
  abort: AbortController,
  options: StreamOptions,
  onText: (text: string, push: (item: T) => void, comment: (c: string) => void) => string,
): StreamReader<T> {
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  if (!options.paused) resume();
  const items: T[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  const wake = () => {
    for (const w of waiters) w();
  };
  const ended = (async () => {
    await resumed;
    if (!res.body) return;
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        pending = onText(
          pending,
          (item) => {
            items.push(item);
            wake();
          },
          (c) => comments.push(c),
        );
      }
    } catch {
      // aborted by close()
    } finally {
      finished = true;
      wake();
    }
  })();
  return {
    response: res,
    items,
    comments,
    ended,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise<T[]>((resolve, reject) => {
        const check = () => {
          if (items.length >= count) {
            done();
            resolve(items.slice(0, count));
          } else if (finished) {
            done();
            reject(new Error(`the stream ended after ${items.length} of ${count} items: ${JSON.stringify(items)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out with ${items.length} of ${count} items: ${JSON.stringify(items)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
    resume,
  };
}

/** Opens a server-sent event stream (Accept: text/event-stream) and parses it as EventSource does. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
  options: StreamOptions = {},
): Promise<StreamReader<SseEvent>> {
  const { res, abort } = await open(url, { accept: 'text/event-stream', ...headers });
  return reader<SseEvent>(res, abort, options, (text, push, comment) => {
    const blocks = text.split('\n\n');
    const rest = blocks.pop() ?? '';
    for (const block of blocks) {
      const event: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          comment(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        any = true;
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') data.push(value);
      }
      if (!any) continue;
      event.data = data.join('\n');
      push(event);
    }
    return rest;
  });
}

/** Opens a newline-delimited JSON stream (no Accept header) and parses each line. */
export async function openNdjson(
  url: string,
  headers: Record<string, string> = {},
  options: StreamOptions = {},
): Promise<StreamReader<unknown>> {
  const { res, abort } = await open(url, headers);
  return reader<unknown>(res, abort, options, (text, push) => {
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') push(JSON.parse(line));
    return rest;
  });
}

import type { ServerResponse } from 'node:http';
import { encode, heap, time } from '@datadog/pprof';

/** CPU profiles last 30 s unless asked otherwise (as Go's net/http/pprof), never more than 5 minutes. */
export const DEFAULT_PROFILE_SECONDS = 30;
export const MAX_PROFILE_SECONDS = 300;
/** The heap profiler samples one allocation per 512 KiB on average: cheap enough to leave on. */
const HEAP_SAMPLE_BYTES = 512 * 1024;
const HEAP_STACK_DEPTH = 64;

/**
 * pprof profiles of this process (@datadog/pprof), gzipped protobuf as `go tool pprof` reads them. The
 * sampling heap profiler runs from start() to stop(); a CPU profile runs on request, one at a time.
 */
export class Profiler {
  private cpuBusy = false;
  private heapOn = false;

  start(): void {
    heap.start(HEAP_SAMPLE_BYTES, HEAP_STACK_DEPTH);
    this.heapOn = true;
  }

  stop(): void {
    if (this.heapOn) heap.stop();
    this.heapOn = false;
  }

  /** `?seconds=N` (1 … MAX_PROFILE_SECONDS) of CPU time profile; 400 outside the bounds, 409 while one runs. */
  async cpu(query: URLSearchParams, res: ServerResponse): Promise<void> {
    const raw = query.get('seconds');
    const seconds = raw === null ? DEFAULT_PROFILE_SECONDS : Number(raw);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PROFILE_SECONDS) {
      sendText(res, 400, `seconds must be a whole number from 1 to ${MAX_PROFILE_SECONDS}\n`);
      return;
    }
    if (this.cpuBusy) {
      sendText(res, 409, 'a CPU profile is already being taken: retry when it is done\n');
      return;
    }
    this.cpuBusy = true;
    try {
      // CPU time per sample (the default sample type, so `go tool pprof` shows CPU); it needs contexts on.
      const profile = await time.profile({ durationMillis: seconds * 1000, collectCpuTime: true, withContexts: true });
      sendProfile(res, await encode(profile), 'profile');
    } finally {
      this.cpuBusy = false;
    }
  }

  /** The sampled live heap (inuse_space / inuse_objects). */
  async heap(res: ServerResponse): Promise<void> {
    if (!this.heapOn) {
      sendText(res, 503, 'the heap profiler is not running\n');
      return;
    }
    sendProfile(res, await encode(heap.profile()), 'heap');
  }
}

function sendProfile(res: ServerResponse, body: Buffer, name: string): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${name}.pb.gz"`,
    'content-length': body.length,
  });
  res.end(body);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

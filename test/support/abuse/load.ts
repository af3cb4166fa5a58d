import { Worker } from 'node:worker_threads';

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type LoadAnswer = { status: number; retryAfter?: string; text: string; error?: undefined } | { error: string };

/**
 * Sends all `requests` at once from a worker thread (load-worker.mjs), each on its own connection, and
 * answers each one's status, Retry-After and body, or the error it met (a reset, a timeout).
 */
export function loadFromWorker(url: string, requests: LoadRequest[], timeoutMs = 15_000): Promise<LoadAnswer[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
      workerData: { url, requests, timeoutMs },
    });
    worker.once('message', (answers: LoadAnswer[]) => {
      resolve(answers);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

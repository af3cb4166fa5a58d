import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type LoadAnswer = { status: number; retryAfter?: string; text: string; error?: undefined } | { error: string };

const CLIENT = fileURLToPath(new URL('./load-client.mjs', import.meta.url));

/**
 * Sends all `requests` at once from a separate, lowest-priority process (load-client.mjs), each on its own
 * connection, and answers each one's status, Retry-After and body, or the error it met (a reset, a timeout).
 */
export function loadFromProcess(url: string, requests: LoadRequest[], timeoutMs = 15_000): Promise<LoadAnswer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', process.execPath, CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load client exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as LoadAnswer[]);
    });
    child.stdin.end(JSON.stringify({ url, requests, timeoutMs }));
  });
}

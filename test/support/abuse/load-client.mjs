// A load generator on its own thread (worker_threads): the requests of an overload case are made, sent
// and parsed here, so the event loop of the server under test (the jest process's main thread) carries
// only the server's own work, as it would with an external client, and /healthz measures the server.
import { request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** workerData: {url, requests: [{method, path, headers, body}], timeoutMs} → posts [{status, retryAfter, text} | {error}]. */
const { url, requests, timeoutMs } = workerData;
const { hostname, port } = new URL(url);

function one({ method, path, headers, body }) {
  return new Promise((resolve) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body ?? '') },
        agent: false,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode,
            retryAfter: res.headers['retry-after'],
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ error: err.message });
    });
    req.end(body);
  });
}

parentPort.postMessage(await Promise.all(requests.map(one)));

// A load generator in a process of its own: the requests of an overload case are made, sent and parsed
// here, so neither the server under test nor the test's /healthz probes share a thread with them, as with an
// external client. Run at the lowest CPU priority (nice 19), so on a 2-core test machine the attacker's CPU is
// not taken from the server the probes measure.
import { request } from 'node:http';

/** stdin: {url, requests: [{method, path, headers, body}], timeoutMs} → stdout: [{status, retryAfter, text} | {error}]. */
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { url, requests, timeoutMs } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
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

process.stdout.write(JSON.stringify(await Promise.all(requests.map(one))));

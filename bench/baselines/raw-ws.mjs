import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

/**
 * S4/S5 baseline: a bare `ws` server. `POST /publish` broadcasts its body, one pre-serialized buffer, to
 * every socket on `/ws` — the least a WebSocket fan-out can cost.
 */
const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const frame = Buffer.concat(chunks);
      for (const client of wss.clients) client.send(frame);
      res.writeHead(200).end();
    });
    return;
  }
  if (req.url === '/readyz') return void res.writeHead(200).end('{}');
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/ws' });
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
